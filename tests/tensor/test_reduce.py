"""Reductions against PyTorch (values, gradients, second derivatives) over random dims and
keepdim, numerical gradient checks, ties, zeros in prod, huge inputs, dtypes and errors."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op


@st.composite
def shape_and_dim(draw, min_side: int = 0, tuple_dims: bool = True):
    """A shape (max side 4) and a dim for it: None, an int (maybe negative) or a tuple."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=4))
    nd = len(shape)
    options = [st.none()]
    if nd:
        options.append(st.integers(-nd, nd - 1))
        if tuple_dims:
            options.append(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)
                           .map(lambda ds: tuple(d - nd if d % 2 else d for d in ds)))
    else:
        options.append(st.sampled_from([0, -1]))
    return shape, draw(st.one_of(options))


def arrays(shape, lo=-3.0, hi=3.0):
    return hnp.arrays(np.float64, shape,
                      elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def distinct(shape):
    """Values with no ties anywhere (a shuffled grid)."""
    n = int(np.prod(shape))
    return st.permutations(range(n)).map(
        lambda p: (np.array(p, dtype=np.float64).reshape(shape) * 0.37 - 1.1))


def away_from_zero(shape):
    mag = hnp.arrays(np.float64, shape, elements=st.floats(0.5, 1.5))
    sgn = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(mag, sgn).map(lambda ms: ms[0] * ms[1])


def tdim(dim):
    return () if dim is None else dim


# ----- sum, mean -------------------------------------------------------------------------------
@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(), keepdim=st.booleans())
def test_sum_and_mean_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(arrays(shape))
    if dim is None:
        check_op(lambda a: a.sum(), lambda a: a.sum(), [x])
        check_op(lambda a: cr.mean(a), lambda a: torch.mean(a), [x])
    check_op(lambda a: cr.sum(a, dim, keepdim), lambda a: torch.sum(a, tdim(dim), keepdim), [x])
    check_op(lambda a: a.mean(dim, keepdim=keepdim),
             lambda a: a.mean(tdim(dim), keepdim=keepdim), [x])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64", "float16",
                                   "float32", "float64"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), ()])
def test_sum_dtypes_match_torch(dtype, dim):
    values = np.array([[1, 0, 3], [4, 5, 1]])
    ours = cr.tensor(values, dtype=getattr(cr, "bool_" if dtype == "bool" else dtype))
    theirs = torch.tensor(values, dtype=getattr(torch, dtype))
    for o, t in (
        (ours.sum(dim), theirs.sum(tdim(dim))),
        (cr.sum(ours, dim, dtype=cr.float64), torch.sum(theirs, tdim(dim), dtype=torch.float64)),
        (ours.sum(dim, keepdim=True), theirs.sum(tdim(dim), keepdim=True)),
        (ours.prod(0 if dim == (0, 1) else dim), theirs.prod(0 if dim in ((0, 1), ()) else dim)
         if dim not in (None, ()) else theirs.prod()),
    ):
        assert str(t.dtype) == f"torch.{o.dtype.name}"
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy().astype(float), t.numpy().astype(float))


@pytest.mark.torch
def test_dim_conventions_match_torch():
    x = np.arange(6.0).reshape(2, 3)
    for dim in ((), [], None, -1, (-2, 1), [0]):
        assert cr.tensor(x).sum(dim).tolist() == torch.tensor(x).sum(tdim(dim)).tolist()
    s = cr.tensor(3.0)
    for dim in (0, -1, (), None):
        for fn in ("sum", "mean", "amax", "prod"):
            if fn == "prod" and not isinstance(dim, int):
                continue
            assert getattr(s, fn)(dim).tolist() == getattr(torch.tensor(3.0), fn)(
                tdim(dim)).tolist()
    with pytest.raises(IndexError, match=r"sum: Dimension out of range.*got 2"):
        cr.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="got 1"):
        s.sum(1)
    with pytest.raises(RuntimeError, match="multiple times"):
        cr.ones(2, 3).sum((0, -2))
    with pytest.raises(TypeError, match="dim"):
        cr.ones(2, 3).sum(1.5)


def test_mean_of_integers_raises_like_torch():
    with pytest.raises(RuntimeError, match=r"mean\(\).*floating point.*int64"):
        cr.tensor([1, 2]).mean()
    assert cr.tensor([1, 2]).mean(dtype=cr.float64).item() == 1.5
    assert np.isnan(cr.zeros(0).mean().item())


# ----- prod ------------------------------------------------------------------------------------
@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(tuple_dims=False), keepdim=st.booleans())
def test_prod_matches_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(away_from_zero(shape))
    if dim is None:
        check_op(cr.prod, torch.prod, [x])
    else:
        check_op(lambda a: a.prod(dim, keepdim), lambda a: a.prod(dim, keepdim), [x])


PROD_WITH_ZEROS = [
    np.array([0.0, 2.0, 3.0]),
    np.array([2.0, 0.0, 3.0, 0.0]),
    np.array([0.0, 0.0, 0.0]),
    np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, -1.5], [0.0, 4.0, 0.0]]),
    np.array([[[0.0, 2.0], [3.0, 0.0]], [[1.0, -2.0], [0.5, 0.0]]]),
    np.array([0.0]),
    np.array(0.0),
]


@pytest.mark.torch
@pytest.mark.parametrize("x", PROD_WITH_ZEROS, ids=lambda x: str(x.tolist()))
def test_prod_with_zeros_matches_torch_to_second_order(x):
    check_op(cr.prod, torch.prod, [x])
    for dim in range(x.ndim):
        for keepdim in (False, True):
            check_op(lambda a, d=dim, k=keepdim: cr.prod(a, d, k),
                     lambda a, d=dim, k=keepdim: torch.prod(a, d, k), [x])


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(tuple_dims=False))
def test_prod_with_random_zeros_matches_torch(data, sd):
    shape, dim = sd
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.5, -2.0, 3.0])))
    if dim is None:
        check_op(cr.prod, torch.prod, [x])
    else:
        check_op(lambda a: cr.prod(a, dim), lambda a: torch.prod(a, dim), [x])


# ----- amax, amin, max, min --------------------------------------------------------------------
@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1), keepdim=st.booleans())
def test_amax_amin_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(distinct(shape))
    for name in ("amax", "amin"):
        check_op(lambda a, n=name: getattr(cr, n)(a, dim, keepdim),
                 lambda a, n=name: getattr(torch, n)(a, tdim(dim), keepdim), [x])


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1, tuple_dims=False), keepdim=st.booleans())
def test_max_min_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(distinct(shape))
    for name in ("max", "min"):
        check_op(lambda a, n=name: getattr(a, n)(), lambda a, n=name: getattr(a, n)(), [x])
        if dim is None:
            continue
        check_op(lambda a, n=name: getattr(cr, n)(a, dim, keepdim).values,
                 lambda a, n=name: getattr(torch, n)(a, dim, keepdim).values, [x])
        ours = getattr(cr, name)(cr.tensor(x), dim=dim, keepdim=keepdim)
        theirs = getattr(torch, name)(torch.tensor(x), dim=dim, keepdim=keepdim)
        assert ours.indices.dtype == cr.int64
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert ours[1] is ours.indices and type(ours).__name__ == name


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, 1.0, 5.0, 5.0]])


@pytest.mark.torch
@pytest.mark.parametrize(("cr_fn", "torch_fn"), [
    (cr.amax, torch.amax),
    (cr.amin, torch.amin),
    (lambda a: a.max(), lambda a: a.max()),
    (lambda a: a.min(), lambda a: a.min()),
    (lambda a: cr.amax(a, 1), lambda a: torch.amax(a, 1)),
    (lambda a: cr.amin(a, 0, True), lambda a: torch.amin(a, 0, True)),
    (lambda a: cr.amax(a, (0, 1)), lambda a: torch.amax(a, (0, 1))),
    (lambda a: a.max(1).values, lambda a: a.max(1).values),
    (lambda a: a.min(0, True).values, lambda a: a.min(0, True).values),
    (lambda a: cr.max(a, a.detach()), lambda a: torch.max(a, a.detach())),
])
def test_ties_follow_torch(cr_fn, torch_fn):
    check_op(cr_fn, torch_fn, [TIES])
    check_op(cr_fn, torch_fn, [TIES.T.copy()])


@pytest.mark.torch
def test_max_with_dim_indices_take_the_first_tie_like_torch():
    for name in ("max", "min", "argmax", "argmin"):
        for dim in (0, 1, -1):
            ours = getattr(cr.tensor(TIES), name)(dim)
            theirs = getattr(torch.tensor(TIES), name)(dim)
            if name in ("max", "min"):
                ours, theirs = ours.indices, theirs.indices
            assert ours.tolist() == theirs.tolist()


@pytest.mark.torch
def test_max_of_0d_and_errors_on_empty():
    t = cr.tensor(3.0, requires_grad=True)
    values, indices = cr.max(t, 0)
    assert values.shape == () and indices.tolist() == 0 and values.item() == 3.0
    values.backward()
    assert t.grad.item() == 1.0
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim"):
        cr.zeros(0).max()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        cr.zeros(0, 3).max(0)
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0"):
        cr.amax(cr.zeros(0, 3), 0)
    with pytest.raises(IndexError, match=r"argmax\(\)"):
        cr.zeros(0).argmax()
    assert cr.amax(cr.zeros(0, 3), 1).shape == (0,)
    assert cr.max(cr.zeros(3, 0), 0).values.shape == (0,)
    with pytest.raises(TypeError, match="dim must be an int"):
        cr.max(cr.ones(2, 2), (0, 1))


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1, tuple_dims=False), keepdim=st.booleans())
def test_argmax_argmin_match_torch(data, sd, keepdim):
    shape, dim = sd
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(-2, 2).map(float)))
    for name in ("argmax", "argmin"):
        ours = getattr(cr, name)(cr.tensor(x), dim, keepdim)
        theirs = getattr(torch, name)(torch.tensor(x), dim, keepdim)
        assert ours.dtype == cr.int64 and ours.shape == tuple(theirs.shape)
        assert ours.tolist() == theirs.tolist()


@pytest.mark.torch
def test_all_any_match_torch():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    for name in ("all", "any"):
        for dim in (None, 0, 1, -1):
            kw = {} if dim is None else {"dim": dim}
            ours = getattr(cr.tensor(x), name)(**kw)
            theirs = getattr(torch.tensor(x), name)(**kw)
            assert ours.dtype == cr.bool_ and ours.tolist() == theirs.tolist()


# ----- var, std --------------------------------------------------------------------------------
@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(min_side=1), keepdim=st.booleans(),
       correction=st.sampled_from([0, 1, 2]))
def test_var_std_match_torch(data, sd, keepdim, correction):
    shape, dim = sd
    x = data.draw(distinct(shape))  # distinct values: std > 0 wherever a slice has 2+ elements
    dims = range(len(shape)) if dim is None else np.atleast_1d(dim) if len(shape) else []
    n = int(np.prod([shape[d] for d in dims]))
    if n - correction <= 0:
        return  # inf or NaN: no derivative to compare (see the edge-case test below)
    for name in ("var", "std"):
        check_op(lambda a, n=name: getattr(cr, n)(a, dim, keepdim=keepdim, correction=correction),
                 # dim=None, not (): torch's var backward takes () as no dims (n = 1)
                 lambda a, n=name: getattr(torch, n)(a, dim, keepdim=keepdim,
                                                     correction=correction), [x])


@pytest.mark.torch
def test_var_std_unbiased_alias_and_edge_cases_match_torch():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    for name in ("var", "std"):
        fc, ft = getattr(cr, name), getattr(torch, name)
        for args, kw in (((1, False), {}), ((), {"unbiased": False}), ((1, True, True), {}),
                         ((False,), {}), ((0,), {"correction": 0.5})):
            check_op(lambda a, fc=fc, args=args, kw=kw: fc(a, *args, **kw),
                     lambda a, ft=ft, args=args, kw=kw: ft(a, *args, **kw), [x])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about degrees of freedom <= 0
            for v, args, kw in ((x, (0,), {"correction": 3}), (x[:1, :1], (), {}),
                                (np.zeros((0, 2)), (0,), {})):
                ours, theirs = fc(cr.tensor(v), *args, **kw), ft(torch.tensor(v), *args, **kw)
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # the second row is constant: std's gradient there is 0 (not NaN), as torch
    check_op(lambda a: cr.std(a, 1), lambda a: torch.std(a, 1), [x], second_order=False)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2]).var()


# ----- logsumexp, softmax, log_softmax ---------------------------------------------------------
@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(), keepdim=st.booleans())
def test_logsumexp_matches_torch(data, sd, keepdim):
    shape, dim = sd
    if dim is None:
        dim = tuple(range(len(shape))) or 0
    check_op(lambda a: cr.logsumexp(a, dim, keepdim), lambda a: torch.logsumexp(a, dim, keepdim),
             [data.draw(arrays(shape, -5, 5))])


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), sd=shape_and_dim(tuple_dims=False))
def test_softmax_log_softmax_match_torch(data, sd):
    shape, dim = sd
    dim = 0 if dim is None else dim
    x = data.draw(arrays(shape, -5, 5))
    check_op(lambda a: cr.softmax(a, dim), lambda a: torch.softmax(a, dim), [x])
    check_op(lambda a: a.log_softmax(dim), lambda a: a.log_softmax(dim), [x])


HUGE = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -1001.0]])


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_huge_inputs_stay_finite_and_match_torch(dim):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("softmax", "log_softmax", "logsumexp"):
            fc, ft = getattr(cr, name), getattr(torch, name)
            check_op(lambda a, fc=fc: fc(a, dim), lambda a, ft=ft: ft(a, dim), [HUGE])
            for dtype in (cr.float32, cr.float64):
                out = fc(cr.tensor(HUGE, dtype=dtype), dim)
                assert out.dtype == dtype and np.isfinite(out.numpy()).all()


@pytest.mark.torch
def test_infinite_and_empty_inputs_match_torch():
    inf = float("inf")
    # rows reduced along the short last axis take the transposed max route: check NaN there too
    x = np.array([[-inf, -inf], [-inf, 0.0], [inf, 1.0], [np.nan, 1.0], [2.0, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("softmax", "log_softmax", "logsumexp"):
            ours = getattr(cr, name)(cr.tensor(x), 1).numpy()
            theirs = getattr(torch, name)(torch.tensor(x), 1).numpy()
            np.testing.assert_array_equal(ours, theirs)
        empty = np.zeros((0, 3))
        for dim in (0, 1):
            assert cr.logsumexp(cr.tensor(empty), dim).tolist() == torch.logsumexp(
                torch.tensor(empty), dim).tolist()
            assert cr.softmax(cr.tensor(empty), dim).shape == (0, 3)
    assert cr.softmax(cr.tensor(3.0), 0).item() == 1.0
    assert cr.log_softmax(cr.tensor(3.0), -1).item() == 0.0


def test_softmax_dtype_rules():
    with pytest.raises(RuntimeError, match=r"softmax\(\).*int64"):
        cr.softmax(cr.tensor([1, 2]), 0)
    assert cr.softmax(cr.tensor([1, 2]), 0, dtype=cr.float64).dtype == cr.float64
    assert cr.logsumexp(cr.tensor([1, 2]), 0).dtype == cr.float32
    with pytest.raises(TypeError, match="dim"):
        cr.softmax(cr.ones(3), None)


# ----- numerical checks, float32 ---------------------------------------------------------------
X = np.array([[0.3, -1.2, 2.1, 0.5], [-0.7, 1.6, 0.9, -2.2], [1.3, 0.4, -0.8, 1.1]])
GRADCHECK = [
    ("sum", lambda a: a.sum(1)),
    ("mean", lambda a: a.mean((0, 1))),
    ("prod", lambda a: a.prod(1)),
    ("prod_zeros", lambda a: (a * cr.tensor([[1.0, 0.0, 1.0, 1.0]] * 3, dtype=a.dtype))
     .prod(1)),
    ("amax", lambda a: a.amax(0)),
    ("amin", lambda a: a.amin(-1, keepdim=True)),
    ("max", lambda a: a.max()),
    ("max_dim", lambda a: a.max(1).values),
    ("min_dim", lambda a: a.min(0, keepdim=True).values),
    ("var", lambda a: a.var(1)),
    ("std", lambda a: a.std(0, correction=0)),
    ("logsumexp", lambda a: a.logsumexp(1)),
    ("softmax", lambda a: a.softmax(1)),
    ("log_softmax", lambda a: a.log_softmax(0)),
]
LINEAR = {"sum", "mean", "amax", "amin", "max", "max_dim", "min_dim"}


@pytest.mark.parametrize(("name", "fn"), GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck_and_gradgradcheck(name, fn):
    x = cr.tensor(X, dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(fn, x)
    # a linear first derivative records no graph: check second derivatives through fn(x)^2
    assert cr.gradgradcheck((lambda a: fn(a) ** 2) if name in LINEAR else fn, x)


@pytest.mark.parametrize(("name", "fn"), GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_float32_in_float32_out_and_grads(name, fn):
    x = cr.tensor(X, dtype=cr.float32, requires_grad=True)
    y = fn(x)
    assert x.dtype == y.dtype == cr.float32
    (g,) = cr.grad((y * y).sum(), x, create_graph=True)
    assert g.dtype == cr.float32
    (h,) = cr.grad(g.sum(), x)
    assert h.dtype == cr.float32


@pytest.mark.torch
def test_numpy_style_axis_and_keepdims_are_accepted_as_in_torch():
    a = np.arange(6.0).reshape(2, 3)
    for name in ("sum", "mean", "amax", "logsumexp", "std", "prod", "softmax", "cumsum"):
        kw = {} if name in ("softmax", "cumsum") else {"keepdims": True}
        ours = getattr(cr.tensor(a), name)(axis=1, **kw)
        theirs = getattr(torch.tensor(a, dtype=torch.float32), name)(axis=1, **kw)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)
    ours = cr.cat([cr.tensor(a), cr.tensor(a)], axis=1)
    assert tuple(ours.shape) == tuple(torch.cat([torch.tensor(a)] * 2, axis=1).shape)
