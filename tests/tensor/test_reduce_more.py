"""The later reductions against PyTorch (float64 values, gradients, second derivatives):
count_nonzero, nansum, nanmean, norm, dist, median, nanmedian, kthvalue, mode, cumsum, cumprod,
logcumsumexp, cummax, cummin, diff, trapezoid, renorm, cdist; dtypes, ties, NaNs and errors."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, distinct, raises_with, values

pytestmark = pytest.mark.torch


@st.composite
def shape_and_dim(draw, min_side: int = 0, min_dims: int = 0, tuple_dims: bool = False):
    """A shape (sides up to 4) and an int dim for it (maybe negative; 0 or -1 for 0-d), or a
    tuple of dims with tuple_dims."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4))
    nd = len(shape)
    if not nd:
        return shape, draw(st.sampled_from([0, -1]))
    if tuple_dims and draw(st.booleans()):
        dims = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        return shape, tuple(d - nd if d % 2 else d for d in dims)
    return shape, draw(st.integers(-nd, nd - 1))


def with_ties(shape):
    return values(shape, st.sampled_from([-1.0, 0.5, 2.0]))


def same(ours, theirs):
    """Equal values, shape and dtype (non-differentiable results)."""
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}", (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ----- count_nonzero, nansum, nanmean -----------------------------------------------------------
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(tuple_dims=True))
def test_count_nonzero_matches_torch(data, sd):
    shape, dim = sd
    x = data.draw(values(shape, st.sampled_from([0.0, 1.5, -2.0])))
    same(cr.count_nonzero(cr.tensor(x)), torch.count_nonzero(torch.tensor(x)))
    if shape:
        same(cr.tensor(x).count_nonzero(dim), torch.tensor(x).count_nonzero(dim))


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(tuple_dims=True), keepdim=st.booleans())
def test_nansum_nanmean_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(values(shape, st.sampled_from([math.nan, 0.5, -2.0, 1.25])))
    check_op(cr.nansum, torch.nansum, [x])
    check_op(cr.nanmean, torch.nanmean, [x])
    check_op(lambda a: a.nansum(dim, keepdim), lambda a: a.nansum(dim, keepdim), [x])
    check_op(lambda a: a.nanmean(dim, keepdim), lambda a: a.nanmean(dim, keepdim), [x])


def test_nansum_nanmean_dtypes_and_errors():
    same(cr.nansum(cr.tensor([1, 2], dtype=cr.int32)),
         torch.nansum(torch.tensor([1, 2], dtype=torch.int32)))
    raises_with(RuntimeError, lambda: cr.nanmean(cr.tensor([1, 2])), "nanmean", "int64")


# ----- norm, dist -----------------------------------------------------------------------------
NORM_P = ["fro", 1, 2, 3, 1.5, 0.5, -1, 0, math.inf, -math.inf]


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1, tuple_dims=True), keepdim=st.booleans(),
       p=st.sampled_from(NORM_P))
def test_norm_matches_torch(data, sd, keepdim, p):
    shape, dim = sd
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]
    sign = data.draw(values(shape, st.sampled_from([-1.0, 1.0])))
    x = data.draw(values(shape, st.floats(0.5, 2.0))) * sign
    check_op(lambda a: cr.norm(a, p), lambda a: torch.norm(a, p), [x])
    check_op(lambda a: a.norm(p, dim, keepdim), lambda a: a.norm(p, dim, keepdim), [x])


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, math.inf])
def test_norm_gradient_at_zero_is_zero_like_torch(p):
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    # second derivatives at a zero norm: NaN in PyTorch (0/0 in its rule), not compared
    check_op(lambda a: cr.norm(a, p, 1), lambda a: torch.norm(a, p, 1), [x], second_order=False)


def test_norm_empty_and_errors():
    same(cr.norm(cr.zeros(0, 3), 2, 0), torch.norm(torch.zeros(0, 3), 2, 0))
    raises_with(RuntimeError, lambda: cr.norm(cr.zeros(0, 3), math.inf, 0), "norm", "empty")
    raises_with(RuntimeError, lambda: cr.norm(cr.tensor([1, 2])), "norm", "int64")
    raises_with(NotImplementedError, lambda: cr.norm(cr.ones(2, 2), "nuc"), "nuc")


@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_dist_matches_torch(p):
    x, y = np.random.default_rng(1).standard_normal((2, 3, 4))
    check_op(lambda a, b: cr.dist(a, b, p), lambda a, b: torch.dist(a, b, p), [x, y[:1]])
    check_op(lambda a, b: a.dist(b), lambda a, b: a.dist(b), [x, y])


# ----- median, nanmedian, kthvalue, mode --------------------------------------------------------
def check_selection(name, x, *args, keepdim=False, indices=True):
    """check_op on the values of cr.name / torch.name; the indices equal torch's."""
    check_op(lambda a: getattr(cr, name)(a, *args, keepdim=keepdim).values,
             lambda a: getattr(torch, name)(a, *args, keepdim=keepdim).values, [x])
    ours = getattr(cr, name)(cr.tensor(np.asarray(x), dtype=cr.float64), *args, keepdim=keepdim)
    theirs = getattr(torch, name)(torch.tensor(x), *args, keepdim=keepdim)
    assert type(ours).__name__ == name and ours[1] is ours.indices
    if indices:
        same(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1), keepdim=st.booleans())
def test_median_kthvalue_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(distinct(shape))
    check_op(cr.median, torch.median, [x])
    check_op(cr.nanmedian, torch.nanmedian, [x])
    check_selection("median", x, dim, keepdim=keepdim)
    check_selection("nanmedian", x, dim, keepdim=keepdim)
    n = shape[dim] if shape else 1
    k = data.draw(st.integers(1, n))
    check_selection("kthvalue", x, k, dim, keepdim=keepdim)


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1), keepdim=st.booleans())
def test_mode_matches_torch_with_ties(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(with_ties(shape))
    check_selection("mode", x, dim, keepdim=keepdim)
    # median of all elements: the gradient is split among the elements equal to it
    check_op(cr.median, torch.median, [x])


def test_median_with_nans_matches_torch():
    x = np.array([[1.0, math.nan, 0.0, 2.0], [3.0, 2.0, 1.0, 0.5], [math.nan, 1.0, math.nan, 2.0],
                  [math.nan] * 4])
    for name in ("median", "nanmedian"):
        check_selection(name, x[:3], 1)
        # nanmedian of an all-NaN row: PyTorch's index is nth_element's, not compared
        ours, theirs = getattr(cr, name)(cr.tensor(x), 1), getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        check_op(getattr(cr, name), getattr(torch, name), [x])
        check_op(getattr(cr, name), getattr(torch, name), [x[2]])
    assert math.isnan(cr.median(cr.zeros(0)).item())


def test_selection_shapes_and_errors():
    for name, args in (("median", ()), ("kthvalue", (1,)), ("mode", ())):
        ours = getattr(cr, name)(cr.zeros(0, 3), *args, dim=1) if name != "median" else \
            cr.median(cr.zeros(0, 3), 1)
        assert ours.values.shape == (0,) and ours.indices.dtype == cr.int64
        raises_with(IndexError, lambda n=name, a=args: getattr(cr, n)(cr.zeros(2, 0), *a, dim=1),
                    name, "non-zero size")
        s = getattr(cr, name)(cr.tensor(3.0), *args, dim=0)
        assert s.values.item() == 3.0 and s.indices.item() == 0 and s.indices.shape == ()
    raises_with(RuntimeError, lambda: cr.kthvalue(cr.zeros(2, 3), 4), "kthvalue", "out of range")
    raises_with(IndexError, lambda: cr.mode(cr.zeros(2, 3), 2), "mode")


# ----- cumsum, cumprod, logcumsumexp, cummax, cummin -------------------------------------------
@SETTINGS
@given(data=st.data(), sd=shape_and_dim())
def test_cumsum_logcumsumexp_match_torch(data, sd):
    shape, dim = sd
    x = data.draw(values(shape))
    check_op(lambda a: cr.cumsum(a, dim), lambda a: torch.cumsum(a, dim), [x])
    check_op(lambda a: a.logcumsumexp(dim), lambda a: a.logcumsumexp(dim), [x])


@SETTINGS
@given(data=st.data(), sd=shape_and_dim())
def test_cumprod_matches_torch_with_zeros(data, sd):
    shape, dim = sd
    x = data.draw(values(shape, st.sampled_from([0.0, 0.5, -2.0, 1.5])))
    check_op(lambda a: a.cumprod(dim), lambda a: a.cumprod(dim), [x])


def test_cumprod_without_zeros_and_dtypes():
    x = np.random.default_rng(2).uniform(0.5, 2.0, (3, 5))
    check_op(lambda a: cr.cumprod(a, 1), lambda a: torch.cumprod(a, 1), [x])
    check_op(lambda a: cr.cumprod(a, 1), lambda a: torch.cumprod(a, 1),
             [np.array([[2.0, 0.0, 3.0, 0.0, 4.0, 5.0]])])
    for dtype in ("bool", "int32", "int64", "float32"):
        t = torch.tensor([1, 0, 3]).to(getattr(torch, dtype))
        c = cr.tensor([1, 0, 3]).to(getattr(cr, "bool_" if dtype == "bool" else dtype))
        same(cr.cumsum(c, 0), torch.cumsum(t, 0))
        same(cr.cumprod(c, 0), torch.cumprod(t, 0))
    same(cr.cumsum(cr.tensor([1, 2]), 0, dtype=cr.float32),
         torch.cumsum(torch.tensor([1, 2]), 0, dtype=torch.float32))


def test_logcumsumexp_is_stable_like_torch():
    x = np.array([[-1000.0, 0.0, 1000.0, -1000.0], [-math.inf, -math.inf, 1.0, 2.0]])
    check_op(lambda a: cr.logcumsumexp(a, 1), lambda a: torch.logcumsumexp(a, 1), [x[:1]])
    np.testing.assert_allclose(cr.logcumsumexp(cr.tensor(x), 1).numpy(),
                               torch.logcumsumexp(torch.tensor(x), 1).numpy())
    raises_with(RuntimeError, lambda: cr.logcumsumexp(cr.tensor([1, 2]), 0), "logcumsumexp")


@SETTINGS
@given(data=st.data(), sd=shape_and_dim())
def test_cummax_cummin_match_torch_with_ties(data, sd):
    shape, dim = sd
    x = data.draw(with_ties(shape))
    for name in ("cummax", "cummin"):
        check_op(lambda a, n=name: getattr(cr, n)(a, dim).values,
                 lambda a, n=name: getattr(torch, n)(a, dim).values, [x])
        ours, theirs = getattr(cr, name)(cr.tensor(x), dim), getattr(torch, name)(
            torch.tensor(x), dim)
        same(ours.indices, theirs.indices)
        assert type(ours).__name__ == name


def test_cummax_with_nans_matches_torch():
    x = np.array([1.0, 3.0, 3.0, 2.0, math.nan, 5.0, math.nan, 0.0])
    for name in ("cummax", "cummin"):
        ours, theirs = getattr(cr, name)(cr.tensor(x), 0), getattr(torch, name)(
            torch.tensor(x), 0)
        same(ours.indices, theirs.indices)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


# ----- diff, trapezoid, renorm, cdist ----------------------------------------------------------
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_dims=1), n=st.integers(0, 3),
       ends=st.sampled_from(["none", "prepend", "append", "both"]))
def test_diff_matches_torch(data, sd, n, ends):
    shape, dim = sd
    x = data.draw(values(shape))
    extra = list(shape)
    extra[dim] = 2
    e = data.draw(values(tuple(extra)))
    if ends == "none":
        check_op(lambda a: a.diff(n, dim), lambda a: a.diff(n, dim), [x])
    else:
        pre, app = ends in ("prepend", "both"), ends in ("append", "both")
        check_op(lambda a, b: cr.diff(a, n, dim, b if pre else None, b if app else None),
                 lambda a, b: torch.diff(a, n, dim, b if pre else None, b if app else None),
                 [x, e])


def test_diff_bool_and_errors():
    same(cr.diff(cr.tensor([True, False, False, True])),
         torch.diff(torch.tensor([True, False, False, True])))
    same(cr.diff(cr.tensor([1, 4, 9]), 2), torch.diff(torch.tensor([1, 4, 9]), 2))
    raises_with(RuntimeError, lambda: cr.diff(cr.tensor(1.0)), "diff", "one-dimensional")
    raises_with(RuntimeError, lambda: cr.diff(cr.ones(2, 3), prepend=cr.ones(3)), "diff",
                "dimensions")


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_dims=1), dx=st.sampled_from([None, 0.5, 2]))
def test_trapezoid_matches_torch(data, sd, dx):
    shape, dim = sd
    y = data.draw(values(shape))
    xs = np.sort(data.draw(values((shape[dim],))))
    kw = {} if dx is None else {"dx": dx}
    check_op(lambda a: cr.trapezoid(a, dim=dim, **kw), lambda a: torch.trapezoid(a, dim=dim, **kw),
             [y])
    check_op(lambda a, b: cr.trapezoid(a, b, dim=dim), lambda a, b: torch.trapezoid(a, b, dim=dim),
             [y, xs])
    x_full = data.draw(values(shape))
    check_op(lambda a, b: cr.trapz(a, b, dim=dim), lambda a, b: torch.trapz(a, b, dim=dim),
             [y, x_full])


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_dims=2), p=st.sampled_from([1, 2, 3, math.inf]),
       maxnorm=st.sampled_from([0.5, 2.0, 100.0]))
def test_renorm_matches_torch(data, sd, p, maxnorm):
    shape, dim = sd
    sign = data.draw(values(shape, st.sampled_from([-1.0, 1.0])))
    x = data.draw(values(shape, st.floats(0.25, 2.0))) * sign
    # as PyTorch: the inf norm of nothing is undefined
    if p == math.inf and any(n == 0 for i, n in enumerate(shape) if i != dim % len(shape)):
        raises_with(RuntimeError, lambda: cr.tensor(x).renorm(p, dim, maxnorm), "inf norm")
        return
    check_op(lambda a: a.renorm(p, dim, maxnorm), lambda a: a.renorm(p, dim, maxnorm), [x])


@SETTINGS
@given(data=st.data(), batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
       pr=st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(1, 3)),
       p=st.sampled_from([0, 1, 2, 3, math.inf]))
def test_cdist_matches_torch(data, batch, pr, p):
    n1, n2, m = pr
    x1 = data.draw(values((*batch, n1, m)))
    x2 = data.draw(values((*batch[1:], n2, m)))
    # PyTorch has no second derivative for cdist (_cdist_backward is not differentiable)
    check_op(lambda a, b: cr.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), [x1, x2],
             second_order=False)


def test_cdist_gradient_at_zero_distance_is_zero():
    x1 = np.array([[0.0, 1.0], [2.0, 3.0]])
    x2 = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 3.0]])
    check_op(lambda a, b: cr.cdist(a, b), lambda a, b: torch.cdist(a, b), [x1, x2],
             second_order=False)
    raises_with(RuntimeError, lambda: cr.cdist(cr.ones(2, 3), cr.ones(2, 4)), "columns")
    raises_with(RuntimeError, lambda: cr.cdist(cr.ones(3), cr.ones(2, 3)), "2D")


@pytest.mark.torch
@pytest.mark.parametrize("p", [2, 3])
def test_norm_second_derivative_at_a_zero_vector_follows_torch(p: float) -> None:
    """d/dy of grad_x(|x|_p * y) at x = 0: 0 for p = 2 (torch masks), nan for other p."""
    out = []
    for m, grad in ((torch, torch.autograd.grad), (cr, cr.grad)):
        x = m.zeros(3, dtype=m.float64, requires_grad=True)
        y = m.tensor(2.0, dtype=m.float64, requires_grad=True)
        (gx,) = grad(x.norm(p=p) * y, [x], create_graph=True)
        (gy,) = grad(gx.sum(), [y])
        out.append(float(gy))
    np.testing.assert_equal(out[1], out[0])
