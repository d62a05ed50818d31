"""More movement ops against PyTorch float64: diagonals, triangles, flips, rotations, rolls,
repeat_interleave, unfold, the stacks and atleast_nd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, leaf, raises_with, rand, shapes

pytestmark = pytest.mark.torch


# ----- diagonals -------------------------------------------------------------------------------
@SETTINGS
@given(shapes(min_dims=2), st.integers(-3, 3), st.data())
def test_diagonal(shape, offset, data):
    nd = len(shape)
    d1 = data.draw(st.integers(-nd, nd - 1))
    d2 = data.draw(st.integers(-nd, nd - 1).filter(lambda d: d % nd != d1 % nd))
    check_op(lambda x: cr.diagonal(x, offset, d1, d2),
             lambda x: torch.diagonal(x, offset, d1, d2), [rand(shape)])
    check_op(lambda x: x.diagonal(offset=offset, dim1=d1, dim2=d2) * 2,
             lambda x: x.diagonal(offset=offset, dim1=d1, dim2=d2) * 2, [rand(shape)])


def test_diagonal_is_a_writable_view():
    x = cr.tensor(np.arange(12.0).reshape(3, 4))
    d = x.diagonal(1)
    assert d._base is x and np.shares_memory(d._data, x._data)
    d.mul_(10)
    np.testing.assert_array_equal(x._data[[0, 1, 2], [1, 2, 3]], [10, 60, 110])
    assert x._version == 1


@SETTINGS
@given(shapes(min_dims=1, max_dims=3), st.integers(-2, 2), st.data())
def test_diag_embed(shape, offset, data):
    nd = len(shape) + 1
    d1 = data.draw(st.integers(-nd, nd - 1))
    d2 = data.draw(st.integers(-nd, nd - 1).filter(lambda d: d % nd != d1 % nd))
    check_op(lambda x: cr.diag_embed(x, offset, d1, d2),
             lambda x: torch.diag_embed(x, offset, d1, d2), [rand(shape)])
    check_op(lambda x: x.diag_embed(), lambda x: x.diag_embed(), [rand(shape)])


@pytest.mark.parametrize("shape", [(0,), (1,), (3,), (0, 0), (2, 3), (4, 1), (3, 3)])
@pytest.mark.parametrize("k", [-2, 0, 1, 3])
def test_diag(shape, k):
    check_op(lambda x: cr.diag(x, k), lambda x: torch.diag(x, k), [rand(shape)])
    check_op(lambda x: x.diag(diagonal=k), lambda x: x.diag(diagonal=k), [rand(shape)])


def test_diag_of_a_matrix_is_a_copy():
    x = cr.tensor(np.ones((2, 2)))
    assert not np.shares_memory(cr.diag(x)._data, x._data)


@SETTINGS
@given(shapes(min_dims=2), st.integers(-4, 4))
def test_tril_triu(shape, k):
    check_op(lambda x: cr.tril(x, k), lambda x: torch.tril(x, k), [rand(shape)])
    check_op(lambda x: x.triu(k), lambda x: x.triu(k), [rand(shape)])


def test_tril_keeps_integer_dtype_and_zeroes_nonfinite():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = cr.tril(cr.tensor(a))
    assert out.dtype == cr.int32
    np.testing.assert_array_equal(out.numpy(), torch.tril(torch.tensor(a)).numpy())
    inf = cr.tensor([[1.0, np.inf], [np.nan, 2.0]])
    np.testing.assert_array_equal(cr.triu(inf).numpy(), [[1.0, np.inf], [0.0, 2.0]])


# ----- flips, rotations, rolls -------------------------------------------------------------------
@SETTINGS
@given(shapes(min_dims=2))
def test_fliplr_flipud(shape):
    check_op(cr.fliplr, torch.fliplr, [rand(shape)])
    check_op(lambda x: x.flipud(), lambda x: x.flipud(), [rand(shape)])


@SETTINGS
@given(shapes(min_dims=2), st.integers(-5, 5), st.data())
def test_rot90(shape, k, data):
    nd = len(shape)
    d0 = data.draw(st.integers(-nd, nd - 1))
    d1 = data.draw(st.integers(-nd, nd - 1).filter(lambda d: d % nd != d0 % nd))
    check_op(lambda x: cr.rot90(x, k, (d0, d1)), lambda x: torch.rot90(x, k, (d0, d1)),
             [rand(shape)])
    check_op(lambda x: x.rot90(), lambda x: x.rot90(), [rand(shape)])


def test_rot90_result_takes_inplace_writes():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    y = cr.rot90(x * 1)
    y.mul_(2)  # not a view of anything that requires grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones((2, 3)))


@SETTINGS
@given(shapes(min_dims=1), st.data())
def test_roll(shape, data):
    nd = len(shape)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=3))
    shifts = data.draw(st.lists(st.integers(-6, 6), min_size=len(dims), max_size=len(dims)))
    check_op(lambda x: cr.roll(x, shifts, dims), lambda x: torch.roll(x, shifts, dims),
             [rand(shape)])
    check_op(lambda x: x.roll(shifts[0]), lambda x: x.roll(shifts[0]), [rand(shape)])
    check_op(lambda x: x.roll(shifts[0], dims[0]), lambda x: x.roll(shifts[0], dims[0]),
             [rand(shape)])


def test_roll_0d_and_copy():
    check_op(lambda x: cr.roll(x, 3), lambda x: torch.roll(x, 3), [rand(())])
    x = cr.tensor([1.0, 2.0])
    assert not np.shares_memory(cr.roll(x, 2)._data, x._data)


@SETTINGS
@given(shapes(min_dims=0, max_dims=3), st.integers(0, 3), st.data())
def test_repeat_interleave(shape, r, data):
    check_op(lambda x: cr.repeat_interleave(x, r), lambda x: torch.repeat_interleave(x, r),
             [rand(shape)])
    if shape:
        nd = len(shape)
        d = data.draw(st.integers(-nd, nd - 1))
        reps = data.draw(st.lists(st.integers(0, 3), min_size=shape[d], max_size=shape[d]))
        check_op(lambda x: x.repeat_interleave(cr.tensor(reps, dtype=cr.int64), dim=d),
                 lambda x: x.repeat_interleave(torch.tensor(reps, dtype=torch.long), dim=d),
                 [rand(shape)])
        check_op(lambda x: x.repeat_interleave(cr.tensor([r]), d, output_size=shape[d] * r),
                 lambda x: x.repeat_interleave(torch.tensor([r]), d, output_size=shape[d] * r),
                 [rand(shape)])


def test_repeat_interleave_of_counts():
    out = cr.repeat_interleave(cr.tensor([1, 0, 3]))
    assert out.dtype == cr.int64
    assert out.tolist() == torch.repeat_interleave(torch.tensor([1, 0, 3])).tolist()


# ----- unfold ------------------------------------------------------------------------------------
@SETTINGS
@given(shapes(min_dims=1), st.data())
def test_unfold(shape, data):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    size = data.draw(st.integers(0, shape[d]))
    step = data.draw(st.integers(1, 3))
    check_op(lambda x: x.unfold(d, size, step), lambda x: x.unfold(d, size, step), [rand(shape)])


def test_unfold_0d_and_view():
    check_op(lambda x: x.unfold(0, 1, 2), lambda x: x.unfold(0, 1, 2), [rand(())])
    check_op(lambda x: x.unfold(-1, 0, 1), lambda x: x.unfold(-1, 0, 1), [rand(())])
    x = cr.tensor(np.arange(5.0))
    w = x.unfold(0, 2, 2)
    assert w._base is x and np.shares_memory(w._data, x._data)
    assert w.tolist() == [[0.0, 1.0], [2.0, 3.0]]


# ----- stacks ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes_", [
    [(), ()], [(3,), (3,)], [(0,), (2,)], [(2, 3), (2, 1)], [(1, 3), (2, 3)],
    [(2, 3, 1), (2, 3, 2)], [(2,), (2, 4)], [(3,)],
])
def test_stacks(fn, shapes_):
    arrays = [rand(s, i) for i, s in enumerate(shapes_)]
    try:
        expected = getattr(torch, fn)([torch.tensor(a) for a in arrays])
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(cr, fn)([cr.tensor(a) for a in arrays])
        return
    del expected
    check_op(lambda *xs: getattr(cr, fn)(list(xs)), lambda *xs: getattr(torch, fn)(list(xs)),
             arrays)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (0,), (2,), (2, 3), (1, 2, 3), (1, 2, 3, 4)])
def test_atleast(n, shape):
    fn, tfn = getattr(cr, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
    check_op(fn, tfn, [rand(shape)])
    a, b = fn(cr.tensor(rand(shape)), cr.tensor(rand((2,))))
    ta, tb = tfn(torch.tensor(rand(shape)), torch.tensor(rand((2,))))
    assert (a.shape, b.shape) == (tuple(ta.shape), tuple(tb.shape))
    (c,) = fn([cr.tensor(rand(shape))])
    assert c.shape == tuple(tfn([torch.tensor(rand(shape))])[0].shape)


# ----- errors ----------------------------------------------------------------------------------
def test_errors():
    x = leaf((2, 3))
    raises_with(RuntimeError, lambda: cr.diagonal(x, 0, 1, -1), "diagonal", "identical")
    raises_with(RuntimeError, lambda: cr.diagonal(leaf((3,))), "diagonal", "(3,)")
    raises_with(IndexError, lambda: cr.diagonal(x, 0, 0, 2), "diagonal")
    raises_with(RuntimeError, lambda: cr.diag(leaf((2, 2, 2))), "diag", "3D")
    raises_with(RuntimeError, lambda: cr.tril(leaf((3,))), "tril", "at least 2")
    raises_with(RuntimeError, lambda: cr.fliplr(leaf((3,))), "fliplr", ">= 2-d")
    raises_with(RuntimeError, lambda: cr.flipud(leaf(())), "flipud", ">= 1-d")
    raises_with(RuntimeError, lambda: cr.rot90(x, 1, [0, 0]), "rot90", "different")
    raises_with(RuntimeError, lambda: cr.rot90(x, 1, [0]), "rot90", "dims = 1")
    raises_with(RuntimeError, lambda: cr.roll(x, (1, 2)), "roll", "align")
    raises_with(RuntimeError, lambda: cr.roll(x, 1, (0, 1)), "roll", "align")
    raises_with(RuntimeError, lambda: x.repeat_interleave(cr.tensor([1, 2, 3]), 0),
                "repeat_interleave", "repeats.size(0) = 3", "input.size(0) = 2")
    raises_with(RuntimeError, lambda: x.repeat_interleave(cr.tensor([-1, 2]), 0), "negative")
    raises_with(RuntimeError, lambda: x.repeat_interleave(-1), "non-negative")
    raises_with(RuntimeError, lambda: x.repeat_interleave(2, 0, output_size=5), "output_size")
    raises_with(RuntimeError, lambda: x.unfold(1, 4, 1), "unfold", "maximum size", "is 3")
    raises_with(RuntimeError, lambda: x.unfold(1, 2, 0), "unfold", "step is 0")
    raises_with(IndexError, lambda: x.unfold(2, 1, 1), "unfold")
    raises_with(RuntimeError, lambda: cr.hstack([]), "hstack", "non-empty")
    raises_with(RuntimeError, lambda: cr.vstack([leaf((2,)), leaf((3,))]), "cat")
