"""More indexing ops against PyTorch float64: index_add/copy/fill, masked_select/scatter,
nonzero/argwhere, take, take_along_dim, scatter_reduce, and the in-place forms (scatter_,
scatter_add_, fill_diagonal_, tril_/triu_, ...)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, leaf, raises_with, rand, shapes

pytestmark = pytest.mark.torch


def both(a, dtype="int64"):
    """The same integer/bool array as a chainrule and a torch tensor."""
    a = np.asarray(a, dtype=dtype)
    return cr.tensor(a), torch.tensor(a)


@st.composite
def dim_and_index(draw, shape, min_len=0, negative=False):
    """A dim of shape (0-d counts as 1-D) and a 1-D index into it of up to 4 entries."""
    nd = max(len(shape), 1)
    d = draw(st.integers(-nd, nd - 1))
    n = shape[d] if shape else 1
    if n == 0:
        return d, []
    lo = -n if negative else 0
    return d, draw(st.lists(st.integers(lo, n - 1), min_size=min_len, max_size=4))


# ----- index_add, index_copy, index_fill ---------------------------------------------------------
@SETTINGS
@given(shapes(max_dims=3), st.data(), st.sampled_from([1, -2.5]))
def test_index_add(shape, data, alpha):
    d, idx = data.draw(dim_and_index(shape))
    ci, ti = both(idx)
    sshape = list(shape) or [1]
    sshape[d] = len(idx)
    sshape = tuple(sshape) if shape else (len(idx),) if len(idx) != 1 else ()
    if not shape and len(idx) != 1:
        return
    check_op(lambda x, s: cr.index_add(x, d, ci, s, alpha=alpha),
             lambda x, s: torch.index_add(x, d, ti, s, alpha=alpha), [rand(shape), rand(sshape, 1)])
    check_op(lambda x, s: (x * 1).index_add_(d, ci, s, alpha=alpha),
             lambda x, s: (x * 1).index_add_(d, ti, s, alpha=alpha),
             [rand(shape), rand(sshape, 1)])


@SETTINGS
@given(shapes(min_dims=1, max_dims=3), st.data())
def test_index_copy(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    idx = data.draw(st.permutations(range(shape[d])))[: data.draw(st.integers(0, shape[d]))]
    ci, ti = both(idx)
    sshape = list(shape)
    sshape[d] = len(idx)
    check_op(lambda x, s: x.index_copy(d, ci, s), lambda x, s: x.index_copy(d, ti, s),
             [rand(shape), rand(tuple(sshape), 1)])
    check_op(lambda x, s: (x * 1).index_copy_(d, ci, s), lambda x, s: (x * 1).index_copy_(d, ti, s),
             [rand(shape), rand(tuple(sshape), 1)])


@SETTINGS
@given(shapes(max_dims=3), st.data())
def test_index_fill(shape, data):
    d, idx = data.draw(dim_and_index(shape, negative=True))
    ci, ti = both(idx)
    check_op(lambda x: cr.index_fill(x, d, ci, -1.5), lambda x: torch.index_fill(x, d, ti, -1.5),
             [rand(shape)])
    if not shape:
        return  # torch's gradient of a 0-d value fails for a 0-d input (its bug)
    ci, ti = both(np.asarray(idx, dtype=np.int64) % shape[d])  # nor can it wrap negative ones
    # a 0-d value tensor gets the sum of g over the filled positions (each counted once)
    check_op(lambda x, v: x.index_fill(d, ci, v), lambda x, v: x.index_fill(d, ti, v),
             [rand(shape), rand((), 1)])
    check_op(lambda x, v: (x * 1).index_fill_(d, ci, v), lambda x, v: (x * 1).index_fill_(d, ti, v),
             [rand(shape), rand((), 1)])


# ----- masks -------------------------------------------------------------------------------------
@SETTINGS
@given(shapes(max_dims=3), st.data())
def test_masked_select_and_scatter(shape, data):
    mshape = data.draw(st.sampled_from([shape, shape[1:], (1, *shape)]))
    m = data.draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                           max_size=int(np.prod(mshape))))
    cm, tm = both(np.reshape(m, mshape), bool)
    check_op(lambda x: cr.masked_select(x, cm), lambda x: torch.masked_select(x, tm),
             [rand(shape)])
    n = int(np.broadcast_to(np.reshape(m, mshape), np.broadcast_shapes(shape, mshape)).sum())
    check_op(lambda x, s: x.masked_scatter(cm, s), lambda x, s: x.masked_scatter(tm, s),
             [rand(shape), rand((n + 2,), 1)])
    if np.broadcast_shapes(shape, mshape) == shape:
        check_op(lambda x, s: (x * 1).masked_scatter_(cm, s.reshape(-1, 1)),
                 lambda x, s: (x * 1).masked_scatter_(tm, s.reshape(-1, 1)),
                 [rand(shape), rand((n,), 1)])


# ----- nonzero, take -----------------------------------------------------------------------------
@SETTINGS
@given(shapes(max_dims=3), st.data())
def test_nonzero_argwhere(shape, data):
    a = np.asarray(data.draw(st.lists(st.sampled_from([0.0, 1.5, -2.0]),
                                      min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))
    a = a.reshape(shape)
    c, t = cr.tensor(a), torch.tensor(a)
    for ours, theirs in [(cr.nonzero(c), torch.nonzero(t)), (c.argwhere(), t.argwhere())]:
        assert ours.dtype == cr.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours, theirs = c.nonzero(as_tuple=True), torch.nonzero(t, as_tuple=True)
    assert len(ours) == len(theirs)
    for o, th in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.numpy(), th.numpy())


@SETTINGS
@given(shapes(max_dims=3, min_side=1), shapes(max_dims=2), st.data())
def test_take(shape, ishape, data):
    n = int(np.prod(shape))
    idx = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)),
                                        max_size=int(np.prod(ishape))))).reshape(ishape)
    ci, ti = both(idx)
    check_op(lambda x: cr.take(x, ci), lambda x: torch.take(x, ti), [rand(shape)])


@SETTINGS
@given(shapes(min_dims=1, max_dims=3, min_side=1), st.data())
def test_take_along_dim(shape, data):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    ishape = [data.draw(st.sampled_from([1, n])) for n in shape]
    ishape[d] = data.draw(st.integers(0, 3))
    n = shape[d]
    # non-negative: torch wraps negative indices only where it broadcasts (we always do)
    idx = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(ishape)),
                                        max_size=int(np.prod(ishape))))).reshape(ishape)
    ci, ti = both(idx)
    check_op(lambda x: cr.take_along_dim(x, ci, d), lambda x: torch.take_along_dim(x, ti, d),
             [rand(shape)])
    check_op(lambda x: x.take_along_dim(ci), lambda x: x.take_along_dim(ti), [rand(shape)])


# ----- scatter_reduce ----------------------------------------------------------------------------
@st.composite
def scatter_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1))
    nd = len(shape)
    d = draw(st.integers(-nd, nd - 1))
    ishape = [draw(st.integers(0, n)) for n in shape]
    ishape[d] = draw(st.integers(0, 4))
    idx = np.asarray(draw(st.lists(st.integers(0, shape[d] - 1), min_size=int(np.prod(ishape)),
                                   max_size=int(np.prod(ishape))))).reshape(ishape)
    # src as index (torch's gradients for a larger src are wrong: test_scatter_larger_src)
    return shape, d, idx, tuple(ishape)


@SETTINGS
@given(scatter_case(), st.sampled_from(["sum", "mean", "amax", "amin", "prod"]), st.booleans(),
       st.booleans())
def test_scatter_reduce(case, reduce, include_self, ties):
    shape, d, idx, sshape = case
    ci, ti = both(idx)
    x, s = rand(shape), rand(sshape, 1)
    if ties:  # few distinct values: amax/amin ties (split evenly), prod zeros
        x, s = np.round(x).clip(-1, 1), np.round(s).clip(-1, 1)
    check_op(lambda x, s: cr.scatter_reduce(x, d, ci, s, reduce, include_self=include_self),
             lambda x, s: torch.scatter_reduce(x, d, ti, s, reduce, include_self=include_self),
             [x, s], second_order=reduce != "prod" or not ties)
    check_op(lambda x, s: (x * 1).scatter_reduce_(d, ci, s, reduce, include_self=include_self),
             lambda x, s: (x * 1).scatter_reduce_(d, ti, s, reduce, include_self=include_self),
             [x, s], second_order=False)


def test_scatter_reduce_integer_mean_and_0d():
    x, t = both([0, 1, 2])
    i, ti = both([0, 0, 1])
    s, ts = both([5, 6, 3])
    for inc in (True, False):
        ours = cr.scatter_reduce(x, 0, i, s, "mean", include_self=inc)
        assert ours.dtype == cr.int64
        assert ours.tolist() == torch.scatter_reduce(t, 0, ti, ts, "mean",
                                                     include_self=inc).tolist()
    check_op(lambda x, s: cr.scatter_reduce(x, 0, cr.tensor(0), s, "amax"),
             lambda x, s: torch.scatter_reduce(x, 0, torch.tensor(0), s, "amax"),
             [rand(()), rand((), 1)])


# ----- scatter_, scatter_add_ --------------------------------------------------------------------
@SETTINGS
@given(scatter_case())
def test_scatter_inplace(case):
    shape, d, idx, sshape = case
    ci, ti = both(idx)
    check_op(lambda x, s: (x * 1).scatter_add_(d, ci, s),
             lambda x, s: (x * 1).scatter_add_(d, ti, s),
             [rand(shape), rand(sshape, 1)])
    # scatter_ with repeated indices is nondeterministic in torch: one index per position
    uniq = np.argsort(np.random.default_rng(0).random(idx.shape), axis=d) % shape[d]
    if idx.shape[d] > shape[d]:
        return
    cu, tu = both(uniq)
    check_op(lambda x, s: (x * 1).scatter_(d, cu, s), lambda x, s: (x * 1).scatter_(d, tu, s),
             [rand(shape), rand(sshape, 1)])
    check_op(lambda x: (x * 1).scatter_(d, cu, 2.5), lambda x: (x * 1).scatter_(d, tu, 2.5),
             [rand(shape)])


def test_scatter_larger_src():
    # only src[:index.shape] is read; the rest gets a zero gradient
    ci, ti = both([[1, 0], [1, 1]])
    s = rand((3, 4), 1)
    for reduce in ("sum", "prod", "amax", "mean"):
        ours = cr.scatter_reduce(cr.tensor(rand((2, 3))), 0, ci, cr.tensor(s), reduce)
        theirs = torch.scatter_reduce(torch.tensor(rand((2, 3))), 0, ti, torch.tensor(s), reduce)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    src = leaf((3, 4), 1)
    cr.scatter_reduce(cr.tensor(rand((2, 3))), 0, ci, src, "prod").sum().backward()
    assert (src.grad.numpy()[2:] == 0).all() and (src.grad.numpy()[:, 2:] == 0).all()
    check_op(lambda x, s: (x * 1).scatter_add_(0, ci, s[:2, :2]),
             lambda x, s: (x * 1).scatter_add_(0, ti, s[:2, :2]), [rand((2, 3)), s])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_legacy_reduce(reduce):
    # torch has no derivative here (we give scatter_reduce's): compare values
    ci, ti = both([[1, 0, 1], [1, 1, 0]])
    x, s = rand((2, 3)), rand((2, 3), 1)
    ours = cr.tensor(x).scatter_(0, ci, cr.tensor(s), reduce=reduce)
    np.testing.assert_allclose(
        ours.numpy(), torch.tensor(x).scatter_(0, ti, torch.tensor(s), reduce=reduce).numpy())
    ours = cr.ones(2, 3).scatter_(0, ci, 3.0, reduce=reduce)
    theirs = torch.ones(2, 3).scatter_(0, ti, 3.0, reduce=reduce)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ----- fill_diagonal_, tril_, triu_ --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 3), (2, 5), (7, 3), (3, 3, 3), (2, 2, 2, 2)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_(shape, wrap):
    check_op(lambda x: (x * 1).fill_diagonal_(-4.0, wrap),
             lambda x: (x * 1).fill_diagonal_(-4.0, wrap),
             [rand(shape)])
    x = cr.tensor(rand(shape))
    x.fill_diagonal_(7, wrap=wrap)
    assert x._version == 1
    np.testing.assert_array_equal(x.numpy(),
                                  torch.tensor(rand(shape)).fill_diagonal_(7, wrap=wrap).numpy())


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu_inplace(k):
    check_op(lambda x: (x * 1).tril_(k), lambda x: (x * 1).tril_(k), [rand((2, 3, 4))])
    check_op(lambda x: (x * 1).triu_(k), lambda x: (x * 1).triu_(k), [rand((4, 3))])


def test_inplace_semantics():
    x = leaf((3, 3))
    raises_with(RuntimeError, lambda: x.fill_diagonal_(1.0), "fill_diagonal_", "leaf")
    raises_with(RuntimeError, lambda: x.tril_(), "tril_", "leaf")
    raises_with(RuntimeError, lambda: x.index_add_(0, cr.tensor([0]), leaf((1, 3))),
                "index_add_", "leaf")
    with cr.no_grad():  # an optimizer's write: no history, one version bump
        x.index_fill_(1, cr.tensor([0]), 0.0).scatter_add_(0, cr.tensor([[1]]), cr.ones(1, 1,
                                                                                       dtype=cr.float64))
    assert x.grad_fn is None and x._version == 2 and x[0, 0].item() == 0.0
    # a saved tensor written in place is caught at backward
    y = leaf((2, 2)) * 1
    z = (y * y).sum()
    y.triu_()
    raises_with(RuntimeError, z.backward, "modified by an in-place operation")
    # history: the write is recorded on a non-leaf
    w = leaf((2, 3)) * 1
    w.index_copy_(1, cr.tensor([2, 0]), leaf((2, 2), 1))
    assert w.grad_fn is not None and w._version == 1


# ----- errors ------------------------------------------------------------------------------------
def test_errors():
    x = leaf((2, 3))
    i = cr.tensor([0, 1])
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, cr.tensor([0, 5]), leaf((2, 3))),
                "index_add_", "index 5 is out of bounds", "size 2")
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, cr.tensor([-1, 1]), leaf((2, 3))),
                "index -1 is out of bounds")
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, i, leaf((3, 3))),
                "Number of indices (2)", "(3)")
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, i, leaf((2, 4))),
                "source tensor shape must match", "[2, 3]", "[2, 4]")
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, cr.tensor([0.0, 1.0]), leaf((2, 3))),
                "int32/int64", "float32")
    raises_with(RuntimeError, lambda: cr.index_add(x, 0, i, cr.ones(2, 3)), "same scalar type")
    raises_with(IndexError, lambda: cr.index_copy(x, 0, cr.tensor([5, 1]), leaf((2, 3))),
                "index_copy_", "index 5")
    raises_with(IndexError, lambda: cr.index_fill(x, 1, cr.tensor([5]), 7), "index 5")
    raises_with(RuntimeError, lambda: cr.index_fill(x, 1, cr.tensor([[0]]), 7), "vector")
    raises_with(RuntimeError, lambda: cr.index_fill(x, 1, i, leaf((2,))), "0-dimensional")
    raises_with(RuntimeError, lambda: cr.masked_select(x, cr.tensor([1, 0, 1])), "BoolTensor")
    raises_with(RuntimeError, lambda: cr.masked_select(x, cr.tensor([True, False])),
                "masked_select", "(2, 3)", "(2,)")
    raises_with(RuntimeError, lambda: cr.masked_scatter(x, cr.tensor([True, False, True]),
                                                        leaf((3,))), "Number of elements")
    raises_with(RuntimeError, lambda: cr.take(x, cr.tensor([1.0])), "take", "long")
    raises_with(IndexError, lambda: cr.take(x, cr.tensor([6])), "index 6", "6 elements")
    raises_with(RuntimeError, lambda: cr.take_along_dim(x, cr.tensor([0]), 1),
                "same number of dimensions")
    raises_with(IndexError, lambda: cr.take_along_dim(x, cr.tensor([[3]]), 1), "index 3")
    raises_with(RuntimeError, lambda: cr.scatter_reduce(x, 0, cr.tensor([[0]]), leaf((1, 1)),
                                                        "foo"), "sum, prod, mean, amax or amin")
    raises_with(RuntimeError, lambda: cr.scatter_reduce(x, 0, cr.tensor([[0]]), cr.ones(1, 1),
                                                        "sum"), "dtype")
    raises_with(RuntimeError, lambda: cr.scatter_reduce(x, 0, cr.tensor([[2]]), leaf((1, 1)),
                                                        "sum"), "index 2 is out of bounds")
    y = cr.ones(2, 3)
    raises_with(RuntimeError, lambda: y.scatter_(0, cr.tensor([[0]]), 1.0, reduce="max"),
                "add or multiply")
    raises_with(RuntimeError, lambda: cr.ones(2).fill_diagonal_(1), "larger than 1")
    raises_with(RuntimeError, lambda: cr.ones(2, 3, 2).fill_diagonal_(1), "equal length")
