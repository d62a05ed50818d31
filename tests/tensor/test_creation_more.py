"""creation.py against torch: from_numpy, as_tensor, logspace, range, tri indices, random draws."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch


def dt(t):
    return str(t.dtype).split(".")[-1]


def same(ours, theirs):
    assert dt(ours) == dt(theirs) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_from_numpy_shares_memory(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t, tt = cr.from_numpy(a), torch.from_numpy(a.copy())
    assert dt(t) == dt(tt) and t.shape == (2, 3)
    t[0, 1] = 1
    assert a[0, 1] == 1
    a[1, 2] = 1
    assert t[1, 2].item() == 1


def test_from_numpy_errors():
    raises_with(TypeError, lambda: cr.from_numpy([1, 2]), "np.ndarray", "list")
    raises_with(TypeError, lambda: cr.from_numpy(np.zeros(2, np.complex64)), "complex64")


def test_as_tensor():
    a = np.arange(3.0)
    t = cr.as_tensor(a)
    assert t.dtype == cr.float64 and np.shares_memory(t.numpy(), a)
    assert not np.shares_memory(cr.as_tensor(a, dtype=cr.float32).numpy(), a)
    x = cr.ones(2)
    assert cr.as_tensor(x) is x and cr.as_tensor(x, cr.float32) is x
    for data in ([1, 2], [1.5], True, [[1, 2], [3, 4]]):
        same(cr.as_tensor(data), torch.as_tensor(data))
    same(cr.as_tensor([1, 2], dtype=cr.float64), torch.as_tensor([1, 2], dtype=torch.float64))
    y = cr.tensor([1.0], requires_grad=True)
    assert cr.as_tensor(y, dtype=cr.float64).grad_fn is not None  # a cast keeps the graph
    raises_with(RuntimeError, lambda: cr.as_tensor([1], device="cuda"), "cuda", "CPU only")


def test_is_tensor():
    assert cr.is_tensor(cr.ones(1)) and not cr.is_tensor(np.ones(1)) and not cr.is_tensor(1.0)


@pytest.mark.parametrize("args,kw", [((0, 2, 5), {}), ((0, 2, 3), {"base": 2.0}),
                                     ((1, -1, 4), {"dtype": "float64"}),
                                     ((0, 2, 3), {"dtype": "int64"}), ((0, 1, 0), {}),
                                     ((2, 2, 1), {"base": 3})])
def test_logspace(args, kw):
    ckw = {k: (getattr(cr, v) if k == "dtype" else v) for k, v in kw.items()}
    tkw = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kw.items()}
    same(cr.logspace(*args, **ckw), torch.logspace(*args, **tkw))


@pytest.mark.parametrize("args,kw", [((0, 1, 0.25), {}), ((1, 4), {}), ((4, 1, -1), {}),
                                     ((0, 1, 0.3), {}), ((1, 4), {"dtype": "int64"}),
                                     ((0, 0.5, 0.1), {"dtype": "float64"})])
def test_range_is_inclusive_and_deprecated(args, kw):
    ckw = {k: getattr(cr, v) for k, v in kw.items()}
    tkw = {k: getattr(torch, v) for k, v in kw.items()}
    with pytest.warns(UserWarning, match="deprecated"):
        ours = cr.range(*args, **ckw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(ours, torch.range(*args, **tkw))


def test_range_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_with(RuntimeError, lambda: cr.range(0, 1, 0), "step must be nonzero")
        raises_with(RuntimeError, lambda: cr.range(1, 0), "inconsistent with step sign")
        raises_with(TypeError, lambda: cr.range(5), "end")


@pytest.mark.parametrize("row,col,offset", [(3, 4, 0), (3, 4, 1), (4, 3, -1), (3, 3, -5),
                                            (3, 3, 5), (0, 3, 0), (1, 1, 0), (5, 2, 2)])
def test_tri_indices(row, col, offset):
    same(cr.tril_indices(row, col, offset), torch.tril_indices(row, col, offset))
    same(cr.triu_indices(row, col, offset), torch.triu_indices(row, col, offset))
    same(cr.tril_indices(row, col, offset, dtype=cr.int32),
         torch.tril_indices(row, col, offset, dtype=torch.int32))
    raises_with(RuntimeError, lambda: cr.tril_indices(-1, 3), "row must be non-negative")


# ----- random draws (values need not match torch's stream; shapes, dtypes, statistics do) -----
def test_seed_and_initial_seed():
    s = cr.seed()
    assert isinstance(s, int) and cr.initial_seed() == s and 0 <= s < 2**63
    a = cr.rand(3)
    cr.manual_seed(s)
    assert cr.rand(3).tolist() == a.tolist() and cr.initial_seed() == s
    assert cr.seed() != s  # nondeterministic (a 1 in 2**63 chance of failing)
    g = cr.Generator(7)
    assert g.initial_seed() == 7 and isinstance(cr.Generator().initial_seed(), int)
    cr.manual_seed(0)


def test_randperm():
    p = cr.randperm(10)
    assert p.dtype == cr.int64 and sorted(p.tolist()) == list(range(10))
    assert cr.randperm(0).shape == (0,) and cr.randperm(5, dtype=cr.float32).dtype == cr.float32
    g1, g2 = cr.Generator(3), cr.Generator(3)
    assert cr.randperm(20, generator=g1).tolist() == cr.randperm(20, generator=g2).tolist()
    raises_with(RuntimeError, lambda: cr.randperm(-1), "randperm")


def test_randint_like():
    x = cr.ones(2, 3)
    r = cr.randint_like(x, 5)
    assert r.dtype == x.dtype and r.shape == (2, 3) and r.min().item() >= 0 and r.max() < 5
    r = cr.randint_like(cr.ones(1000, dtype=cr.int32), 3, 5)
    assert r.dtype == cr.int32 and set(r.tolist()) == {3, 4}
    raises_with(RuntimeError, lambda: cr.randint_like(x, 5, 3), "from=5 >= to=3")


def test_rand_like_randn_like_take_a_generator():
    x = cr.ones(3, dtype=cr.float64)
    a = cr.rand_like(x, generator=cr.Generator(1))
    b = cr.rand_like(x, generator=cr.Generator(1))
    assert a.dtype == cr.float64 and a.tolist() == b.tolist()
    assert cr.randn_like(x, dtype=cr.float32).dtype == cr.float32


def test_normal_forms_shapes_dtypes():
    cases = [
        (lambda m: m.normal(cr.zeros(2), 1.0), lambda: torch.normal(torch.zeros(2), 1.0)),
        (lambda m: m.normal(cr.zeros(2), cr.ones(3, 2)),
         lambda: torch.normal(torch.zeros(2), torch.ones(3, 2))),
        (lambda m: m.normal(2.0, cr.ones(3, dtype=cr.float64)),
         lambda: torch.normal(2.0, torch.ones(3, dtype=torch.float64))),
        (lambda m: m.normal(0.0, 1.0, (2, 3)), lambda: torch.normal(0.0, 1.0, (2, 3))),
    ]
    for ours, theirs in cases:
        o, t = ours(cr), theirs()
        assert dt(o) == dt(t) and tuple(o.shape) == tuple(t.shape)
    big = cr.normal(cr.full((20000,), 3.0), 2.0, generator=cr.Generator(0))
    assert abs(big.mean().item() - 3) < 0.1 and abs(big.std().item() - 2) < 0.1
    raises_with(RuntimeError, lambda: cr.normal(cr.zeros(2), -1.0), "std >= 0.0")
    raises_with(RuntimeError, lambda: cr.normal(cr.zeros(2), cr.ones(3)), "(2,)", "(3,)")
    raises_with(TypeError, lambda: cr.normal(0.0, 1.0), "size")


def test_normal_and_bernoulli_give_zero_gradients_as_torch():
    m, tm = cr.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    s = cr.ones(2, requires_grad=True)
    out = cr.normal(m, s)
    assert out.requires_grad and torch.normal(tm, 1.0).requires_grad
    out.sum().backward()
    assert m.grad.tolist() == [0.0, 0.0] and s.grad.tolist() == [0.0, 0.0]
    p = cr.full((3,), 0.5, requires_grad=True)
    cr.bernoulli(p).sum().backward()
    assert p.grad.tolist() == [0.0] * 3
    with cr.no_grad():
        assert not cr.normal(m, 1.0).requires_grad


def test_bernoulli():
    p = cr.tensor([0.0, 1.0, 0.3], dtype=cr.float64)
    b = cr.bernoulli(p)
    assert b.dtype == cr.float64 and b[0].item() == 0 and b[1].item() == 1
    many = cr.bernoulli(cr.full((20000,), 0.3), generator=cr.Generator(0))
    assert set(many.tolist()) <= {0.0, 1.0} and abs(many.mean().item() - 0.3) < 0.02
    assert cr.bernoulli(cr.ones(3), 0.0).tolist() == [0.0] * 3
    raises_with(RuntimeError, lambda: cr.bernoulli(cr.tensor([0.5, 2.0])), "[0, 1]")
    raises_with(NotImplementedError, lambda: cr.bernoulli(cr.tensor([0, 1])), "int64")


def test_multinomial_shapes_and_no_repeats():
    w = cr.tensor([1.0, 2.0, 3.0, 0.0, 4.0])
    for n in (1, 3, 4):
        s = cr.multinomial(w, n)
        ts = torch.multinomial(torch.tensor(w.numpy()), n)
        assert s.dtype == cr.int64 and tuple(s.shape) == tuple(ts.shape)
        assert len(set(s.tolist())) == n and 3 not in s.tolist()  # no repeats, no zero weight
    w2 = cr.rand(4, 6) + 0.1
    s = cr.multinomial(w2, 6)
    assert s.shape == (4, 6) and all(sorted(r) == list(range(6)) for r in s.tolist())
    s = cr.multinomial(w2, 10, replacement=True)
    assert s.shape == (4, 10) and s.dtype == cr.int64
    assert s.min().item() >= 0 and s.max().item() < 6


def test_multinomial_distribution():
    g = cr.Generator(0)
    w = cr.tensor([[1.0, 0.0, 3.0], [0.0, 1.0, 0.0]])
    s = cr.multinomial(w, 20000, replacement=True, generator=g).numpy()
    assert abs((s[0] == 2).mean() - 0.75) < 0.02 and not (s[0] == 1).any()
    assert (s[1] == 1).all()
    # without replacement, the first draw follows the weights too
    first = np.array([cr.multinomial(cr.tensor([1.0, 3.0]), 2, generator=g)[0].item()
                      for _ in range(4000)])
    assert abs((first == 1).mean() - 0.75) < 0.03


@pytest.mark.parametrize("fn,exc,frag", [
    (lambda: cr.multinomial(cr.tensor([1.0, 0, 0]), 2), RuntimeError, "not enough"),
    (lambda: cr.multinomial(cr.tensor([1.0, -1, 0]), 1), RuntimeError, "element < 0"),
    (lambda: cr.multinomial(cr.tensor([1.0, float("nan")]), 1), RuntimeError, "nan"),
    (lambda: cr.multinomial(cr.zeros(3), 1), RuntimeError, "sum of probabilities <= 0"),
    (lambda: cr.multinomial(cr.ones(3), 4), RuntimeError, "without replacement"),
    (lambda: cr.multinomial(cr.ones(3), 0), RuntimeError, "n_sample <= 0"),
    (lambda: cr.multinomial(cr.tensor(1.0), 1), RuntimeError, "1 or 2 dim"),
    (lambda: cr.multinomial(cr.ones(2, 2, 2), 1), RuntimeError, "1 or 2 dim"),
    (lambda: cr.multinomial(cr.tensor([1, 1]), 1), RuntimeError, "floating-point"),
])
def test_multinomial_errors_as_torch(fn, exc, frag):
    raises_with(exc, fn, frag)
