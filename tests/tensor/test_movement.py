"""Movement ops against PyTorch float64: values, gradients, second derivatives; views; errors."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, leaf, raises_with, rand, shapes

pytestmark = pytest.mark.torch





# ----- reshape family ------------------------------------------------------------------------
@SETTINGS
@given(shape=shapes(), data=st.data())
def test_reshape_view(shape, data):
    n = math.prod(shape)
    target = data.draw(st.sampled_from([(-1,), (1, -1), tuple(reversed(shape)), (n, 1), ()
                                        if n == 1 else (-1, 1)]))
    check_op(lambda x: x.reshape(target), lambda x: x.reshape(target), [rand(shape)])
    check_op(lambda x: x.view(target), lambda x: x.view(target), [rand(shape)])


@SETTINGS
@given(shape=shapes(), data=st.data())
def test_flatten(shape, data):
    nd = max(len(shape), 1)
    s = data.draw(st.integers(-nd, nd - 1))
    e = data.draw(st.integers(s % nd, nd - 1))
    check_op(lambda x: x.flatten(s, e), lambda x: x.flatten(s, e), [rand(shape)])
    check_op(cr.flatten, torch.flatten, [rand(shape)])


@SETTINGS
@given(shape=shapes(min_dims=1), data=st.data())
def test_unflatten(shape, data):
    d = data.draw(st.integers(0, len(shape) - 1))
    sizes = (shape[d], 1) if data.draw(st.booleans()) else (-1, 1)
    check_op(lambda x: x.unflatten(d, sizes), lambda x: x.unflatten(d, sizes), [rand(shape)])


@SETTINGS
@given(shape=shapes(), data=st.data())
def test_squeeze(shape, data):
    nd = max(len(shape), 1)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                              st.lists(st.integers(0, nd - 1), unique=True).map(tuple)))
    if len(shape) == 0 and isinstance(dim, tuple) and dim:
        dim = 0
    check_op(lambda x: x.squeeze(dim), lambda x: x.squeeze() if dim is None else x.squeeze(dim),
             [rand(shape)])


@SETTINGS
@given(shape=shapes(), data=st.data())
def test_unsqueeze(shape, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda x: x.unsqueeze(dim), lambda x: x.unsqueeze(dim), [rand(shape)])


@SETTINGS
@given(shape=shapes(max_dims=3, min_side=1), data=st.data())
def test_expand(shape, data):
    lead = data.draw(st.lists(st.integers(0, 3), max_size=2))
    target = [*lead, *(data.draw(st.integers(0, 3)) if n == 1 else
                       data.draw(st.sampled_from([n, -1])) for n in shape)]
    check_op(lambda x: x.expand(*target), lambda x: x.expand(target), [rand(shape)])
    check_op(lambda x: cr.broadcast_to(x, tuple(target)) if -1 not in target else x.expand(target),
             lambda x: x.expand(target), [rand(shape)])


# ----- permutations --------------------------------------------------------------------------
@SETTINGS
@given(shape=shapes(), data=st.data())
def test_transpose_permute_movedim(shape, data):
    nd = max(len(shape), 1)
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    check_op(lambda x: x.transpose(d0, d1), lambda x: x.transpose(d0, d1), [rand(shape)])
    perm = data.draw(st.permutations(range(len(shape))))
    check_op(lambda x: x.permute(*perm), lambda x: x.permute(perm), [rand(shape)])
    check_op(lambda x: cr.permute(x, perm), lambda x: torch.permute(x, perm), [rand(shape)])
    if shape:
        src = data.draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
        dst = data.draw(st.permutations(range(nd)))[: len(src)]
        check_op(lambda x: x.movedim(src, dst), lambda x: x.movedim(src, dst), [rand(shape)])


@SETTINGS
@given(shape=shapes())
def test_T_and_mT(shape):
    check_op(lambda x: x.T, lambda x: x.permute(tuple(reversed(range(x.ndim)))), [rand(shape)])
    if len(shape) >= 2:
        check_op(lambda x: x.mT, lambda x: x.mT, [rand(shape)])


# ----- joining and splitting -----------------------------------------------------------------
@SETTINGS
@given(shape=shapes(min_dims=1), data=st.data())
def test_cat(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    arrays = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[d] = n
        arrays.append(rand(tuple(s), k))
    check_op(lambda *xs: cr.cat(xs, d), lambda *xs: torch.cat(xs, d), arrays)
    check_op(lambda *xs: cr.cat(list(xs), dim=d), lambda *xs: torch.cat(xs, dim=d), arrays)


@SETTINGS
@given(shape=shapes(max_dims=3), k=st.integers(1, 3), data=st.data())
def test_stack(shape, k, data):
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [rand(shape, i) for i in range(k)]
    check_op(lambda *xs: cr.stack(xs, d), lambda *xs: torch.stack(xs, d), arrays)


def _joined(pieces):  # one tensor holding every piece (for check_op), torch or chainrule
    mod = torch if isinstance(pieces[0], torch.Tensor) else cr
    return mod.cat([p.reshape(-1) * (k + 1) for k, p in enumerate(pieces)])


@SETTINGS
@given(shape=shapes(min_dims=1), data=st.data())
def test_split_chunk(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[d]
    size = data.draw(st.integers(1 if n else 0, 4))
    sections = data.draw(st.lists(st.integers(0, n), min_size=1, max_size=3).filter(
        lambda s: sum(s) <= n))
    sections = [*sections, n - sum(sections)]
    chunks = data.draw(st.integers(1, 5))
    x = rand(shape)
    for ours, theirs in [
        (lambda t: t.split(size, d), lambda t: t.split(size, d)),
        (lambda t: cr.split(t, sections, dim=d), lambda t: torch.split(t, sections, dim=d)),
        (lambda t: t.chunk(chunks, d), lambda t: t.chunk(chunks, d)),
        (lambda t: t.unbind(d), lambda t: t.unbind(d)),
    ]:
        got, want = ours(cr.tensor(x)), theirs(torch.tensor(x))
        assert isinstance(got, tuple)
        assert [p.shape for p in got] == [tuple(p.shape) for p in want]
        if want and all(p.numel() for p in want):
            check_op(lambda t, f=ours: _joined(f(t)), lambda t, f=theirs: _joined(f(t)), [x])


@SETTINGS
@given(shape=shapes(min_dims=1), data=st.data())
def test_narrow(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[d]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - start % n if n and start != n else 0))
    check_op(lambda x: x.narrow(d, start, length), lambda x: x.narrow(d, start, length),
             [rand(shape)])


# ----- flip, repeat, pad ---------------------------------------------------------------------
@SETTINGS
@given(shape=shapes(), data=st.data())
def test_flip(shape, data):
    nd = max(len(shape), 1)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda d: d % nd, max_size=nd))
    check_op(lambda x: x.flip(dims), lambda x: x.flip(dims), [rand(shape)])
    check_op(lambda x: cr.flip(x, dims), lambda x: torch.flip(x, dims), [rand(shape)])


@SETTINGS
@given(shape=shapes(max_dims=3), data=st.data())
def test_repeat_tile(shape, data):
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2))
    check_op(lambda x: x.repeat(*sizes), lambda x: x.repeat(sizes), [rand(shape)])
    check_op(lambda x: x.repeat(sizes), lambda x: x.repeat(sizes), [rand(shape)])
    dims = sizes[: data.draw(st.integers(0, len(sizes)))]
    check_op(lambda x: x.tile(dims), lambda x: x.tile(dims), [rand(shape)])


@SETTINGS
@given(shape=shapes(min_dims=1), data=st.data())
def test_pad_constant(shape, data):
    k = data.draw(st.integers(1, len(shape)))
    pads = []
    for n in reversed(shape[len(shape) - k:]):
        left = data.draw(st.integers(-n, 3))
        pads += [left, data.draw(st.integers(-min(n, n + left), 3))]
    value = data.draw(st.sampled_from([0.0, 1.5]))
    check_op(lambda x: cr.pad(x, pads, value=value), lambda x: F.pad(x, pads, value=value),
             [rand(shape)])


@SETTINGS
@given(data=st.data(), mode=st.sampled_from(["reflect", "replicate", "circular"]))
def test_pad_modes(data, mode):
    k = data.draw(st.integers(1, 3))
    shape = data.draw(hnp.array_shapes(min_dims=k + 1, max_dims=k + 2, min_side=2, max_side=4))
    pads = []
    for n in reversed(shape[len(shape) - k:]):
        hi = n - 1 if mode == "reflect" else n
        pads += [data.draw(st.integers(0, hi)), data.draw(st.integers(0, hi))]
    check_op(lambda x: cr.pad(x, pads, mode=mode), lambda x: F.pad(x, pads, mode=mode),
             [rand(shape)])


# ----- views, dtypes, gradcheck --------------------------------------------------------------
VIEWS = [
    lambda x: x.reshape(4, 6),
    lambda x: x.view(-1),
    lambda x: x.transpose(0, 2),
    lambda x: x.permute(2, 0, 1),
    lambda x: x.mT,
    lambda x: x.T,
    lambda x: x.unsqueeze(1),
    lambda x: x.unsqueeze(0).squeeze(0),
    lambda x: x.expand(5, 2, 3, 4),
    lambda x: x.narrow(1, 1, 2),
    lambda x: x.split(1)[1],
    lambda x: x.chunk(2, 2)[0],
    lambda x: x.unbind(1)[2],
    lambda x: x.flatten(1),
]


@pytest.mark.parametrize("op", VIEWS)
def test_views_share_storage(op):
    x = cr.randn(2, 3, 4, dtype=cr.float64)
    y = op(x)
    assert y._base is x
    assert y._version_counter is x._version_counter
    assert np.shares_memory(y._data, x._data)


@pytest.mark.parametrize("op", [
    lambda x: x.flip(0), lambda x: x.repeat(1, 1, 1), lambda x: cr.cat([x, x]),
    lambda x: cr.stack([x]), lambda x: cr.pad(x, (1, 1)), lambda x: cr.pad(x, (0, 0)),
    lambda x: cr.pad(x, (-1, 0)), lambda x: cr.pad(x, (1, 1), mode="reflect"),
])
def test_copies_do_not_alias(op):
    x = cr.randn(2, 3, 4, dtype=cr.float64)
    y = op(x)
    assert y._base is None
    assert not np.shares_memory(y._data, x._data)


def test_reshape_of_a_non_contiguous_tensor_copies_and_view_refuses():
    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    t = x.T
    y = t.reshape(-1)  # no strides give this layout: a copy, as PyTorch's (not a view)
    assert y._base is None and not np.shares_memory(y._data, x._data)
    check_op(lambda a: a.T.reshape(-1), lambda a: a.T.reshape(-1), [rand((3, 4))])
    assert t.reshape(4, 1, 3)._base is x  # only size-1 dims added: still a view
    raises_with(RuntimeError, lambda: t.view(12), "view", "(4, 3)", "reshape")
    raises_with(RuntimeError, lambda: t.flatten().view(2, 7), "(2, 7)", "12")


def test_cat_promotes_like_torch():
    a, b = cr.ones(2, dtype=cr.float32), cr.tensor([1, 2])
    assert cr.cat([a, b]).dtype == cr.float32
    assert cr.cat([b, cr.tensor([True])]).dtype == cr.int64
    x = cr.randn(2, 3, requires_grad=True)
    out = cr.cat([x, cr.tensor([], dtype=cr.float32)])  # legacy: 1-D empty tensors are skipped
    assert out.shape == (2, 3)
    out.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_repeat_backward_sums_the_tiles():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.repeat(3, 2).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


GRADCHECK = [
    (lambda x: x.reshape(3, 2), (2, 3)),
    (lambda x: x.flatten(), (2, 3)),
    (lambda x: x.permute(1, 0), (2, 3)),
    (lambda x: x.transpose(0, 1), (2, 3)),
    (lambda x: x.mT, (2, 3)),
    (lambda x: x.movedim(0, 1), (2, 3)),
    (lambda x: x.unflatten(1, (3, 1)), (2, 3)),
    (lambda x: x.unbind(1), (2, 3)),
    (lambda x: x.tile(2), (2, 3)),
    (lambda x: x.squeeze(), (2, 1, 3)),
    (lambda x: x.unsqueeze(1), (2, 3)),
    (lambda x: x.expand(2, 2, 3), (2, 3)),
    (lambda x: cr.cat([x, x * 2], 1), (2, 3)),
    (lambda x: cr.stack([x, x * x], 0), (2, 3)),
    (lambda x: x.split([1, 2], 1), (2, 3)),
    (lambda x: x.chunk(2, 1), (2, 3)),
    (lambda x: x.narrow(1, 1, 2), (2, 3)),
    (lambda x: x.flip(0, 1), (2, 3)),
    (lambda x: x.repeat(2, 1, 2), (2, 3)),
    (lambda x: cr.pad(x, (1, -1, 2, 0), value=3.0), (2, 3)),
    (lambda x: cr.pad(x, (2, 1), mode="reflect"), (2, 3)),
    (lambda x: cr.pad(x, (2, 1), mode="replicate"), (2, 3)),
    (lambda x: cr.pad(x, (2, 1), mode="circular"), (2, 3)),
]


@pytest.mark.parametrize(("fn", "shape"), GRADCHECK)
def test_gradcheck_gradgradcheck(fn, shape):
    # multiply by x so that second derivatives are not identically zero
    def f(x):
        out = fn(x)
        return tuple(o * o for o in out) if isinstance(out, tuple) else out * out

    assert cr.gradcheck(f, leaf(shape))
    assert cr.gradgradcheck(f, leaf(shape))


# ----- errors --------------------------------------------------------------------------------


def test_errors():
    x = cr.randn(2, 3)
    raises_with(RuntimeError, lambda: x.reshape(4, 2), "(4, 2)", "(2, 3)", "size 6")
    raises_with(RuntimeError, lambda: x.view(-1, -1), "(-1, -1)")
    raises_with(RuntimeError, lambda: x.expand(2, 4), "(2, 4)", "(2, 3)")
    raises_with(RuntimeError, lambda: x.expand(3), "(2, 3)")
    raises_with(RuntimeError, lambda: cr.cat([x, cr.randn(2, 4)]),
            "cat: sizes of tensors must match except in dimension 0: got (2, 3) and (2, 4)")
    raises_with(RuntimeError, lambda: cr.cat([x, x, cr.randn(3, 2)], 1),
            "dimension 1: got (2, 3), (2, 3) and (3, 2)")
    raises_with(RuntimeError, lambda: cr.cat([x, cr.randn(3)]), "(2, 3) and (3,)")
    raises_with(RuntimeError, lambda: cr.cat([cr.tensor(1.0)]), "zero-dimensional")
    raises_with(ValueError, lambda: cr.cat([]), "non-empty")
    raises_with(TypeError, lambda: cr.cat(x), "sequence")
    raises_with(IndexError, lambda: cr.cat([x, x], 2), "Dimension out of range")
    raises_with(RuntimeError, lambda: cr.stack([x, cr.randn(2, 4)]), "(2, 3)", "(2, 4)")
    raises_with(RuntimeError, lambda: x.permute(0), "(2, 3)")
    raises_with(RuntimeError, lambda: x.permute(0, 0), "duplicate")
    raises_with(IndexError, lambda: x.transpose(0, 2), "Dimension out of range")
    raises_with(IndexError, lambda: x.squeeze(2), "Dimension out of range")
    raises_with(IndexError, lambda: x.unsqueeze(3), "Dimension out of range")
    raises_with(RuntimeError, lambda: cr.randn(3).mT, "(3,)")
    raises_with(RuntimeError, lambda: x.flatten(1, 0), "start_dim")
    raises_with(RuntimeError, lambda: x.split([1, 2]), "sum exactly to 2", "(2, 3)")
    raises_with(RuntimeError, lambda: x.split(0), "split_size")
    raises_with(RuntimeError, lambda: x.chunk(0), "greater than 0")
    raises_with(RuntimeError, lambda: x.narrow(1, 2, 2), "exceeds dimension size (3)")
    raises_with(IndexError, lambda: x.narrow(1, 4, 0), "start out of range")
    raises_with(RuntimeError, lambda: x.flip(0, 0), "multiple times")
    raises_with(RuntimeError, lambda: x.repeat(2), "(2, 3)")
    raises_with(RuntimeError, lambda: cr.pad(x, (1, 2, 3)), "divisible by 2")
    raises_with(RuntimeError, lambda: cr.pad(x, (1,) * 6), "(2, 3)")
    raises_with(RuntimeError, lambda: cr.pad(x, (-2, -2)), "negative output size", "(2, 3)")
    raises_with(RuntimeError, lambda: cr.pad(x, (3, 0), mode="reflect"), "(3, 0)", "(2, 3)")
    raises_with(NotImplementedError, lambda: cr.pad(x, (1, 1), mode="wrap"), "wrap")
    raises_with(ValueError, lambda: cr.pad(x, (1, 1), mode="reflect", value=2.0), "value")
