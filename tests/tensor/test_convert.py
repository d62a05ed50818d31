"""Tensor.t/contiguous/type/type_as/cpu/cuda/new_*/byte/short/char and the in-place random
fills, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch


def dt(t):
    return str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 3), (1, 4), (0, 2)])
def test_t(shape):
    check_op(lambda x: x.t() * 2, lambda x: x.t() * 2, [rand(shape)])
    check_op(lambda x: cr.t(x) ** 2, lambda x: torch.t(x) ** 2, [rand(shape)])
    x = cr.tensor(rand(shape))
    assert (x.t() is not x and np.shares_memory(x.t().numpy(), x.numpy())) or x.numel() == 0


def test_t_error():
    raises_with(RuntimeError, lambda: cr.ones(2, 2, 2).t(), "<= 2 dimensions", "3D")


def test_contiguous():
    x = cr.tensor(rand((2, 3)), requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    y = x.t()
    assert y.is_contiguous() is torch.zeros(2, 3).t().is_contiguous() is False
    c = y.contiguous()
    assert c.is_contiguous() and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    assert cr.ones(1, 3).expand(2, 3).is_contiguous() is False
    check_op(lambda a: a.t().contiguous() * a.t(), lambda a: a.t().contiguous() * a.t(),
             [rand((2, 3))])


def test_type_and_casts():
    for d in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
              "bool"]:
        x, tx = cr.zeros(2, dtype=getattr(cr, d if d != "bool" else "bool_")), \
            torch.zeros(2, dtype=getattr(torch, d))
        assert x.type() == tx.type().replace("torch.", "chainrule.")
        for name in ["torch.DoubleTensor", "chainrule.IntTensor", "torch.ByteTensor"]:
            assert dt(x.type(name)) == dt(tx.type(name.replace("chainrule.", "torch.")))
    x = cr.ones(2)
    assert x.type(cr.float32) is x and x.type("torch.FloatTensor") is x
    assert x.type(cr.int64).dtype == cr.int64
    for name in ["byte", "short", "char", "half", "bool", "float", "double", "long", "int"]:
        assert dt(getattr(x, name)()) == dt(getattr(torch.ones(2), name)())
    assert x.type_as(cr.ones(1, dtype=cr.int32)).dtype == cr.int32 and x.type_as(x) is x
    raises_with(ValueError, lambda: x.type("torch.FooTensor"), "FooTensor")
    raises_with(ValueError, lambda: x.type("FloatTensor"), "FloatTensor")
    raises_with(RuntimeError, lambda: x.type("torch.cuda.FloatTensor"), "cuda", "CPU only")
    raises_with(TypeError, lambda: x.type_as(np.ones(1)), "ndarray")
    y = cr.tensor([1.0, 2.0], requires_grad=True)
    (y.type(cr.float64) ** 2).sum().backward()
    assert y.grad.tolist() == [2.0, 4.0]


def test_cpu_and_cuda():
    x = cr.ones(2)
    assert x.cpu() is x
    raises_with(RuntimeError, lambda: x.cuda(), "cuda", "CPU only")
    raises_with(RuntimeError, lambda: x.cuda(1), "cuda:1", "CPU only")


def test_new_functions():
    for d in ["float64", "int32"]:
        x, tx = cr.zeros(3, dtype=getattr(cr, d)), torch.zeros(3, dtype=getattr(torch, d))
        pairs = [
            (x.new_ones(2, 3), tx.new_ones(2, 3)), (x.new_ones((2, 3)), tx.new_ones((2, 3))),
            (x.new_zeros(2), tx.new_zeros(2)), (x.new_empty(2, 1), tx.new_empty(2, 1)),
            (x.new_full((2,), 3), tx.new_full((2,), 3)),
            (x.new_tensor([1.5, 2]), tx.new_tensor([1.5, 2])),
            (x.new_zeros(2, dtype=cr.int16), tx.new_zeros(2, dtype=torch.int16)),
            (x.new_tensor([1], dtype=cr.bool_), tx.new_tensor([1], dtype=torch.bool)),
        ]
        for ours, theirs in pairs:
            assert dt(ours) == dt(theirs) and tuple(ours.shape) == tuple(theirs.shape)
            if ours is not pairs[3][0]:
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    f = cr.ones(2)
    assert f.new_ones(2, requires_grad=True).requires_grad
    data = np.ones(2, dtype=np.float32)
    assert not np.shares_memory(f.new_tensor(data).numpy(), data)
    raises_with(RuntimeError, lambda: f.new_zeros(2, device="cuda"), "CPU only")


# ----- in-place random fills ----------------------------------------------------------------
FILLS = {
    "uniform_": lambda x, g: x.uniform_(-2, 3, generator=g),
    "normal_": lambda x, g: x.normal_(1, 2, generator=g),
    "bernoulli_": lambda x, g: x.bernoulli_(0.3, generator=g),
    "random_": lambda x, g: x.random_(0, 10, generator=g),
    "exponential_": lambda x, g: x.exponential_(2, generator=g),
}


@pytest.mark.parametrize("name", list(FILLS))
def test_random_fill_statistics_and_generator(name):
    x = cr.zeros(20000, dtype=cr.float64)
    out = FILLS[name](x, cr.Generator(0))
    assert out is x and x._version == 1
    a = x.numpy()
    mean, std = {"uniform_": (0.5, 5 / 12**0.5), "normal_": (1, 2), "bernoulli_": (0.3, 0.21**0.5),
                 "random_": (4.5, 99**0.5 / 12**0.5 * 1.0), "exponential_": (0.5, 0.5)}[name]
    assert abs(a.mean() - mean) < 0.05 * max(std, 1) and abs(a.std() - std) < 0.05 * max(std, 1)
    y = cr.zeros(5, dtype=cr.float64)
    FILLS[name](y, cr.Generator(3))
    z = cr.zeros(5, dtype=cr.float64)
    FILLS[name](z, cr.Generator(3))
    assert y.tolist() == z.tolist()


def test_random_fill_ranges():
    assert set(cr.zeros(1000).bernoulli_(cr.tensor(1.0)).tolist()) == {1.0}
    u = cr.zeros(1000).uniform_(2, 3).numpy()
    assert (u >= 2).all() and (u < 3).all()
    r = cr.zeros(2000, dtype=cr.int8).random_(-5, 5).numpy()
    assert r.min() == -5 and r.max() == 4
    assert set(cr.zeros(1000, dtype=cr.int64).random_(3).tolist()) == {0, 1, 2}
    assert cr.zeros(2000, dtype=cr.uint8).random_().numpy().max() > 200
    assert set(cr.zeros(100, dtype=cr.bool_).random_().tolist()) == {False, True}
    f = cr.zeros(1000).random_().numpy()
    assert f.max() <= 2**24 and (f == np.round(f)).all()
    assert cr.zeros(3).uniform_(**{"from": 5, "to": 6}).min().item() >= 5


@pytest.mark.parametrize("fn,exc,frag", [
    (lambda: cr.zeros(2, dtype=cr.int64).uniform_(), NotImplementedError, "int64"),
    (lambda: cr.zeros(2).uniform_(1, 0), RuntimeError, "from=1 > to=0"),
    (lambda: cr.zeros(2).normal_(0, -1), RuntimeError, "std >= 0.0"),
    (lambda: cr.zeros(2, dtype=cr.int64).normal_(), NotImplementedError, "int64"),
    (lambda: cr.zeros(2).exponential_(0), RuntimeError, "lambda > 0.0"),
    (lambda: cr.zeros(2, dtype=cr.int64).exponential_(), RuntimeError, "floating point"),
    (lambda: cr.zeros(2).bernoulli_(2.0), RuntimeError, "[0, 1]"),
    (lambda: cr.zeros(2, dtype=cr.int64).random_(5, 3), RuntimeError, "from=5 >= to=3"),
    (lambda: cr.zeros(2, requires_grad=True).normal_(), RuntimeError, "normal_: a leaf"),
])
def test_random_fill_errors(fn, exc, frag):
    raises_with(exc, fn, frag)


def test_random_fill_follows_the_inplace_rules():
    w = cr.zeros(3, requires_grad=True)
    for name, fill in FILLS.items():
        raises_with(RuntimeError, lambda fill=fill: fill(w, None), name, "leaf")
    with cr.no_grad():
        w.uniform_(-1, 1)
    assert w._version == 1 and w.requires_grad and w.grad_fn is None
    # a tensor with history takes the fill's: no gradient flows to the old values (as torch)
    x, tx = cr.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    y, ty = x * 2, tx * 2
    y.normal_()
    ty.normal_()
    (y * x).sum().backward()
    (ty * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    assert ty.grad_fn is not None and y.grad_fn is not None
    # a saved tensor overwritten by a fill is caught by the version counter
    a = cr.ones(3, requires_grad=True)
    b = a * 1
    c = b * b
    b.uniform_()
    raises_with(RuntimeError, lambda: c.sum().backward(), "modified by an in-place operation")
