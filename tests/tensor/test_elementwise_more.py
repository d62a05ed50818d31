"""The second set of elementwise ops against PyTorch: inverse trig and hyperbolic functions,
exp/log variants, erf/erfc/erfinv (our own float64 implementation), rounding, atan2,
floor_divide, fmod, remainder, logaddexp, xlogy, hypot, copysign, lerp, addcmul, addcdiv,
float_power, masked_fill, and their in-place variants."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, raises_with

pytestmark = pytest.mark.torch
softplus = torch.nn.functional.softplus

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=4)
TRIPLES = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0,
                                            max_side=3)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float]) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


ANY = floats(-3, 3)
POSITIVE = floats(0.1, 3)
AWAY_FROM_0 = floats(0.1, 3) | floats(-3, -0.1)
UNIT = floats(-0.95, 0.95)  # inside the domain of acos, asin, atanh, erfinv

UNARY = [
    ("acos", cr.acos, torch.acos, UNIT),
    ("arccos_method", lambda x: x.arccos(), lambda x: x.arccos(), UNIT),
    ("asin", cr.asin, torch.asin, UNIT),
    ("arcsin", cr.arcsin, torch.arcsin, UNIT),
    ("atan", cr.atan, torch.atan, ANY),
    ("arctan_method", lambda x: x.arctan(), lambda x: x.arctan(), ANY),
    ("acosh", cr.acosh, torch.acosh, floats(1.05, 4)),
    ("asinh", cr.asinh, torch.asinh, ANY),
    ("atanh", cr.atanh, torch.atanh, UNIT),
    ("arctanh_method", lambda x: x.arctanh(), lambda x: x.arctanh(), UNIT),
    ("tan", cr.tan, torch.tan, floats(-1.4, 1.4)),
    ("sinh", cr.sinh, torch.sinh, ANY),
    ("cosh", cr.cosh, torch.cosh, ANY),
    ("exp2", cr.exp2, torch.exp2, ANY),
    ("expm1", cr.expm1, torch.expm1, ANY),
    ("log1p", cr.log1p, torch.log1p, floats(-0.9, 3)),
    ("log2", cr.log2, torch.log2, POSITIVE),
    ("log10", lambda x: x.log10(), lambda x: x.log10(), POSITIVE),
    ("rsqrt", cr.rsqrt, torch.rsqrt, POSITIVE),
    ("erf", cr.erf, torch.erf, ANY),
    ("erfc", lambda x: x.erfc(), lambda x: x.erfc(), ANY),
    ("erfinv", cr.erfinv, torch.erfinv, UNIT),
    ("ceil", cr.ceil, torch.ceil, ANY),
    ("floor", lambda x: x.floor(), lambda x: x.floor(), ANY),
    ("trunc", cr.trunc, torch.trunc, ANY),
    ("fix", lambda x: x.fix(), lambda x: x.fix(), ANY),
    ("round", cr.round, torch.round, ANY),
    ("round_decimals", lambda x: x.round(decimals=2), lambda x: x.round(decimals=2), ANY),
    ("frac", cr.frac, torch.frac, ANY),
    ("sgn", cr.sgn, torch.sgn, AWAY_FROM_0),
    ("negative", cr.negative, torch.negative, ANY),
    ("negative_method", lambda x: x.negative(), lambda x: x.negative(), ANY),
    ("positive", lambda x: cr.positive(x) * x, lambda x: torch.positive(x) * x, ANY),
    ("pos_dunder", lambda x: (+x) * x, lambda x: (+x) * x, ANY),
    ("deg2rad", cr.deg2rad, torch.deg2rad, ANY),
    ("rad2deg", lambda x: x.rad2deg(), lambda x: x.rad2deg(), ANY),
    ("logit", cr.logit, torch.logit, floats(0.05, 0.95)),
    ("logit_eps", lambda x: x.logit(eps=0.2), lambda x: x.logit(eps=0.2), floats(0.01, 0.99)),
    ("nan_to_num", cr.nan_to_num, torch.nan_to_num, ANY),
    ("chain", lambda x: cr.erf(cr.sinh(x)).exp2().atan(),
     lambda x: torch.erf(torch.sinh(x)).exp2().atan(), ANY),
    ("softplus", cr.softplus, softplus, floats(-25, 25)),  # both sides of threshold 20
    ("softplus_beta", lambda x: cr.softplus(x, beta=2, threshold=3) + cr.softplus(x, -1.5, 2),
     lambda x: softplus(x, beta=2, threshold=3) + softplus(x, -1.5, 2), ANY),
]


@pytest.mark.parametrize(("name", "cr_fn", "torch_fn", "elements"), UNARY,
                         ids=[u[0] for u in UNARY])
@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_unary_matches_torch(name, cr_fn, torch_fn, elements, data, shape):
    check_op(cr_fn, torch_fn, [data.draw(arrays(shape, elements))])


BINARY = [
    ("atan2", cr.atan2, torch.atan2, ANY, AWAY_FROM_0),
    ("arctan2_method", lambda a, b: a.arctan2(b), lambda a, b: a.arctan2(b), ANY, AWAY_FROM_0),
    ("fmod", cr.fmod, torch.fmod, ANY, AWAY_FROM_0),
    ("remainder", cr.remainder, torch.remainder, ANY, AWAY_FROM_0),
    ("mod_dunder", lambda a, b: a % b, lambda a, b: a % b, ANY, AWAY_FROM_0),
    ("true_divide", cr.true_divide, torch.true_divide, ANY, AWAY_FROM_0),
    ("logaddexp", cr.logaddexp, torch.logaddexp, ANY, ANY),
    ("logaddexp2", lambda a, b: a.logaddexp2(b), lambda a, b: a.logaddexp2(b), ANY, ANY),
    ("xlogy", cr.xlogy, torch.xlogy, ANY, POSITIVE),
    ("hypot", cr.hypot, torch.hypot, AWAY_FROM_0, AWAY_FROM_0),
    ("copysign", cr.copysign, torch.copysign, AWAY_FROM_0, AWAY_FROM_0),
    ("float_power", cr.float_power, torch.float_power, POSITIVE, floats(-2, 2)),
    ("lerp_number", lambda a, b: cr.lerp(a, b, 0.3) + a.lerp(b, 0.75) + a.lerp(b, -0.6),
     lambda a, b: torch.lerp(a, b, 0.3) + a.lerp(b, 0.75) + a.lerp(b, -0.6), ANY, ANY),
]


@pytest.mark.parametrize(("name", "cr_fn", "torch_fn", "ea", "eb"), BINARY,
                         ids=[b[0] for b in BINARY])
@SETTINGS
@given(data=st.data(), shapes=PAIRS)
def test_binary_matches_torch_with_broadcasting(name, cr_fn, torch_fn, ea, eb, data, shapes):
    sa, sb = shapes.input_shapes
    check_op(cr_fn, torch_fn, [data.draw(arrays(sa, ea)), data.draw(arrays(sb, eb))])


TERNARY = [
    ("lerp", cr.lerp, torch.lerp, ANY, ANY, floats(-1.5, 1.5)),
    ("addcmul", cr.addcmul, torch.addcmul, ANY, ANY, ANY),
    ("addcmul_value", lambda a, b, c: a.addcmul(b, c, value=-0.5),
     lambda a, b, c: a.addcmul(b, c, value=-0.5), ANY, ANY, ANY),
    ("addcdiv", cr.addcdiv, torch.addcdiv, ANY, ANY, AWAY_FROM_0),
    ("addcdiv_value", lambda a, b, c: cr.addcdiv(a, b, c, value=2),
     lambda a, b, c: torch.addcdiv(a, b, c, value=2), ANY, ANY, AWAY_FROM_0),
]


@pytest.mark.parametrize(("name", "cr_fn", "torch_fn", "ea", "eb", "ec"), TERNARY,
                         ids=[t[0] for t in TERNARY])
@SETTINGS
@given(data=st.data(), shapes=TRIPLES)
def test_ternary_matches_torch_with_broadcasting(name, cr_fn, torch_fn, ea, eb, ec, data, shapes):
    sa, sb, sc = shapes.input_shapes
    check_op(cr_fn, torch_fn, [data.draw(arrays(sa, ea)), data.draw(arrays(sb, eb)),
                               data.draw(arrays(sc, ec))])


@SETTINGS
@given(data=st.data(), shapes=PAIRS)
def test_masked_fill_matches_torch_with_a_tensor_value(data, shapes):
    sa, sm = shapes.input_shapes
    mask = data.draw(hnp.arrays(np.bool_, sm))
    a = data.draw(arrays(sa, ANY))
    check_op(lambda x, v: cr.masked_fill(x, cr.tensor(mask), v) * x,
             lambda x, v: torch.masked_fill(x, torch.tensor(mask), v) * x, [a, np.array(1.5)])
    check_op(lambda x: x.masked_fill(cr.tensor(mask), -2.0) * x,
             lambda x: x.masked_fill(torch.tensor(mask), -2.0) * x, [a])


# ----- erf, erfc, erfinv: our implementation's accuracy --------------------------------------
def _relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """The largest relative error where torch's result is a normal float (subnormal results have
    no relative accuracy to speak of: there both must be within 1e-310)."""
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    normal = np.isfinite(theirs) & (np.abs(theirs) >= np.finfo(np.float64).tiny)
    tiny = np.isfinite(theirs) & ~normal
    assert np.all(np.abs(ours[tiny] - theirs[tiny]) <= 1e-310)
    return float(np.max(np.abs(ours[normal] - theirs[normal]) / np.abs(theirs[normal])))


ERF_GRID = np.concatenate([
    np.linspace(-30, 30, 6001), np.geomspace(1e-300, 1, 300), -np.geomspace(1e-300, 1, 300),
    [0.0, -0.0, 0.46875, np.nextafter(0.46875, 1), 4.0, np.nextafter(4.0, 5), 26.5, 27.2, 28.0,
     np.inf, -np.inf, np.nan],
])


@pytest.mark.parametrize("op", ["erf", "erfc"])
def test_erf_erfc_are_accurate_to_a_few_ulps_over_the_real_line(op):
    ours = getattr(cr, op)(cr.tensor(ERF_GRID, dtype=cr.float64)).numpy()
    theirs = getattr(torch, op)(torch.tensor(ERF_GRID)).numpy()
    assert _relative_error(ours, theirs) < 1.5e-15
    x32 = ERF_GRID.astype(np.float32)
    ours32 = getattr(cr, op)(cr.tensor(x32)).numpy()
    theirs32 = getattr(torch, op)(torch.tensor(x32)).numpy()
    assert ours32.dtype == np.float32
    np.testing.assert_allclose(ours32, theirs32, rtol=2e-7, atol=1e-37)


def test_erfinv_is_accurate_up_to_the_ends():
    y = np.concatenate([np.linspace(-1, 1, 4001), 1 - np.geomspace(1.2e-16, 0.5, 300),
                        -(1 - np.geomspace(1.2e-16, 0.5, 100)), np.geomspace(1e-300, 0.5, 200),
                        [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.inf, np.nan]])
    ours = cr.erfinv(cr.tensor(y, dtype=cr.float64)).numpy()
    theirs = torch.erfinv(torch.tensor(y)).numpy()
    assert _relative_error(ours, theirs) < 1.5e-15
    number = ~np.isnan(theirs)
    assert np.array_equal(np.signbit(ours[number]), np.signbit(theirs[number]))
    y32 = np.linspace(-1, 1, 2001).astype(np.float32)
    np.testing.assert_allclose(cr.erfinv(cr.tensor(y32)).numpy(),
                               torch.erfinv(torch.tensor(y32)).numpy(), rtol=1e-6)


# ----- numerically sensitive inputs ------------------------------------------------------------
TINY = np.concatenate([np.geomspace(1e-300, 1e-5, 50), -np.geomspace(1e-300, 1e-5, 50), [0.0]])


@pytest.mark.parametrize("op", ["log1p", "expm1", "asinh", "atanh", "sinh", "tan", "erfinv"])
def test_functions_near_zero_keep_their_relative_accuracy(op):
    ours = getattr(cr, op)(cr.tensor(TINY, dtype=cr.float64)).numpy()
    theirs = getattr(torch, op)(torch.tensor(TINY)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
    check_op(getattr(cr, op), getattr(torch, op), [TINY])


# the engine's sub, mul and sum warn on inf - inf and overflow in the rules (PyTorch is silent)
ENGINE_WARNINGS = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@ENGINE_WARNINGS
def test_logaddexp_with_large_magnitudes_and_infinities():
    a = np.array([1e308, -1e308, 1e308, 800.0, -800.0, np.inf, -np.inf, -np.inf, np.inf, 0.0])
    b = np.array([1e308, 1e308, -1e308, 799.0, -801.0, 1.0, -np.inf, 3.0, np.inf, -1e-300])
    for op in ("logaddexp", "logaddexp2"):
        # PyTorch's second derivative is NaN where e^(b - a) overflows; ours is the limit
        check_op(getattr(cr, op), getattr(torch, op), [a, b], rtol=1e-15, atol=0,
                 second_order=False)
        x, y = (cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in (a, b))
        (gx,) = cr.grad(getattr(cr, op)(x, y).sum(), x, create_graph=True)
        (hx,) = cr.grad(gx.sum(), x)
        with np.errstate(all="ignore"):
            d = a - b
        finite = np.isfinite(d)
        assert np.isfinite(hx.numpy()[finite]).all()
        assert (hx.numpy()[finite][np.abs(d[finite]) > 100] == 0).all()


@ENGINE_WARNINGS
def test_logit_near_zero_and_one_and_outside():
    x = np.array([1e-300, 1e-20, 1e-8, 0.5, 1 - 1e-8, 1 - 2 ** -53, 0.0, 1.0, -0.5, 1.5])
    check_op(cr.logit, torch.logit, [x], rtol=1e-14, atol=0)
    for eps in (1e-6, 0.2, 0.5):
        check_op(lambda t, eps=eps: t.logit(eps), lambda t, eps=eps: t.logit(eps), [x])


def test_special_points_follow_torchs_gradients():
    with warnings.catch_warnings():
        # the rules' inf * 0 and inf - inf warn in NumPy (the engine's mul and sub), not in torch
        warnings.simplefilter("ignore", RuntimeWarning)
        x = np.array([0.0, 0.0, 1.0, -1.0, 0.0, 2.0, 0.0])
        y = np.array([0.0, -1.0, 0.0, 2.0, np.nan, np.inf, 3.0])
        check_op(cr.xlogy, torch.xlogy, [x, y], second_order=False)
        # second order too: NaN at a == 0 in both (the rule divides by a)
        check_op(cr.copysign, torch.copysign, [x, np.array([-1.0, 1.0, -0.0, 0.0, 2, -2, 1])])
        check_op(cr.atan2, torch.atan2, [x, x[::-1].copy()], second_order=False)
        for op in ("acos", "asin", "atanh", "acosh", "rsqrt", "log2", "log10", "log1p"):
            edges = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.inf, -np.inf, np.nan])
            check_op(getattr(cr, op), getattr(torch, op), [edges], second_order=False)
        check_op(cr.fmod, torch.fmod, [np.array([1.0, -1.0, 0.0, 5.5]), np.zeros(4)])
        check_op(cr.remainder, torch.remainder, [np.array([1.0, -1.0, 0.0, 5.5]), np.zeros(4)])
        check_op(cr.nan_to_num, torch.nan_to_num, [np.array([np.nan, np.inf, -np.inf, 2.0])])
        check_op(lambda t: t.nan_to_num(1.0, posinf=2.0, neginf=-3.0),
                 lambda t: t.nan_to_num(1.0, posinf=2.0, neginf=-3.0),
                 [np.array([np.nan, np.inf, -np.inf, 2.0])])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
def test_round_with_decimals_gives_torchs_values(dtype, decimals):
    x = np.array([1.2345, 2.5, -0.125, 1234.5, -1250.0, 0.5, 1.5, 0.0349, 1e6 + 0.5])
    ours = cr.tensor(x, dtype=getattr(cr, dtype)).round(decimals=decimals).numpy()
    theirs = torch.tensor(x, dtype=getattr(torch, dtype)).round(decimals=decimals).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


# ----- floor_divide, remainder, fmod: values, integers, no derivative --------------------------
# (not 1e300 % 1e-300: PyTorch's answer depends on the tensor's size there, fmod's 4.9e-301 in
# its scalar loop, NaN in its vectorized one; ours is fmod's)
DIVIDENDS = np.array([7.0, -7.0, 7.5, -7.5, 0.0, -0.0, 3.0, 1e30, 5.0, np.inf, -4.0, 4.0])
DIVISORS = np.array([2.0, 2.0, -2.0, -0.5, 3.0, 3.0, 0.0, 1e-30, -np.inf, 2.0, 2.0, -2.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floor_divide_remainder_fmod_values_follow_torch(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = (cr.tensor(v, dtype=getattr(cr, dtype)) for v in (DIVIDENDS, DIVISORS))
        ta, tb = (torch.tensor(v, dtype=getattr(torch, dtype)) for v in (DIVIDENDS, DIVISORS))
        for ours, theirs in ((a // b, ta // tb), (a % b, ta % tb), (cr.fmod(a, b), ta.fmod(tb)),
                             (cr.floor_divide(a, 2.5), torch.floor_divide(ta, 2.5)),
                             (7.0 // b, 7.0 // tb), (7 % b, 7 % tb), (a.remainder(-3), ta % -3)):
            assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
            number = ~np.isnan(theirs.numpy())
            assert np.array_equal(np.signbit(ours.numpy()[number]),
                                  np.signbit(theirs.numpy()[number]))


def test_integer_division_ops_keep_integers_and_refuse_zero_divisors():
    a_np, b_np = np.array([7, -7, 3, -3, 0]), np.array([2, 2, -2, -5, 3])
    a, b, ta, tb = cr.tensor(a_np), cr.tensor(b_np), torch.tensor(a_np), torch.tensor(b_np)
    for ours, theirs in ((a // b, ta // tb), (a % b, ta % tb), (cr.fmod(a, b), ta.fmod(tb)),
                         (7 // b, 7 // tb), (-7 % b, -7 % tb), (a // 2, ta // 2),
                         (a // 2.5, ta // 2.5), (a % 2.5, ta % 2.5)):
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for fn in (lambda m, x: m.floor_divide(x, m.tensor([1, 0])),
               lambda m, x: x % m.tensor([0, 1]), lambda m, x: m.fmod(x, 0), lambda m, x: x // 0):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(torch, torch.tensor([1, 2]))
        raises_with(RuntimeError, lambda fn=fn: fn(cr, cr.tensor([1, 2])), "ZeroDivisionError")


def test_floor_divide_records_but_has_no_derivative_like_torch():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    tx = torch.tensor([1.5, -2.5], requires_grad=True)
    y, ty = x // 0.5, tx // 0.5
    assert y.requires_grad == ty.requires_grad
    with pytest.raises(RuntimeError, match="floor_divide"):
        ty.sum().backward()
    raises_with(RuntimeError, lambda: y.sum().backward(), "floor_divide", "not implemented")


# ----- rounding and sign-like ops: zero gradients, as PyTorch's ---------------------------------
@pytest.mark.parametrize("op", ["floor", "ceil", "trunc", "fix", "round", "sgn", "sign"])
def test_piecewise_constant_ops_have_torchs_zero_gradient(op):
    x = cr.tensor([1.5, -2.5, 3.0], dtype=cr.float64, requires_grad=True)
    tx = torch.tensor([1.5, -2.5, 3.0], dtype=torch.float64, requires_grad=True)
    y, ty = getattr(cr, op)(x), getattr(torch, op)(tx)
    assert y.requires_grad == ty.requires_grad
    (g,) = cr.grad((y * 3).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((ty * 3).sum(), tx, create_graph=True)
    if tg._is_zerotensor():  # sgn's: a ZeroTensor, which has no storage to read
        tg = torch.zeros(3, dtype=torch.float64)
    assert g.tolist() == tg.tolist() == [0.0, 0.0, 0.0]
    assert g.requires_grad == tg.requires_grad


def test_softplus_of_extreme_values_and_at_the_threshold_follows_torch_silently():
    x = np.array([-1e4, -30.0, -20.0, 0.0, 19.5, 20.0, 20.5, 30.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # at beta x == threshold PyTorch's slope is sigmoid(threshold) and its second
        # derivative 0 (its double backward masks with <, its backward with >). Values and
        # slopes to the last digits; the second derivative s (1 - s) to 1e-7 only: PyTorch's
        # loses digits to cancellation where s is near 1 (2.4e-8 at x = 19.5; ours 1e-16)
        for fn, tfn, arr in ((cr.softplus, softplus, x),
                             (lambda t: cr.softplus(t, 2, 3), lambda t: softplus(t, 2, 3),
                              np.array([-1e4, 1.5, 1.5 + 1e-9, 1e4]))):
            check_op(fn, tfn, [arr], rtol=1e-15, atol=0, second_order=False)
            check_op(fn, tfn, [arr], rtol=1e-7, atol=0)
        for dtype, tdtype in ((cr.float32, torch.float32), (cr.float16, torch.float16)):
            ours = cr.tensor(x, dtype=dtype, requires_grad=True)
            theirs = torch.tensor(x, dtype=tdtype, requires_grad=True)
            y, ty = cr.softplus(ours), softplus(theirs)
            y.sum().backward()
            ty.sum().backward()
            assert y.dtype == ours.grad.dtype == dtype
            np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-3)
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-3)
        big = cr.softplus(cr.tensor([np.inf, -np.inf, np.nan]))
        np.testing.assert_array_equal(big.numpy(), [np.inf, 0.0, np.nan])


def test_softplus_refuses_integers_and_non_tensors_like_torch():
    with pytest.raises(NotImplementedError):
        softplus(torch.tensor([1, 2]))
    raises_with(NotImplementedError, lambda: cr.softplus(cr.tensor([1, 2])), "softplus", "int64")
    raises_with(TypeError, lambda: cr.softplus([1.0]), "softplus", "list")
    assert cr.softplus(cr.tensor([1.0]), beta=cr.tensor(2.0)).item() == pytest.approx(
        softplus(torch.tensor([1.0]), beta=torch.tensor(2.0)).item())


# ----- dtypes and errors -----------------------------------------------------------------------
def _t(m, values, dtype):
    return m.tensor(values, dtype=getattr(m, "bool_" if m is cr and dtype == "bool" else dtype))


DTYPE_CASES = [
    *[(f"{op}(i64)", lambda m, t, op=op: getattr(m, op)(t(m, [1, 2], "int64")))
      for op in ("acos", "asin", "atan", "acosh", "asinh", "atanh", "tan", "sinh", "cosh",
                 "exp2", "expm1", "log1p", "log2", "log10", "rsqrt", "erf", "erfc", "erfinv",
                 "deg2rad", "rad2deg", "logit", "floor", "ceil", "trunc", "round", "sgn",
                 "signbit", "negative", "positive", "nan_to_num")],
    ("erf(bool)", lambda m, t: m.erf(t(m, [True, False], "bool"))),
    ("signbit(f32)", lambda m, t: m.signbit(t(m, [-0.0, 0.0, -1.0, float("nan")], "float32"))),
    ("sgn(bool)", lambda m, t: m.sgn(t(m, [True, False], "bool"))),
    ("nan_to_num(bool)", lambda m, t: m.nan_to_num(t(m, [True, False], "bool"))),
    ("tan(f16)", lambda m, t: m.tan(t(m, [0.5, 1.0], "float16"))),
    ("atan2(i64, i64)", lambda m, t: m.atan2(t(m, [1, -2], "int64"), t(m, [3, 0], "int64"))),
    ("atan2(f32, i64)", lambda m, t: m.atan2(t(m, [1.0], "float32"), t(m, [3], "int64"))),
    ("xlogy(i64, i64)", lambda m, t: m.xlogy(t(m, [0, 2], "int64"), t(m, [0, 3], "int64"))),
    ("xlogy(2.0, f32)", lambda m, t: m.xlogy(2.0, t(m, [1.0, 3.0], "float32"))),
    ("xlogy(f32, 3)", lambda m, t: m.xlogy(t(m, [1.0, 3.0], "float32"), 3)),
    ("copysign(i64, i64)", lambda m, t: m.copysign(t(m, [7, -7], "int64"), t(m, [-2, 0], "int64"))),
    ("copysign(i64, -1.0)", lambda m, t: m.copysign(t(m, [7, -7], "int64"), -1.0)),
    ("fmod(i32, 3)", lambda m, t: m.fmod(t(m, [7, -7], "int32"), 3)),
    ("remainder(i64, f64)", lambda m, t: m.remainder(t(m, [7, -7], "int64"),
                                                     t(m, [2.5], "float64"))),
    ("f32 // f64", lambda m, t: t(m, [7.0], "float32") // t(m, [2.0], "float64")),
    ("float_power(i64, 2)", lambda m, t: m.float_power(t(m, [7, -7], "int64"), 2)),
    ("float_power(f32, f32)", lambda m, t: m.float_power(t(m, [2.0], "float32"),
                                                         t(m, [0.5], "float32"))),
    ("addcmul(i64 x3, value=2)", lambda m, t: m.addcmul(t(m, [1, 2], "int64"),
                                                        t(m, [3, 4], "int64"),
                                                        t(m, [5, 6], "int64"), value=2)),
    ("addcdiv(f32, i64, f32)", lambda m, t: m.addcdiv(t(m, [1.0], "float32"),
                                                      t(m, [3, 4], "int64"),
                                                      t(m, [2.0], "float32"))),
    ("lerp(f32, f32, 1)", lambda m, t: m.lerp(t(m, [1.0], "float32"), t(m, [2.0], "float32"), 1)),
    ("masked_fill(i64, 2.7)", lambda m, t: t(m, [1, 2], "int64").masked_fill(
        t(m, [True, False], "bool"), 2.7)),
    ("masked_fill(f32, f64 0-d)", lambda m, t: t(m, [1.0, 2.0], "float32").masked_fill(
        t(m, [True, False], "bool"), t(m, 2.5, "float64"))),
    ("masked_fill broadcasts input", lambda m, t: t(m, [1.0, 2.0], "float32").masked_fill(
        t(m, [[True, False], [False, True], [True, True]], "bool"), -1.0)),
]


@pytest.mark.parametrize(("name", "expr"), DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype_and_value_follow_torch(name, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = expr(cr, _t)
    theirs = expr(torch, _t)
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy().astype(np.float64),
                               theirs.numpy().astype(np.float64), rtol=1e-6)


ERROR_CASES = [
    ("floor(bool)", lambda m, t: m.floor(t(m, [True], "bool")), NotImplementedError, "floor"),
    ("frac(i64)", lambda m, t: m.frac(t(m, [1], "int64")), NotImplementedError, "frac"),
    ("round(i64, decimals=1)", lambda m, t: m.round(t(m, [1], "int64"), decimals=1),
     NotImplementedError, "round"),
    ("+bool", lambda m, t: +t(m, [True], "bool"), RuntimeError, "bool"),
    ("hypot(i64, i64)", lambda m, t: m.hypot(t(m, [1], "int64"), t(m, [1], "int64")),
     NotImplementedError, "hypot"),
    ("logaddexp(i64, i64)", lambda m, t: m.logaddexp(t(m, [1], "int64"), t(m, [1], "int64")),
     NotImplementedError, "logaddexp"),
    ("lerp(i64)", lambda m, t: m.lerp(t(m, [1], "int64"), t(m, [2], "int64"), 0.5),
     NotImplementedError, "lerp"),
    ("lerp end dtype", lambda m, t: m.lerp(t(m, [1.0], "float32"), t(m, [2.0], "float64"), 0.5),
     RuntimeError, "end"),
    ("lerp weight dtype", lambda m, t: m.lerp(t(m, [1.0], "float32"), t(m, [2.0], "float32"),
                                              t(m, [0.5], "float64")), RuntimeError, "weight"),
    ("addcdiv ints", lambda m, t: m.addcdiv(t(m, [1.0], "float32"), t(m, [1], "int64"),
                                            t(m, [2], "int64")), RuntimeError, "addcdiv"),
    ("masked_fill float mask", lambda m, t: t(m, [1.0], "float32").masked_fill(
        t(m, [1.0], "float32"), 0.0), RuntimeError, "boolean"),
    ("masked_fill 1-d value", lambda m, t: t(m, [1.0], "float32").masked_fill(
        t(m, [True], "bool"), t(m, [1.0], "float32")), RuntimeError, "0-dimensional"),
    ("masked_fill_ broadcast", lambda m, t: t(m, [1.0], "float32").masked_fill_(
        t(m, [[True], [False]], "bool"), 1.0), RuntimeError, "shape"),
    ("float_power_ on f32", lambda m, t: t(m, [1.0], "float32").float_power_(2),
     RuntimeError, "float_power_"),
    ("erf_ on i64", lambda m, t: t(m, [1], "int64").erf_(), RuntimeError, "erf_"),
]


@pytest.mark.parametrize(("name", "expr", "exc", "fragment"), ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_have_torchs_types(name, expr, exc, fragment):
    with pytest.raises(exc):
        expr(torch, _t)
    raises_with(exc, lambda: expr(cr, _t), fragment)


def test_binary_ops_name_themselves_in_broadcast_errors():
    for fn, op in ((cr.atan2, "atan2"), (cr.fmod, "fmod"), (cr.logaddexp, "logaddexp"),
                   (cr.xlogy, "xlogy"), (cr.hypot, "hypot")):
        raises_with(RuntimeError, lambda fn=fn: fn(cr.ones(2, 3), cr.ones(4)), op, "(2, 3)",
                    "(4,)")
    raises_with(RuntimeError, lambda: cr.lerp(cr.ones(2, 3), cr.ones(4), 0.5), "lerp")
    raises_with(RuntimeError, lambda: cr.addcmul(cr.ones(3), cr.ones(2), cr.ones(3)), "addcmul")
    raises_with(RuntimeError, lambda: cr.ones(3).masked_fill(cr.ones(2) > 0, 1.0),
                "masked_fill", "(3,)", "(2,)")
    raises_with(TypeError, lambda: cr.atan2(1.0, 2.0), "atan2")


def test_out_of_domain_inputs_are_nan_silently():
    x = cr.tensor([-2.0, 2.0, 0.0, 1.0, -1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ys = [cr.acos(x), cr.asin(x), cr.acosh(x), cr.atanh(x), cr.log2(x), cr.rsqrt(x),
              cr.log1p(-x), cr.erfinv(x), cr.logit(x), cr.sinh(x * 1000), cr.exp2(x * 1e4),
              cr.tan(x), cr.erfc(x * 1e3), cr.atan2(x, x * 0), cr.fmod(x, x * 0)]
    tx = torch.tensor([-2.0, 2.0, 0.0, 1.0, -1.0])
    theirs = [torch.acos(tx), torch.asin(tx), torch.acosh(tx), torch.atanh(tx), torch.log2(tx),
              torch.rsqrt(tx), torch.log1p(-tx), torch.erfinv(tx), torch.logit(tx),
              torch.sinh(tx * 1000), torch.exp2(tx * 1e4), torch.tan(tx), torch.erfc(tx * 1e3),
              torch.atan2(tx, tx * 0), torch.fmod(tx, tx * 0)]
    for y, ty in zip(ys, theirs, strict=True):
        np.testing.assert_allclose(y.detach().numpy(), ty.numpy(), rtol=1e-6)


# ----- masked_fill and the in-place variants -----------------------------------------------------
def test_masked_fill_gradient_reaches_a_0d_value_like_torch():
    for m in (cr, torch):
        v = m.tensor(2.0, requires_grad=True)
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * 1).masked_fill(m.tensor([True, False, True]), v)
        (y * m.tensor([1.0, 2.0, 3.0])).sum().backward()
        if m is cr:
            ours = (v.grad.tolist(), x.grad.tolist())
        else:
            assert ours == (v.grad.tolist(), x.grad.tolist())
    assert ours == (4.0, [0.0, 2.0, 0.0])


INPLACE = [
    ("floor_", (), {}), ("ceil_", (), {}), ("trunc_", (), {}), ("round_", (), {"decimals": 1}),
    ("frac_", (), {}), ("atan_", (), {}), ("sinh_", (), {}), ("expm1_", (), {}),
    ("erf_", (), {}), ("rad2deg_", (), {}), ("nan_to_num_", (), {}),
    ("fmod_", (0.7,), {}), ("remainder_", (-0.7,), {}), ("floor_divide_", (0.7,), {}),
    ("atan2_", ([1.5, -1.0],), {}), ("xlogy_", (2.0,), {}), ("hypot_", ([1.0, 2.0],), {}),
    ("copysign_", (-1.0,), {}), ("lerp_", ([2.0, -1.0], 0.25), {}),
    ("lerp_tensor_", ([2.0, -1.0], [[0.25], [0.75]]), {}),
    ("addcmul_", ([2.0, -1.0], [[0.25], [0.75]]), {"value": 2}),
    ("addcdiv_", ([2.0, -1.0], [[0.25], [0.75]]), {}),
]


@pytest.mark.parametrize(("op", "args", "kwargs"), INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_variants_match_torch_values_and_gradients(op, args, kwargs):
    values = [[0.3, -1.26], [2.55, -0.05]]
    name = op.replace("_tensor", "")
    for m in (cr, torch):
        # list arguments become float64 tensors (PyTorch's in-place binary ops take no numbers)
        targs = [m.tensor(a, dtype=m.float64) if isinstance(a, list) else a for a in args]
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        h = x * 1.5
        r = getattr(h, name)(*targs, **kwargs)
        assert r is h
        if m is cr:
            ours = h.detach().numpy()
            if op != "floor_divide_":
                (h * h).sum().backward()
                ours_grad = x.grad.numpy()
        else:
            np.testing.assert_allclose(ours, h.detach().numpy(), rtol=1e-12)
            if op != "floor_divide_":
                (h * h).sum().backward()
                np.testing.assert_allclose(ours_grad, x.grad.numpy(), rtol=1e-12)
        with m.no_grad():  # nothing to record: the same values
            y = m.tensor(values, dtype=m.float64) * 1.5
            getattr(y, name)(*targs, **kwargs)
        np.testing.assert_allclose(y.numpy(), ours, rtol=1e-12)


def test_inplace_dunders_and_masked_fill_():
    x = cr.tensor([7.0, -7.5, 3.0])
    tx = torch.tensor([7.0, -7.5, 3.0])
    x //= 2
    tx //= 2
    assert x.tolist() == tx.tolist()
    x %= -3
    tx %= -3
    assert x.tolist() == tx.tolist()
    i, ti = cr.tensor([7, -7]), torch.tensor([7, -7])
    i //= 2
    ti //= 2
    assert i.tolist() == ti.tolist() and i.dtype == cr.int64
    for m in (cr, torch):
        w = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = m.tensor(5.0, requires_grad=True)
        h = w * 2
        h.masked_fill_(m.tensor([False, True, False]), v)
        (h * h).sum().backward()
        if m is cr:
            ours = (h.tolist(), w.grad.tolist(), v.grad.tolist())
        else:
            assert ours == (h.tolist(), w.grad.tolist(), v.grad.tolist())
    leaf = cr.tensor([1.0], requires_grad=True)
    raises_with(RuntimeError, lambda: leaf.floor_(), "floor_", "leaf")
    with cr.no_grad():
        leaf.floor_()
    assert leaf.tolist() == [1.0]


# ----- create_graph gradients: recorded where PyTorch's are ------------------------------------
RECORDED = ["atan2", "logaddexp", "logaddexp2", "xlogy", "hypot", "copysign"]


@pytest.mark.parametrize("op", RECORDED)
@pytest.mark.parametrize("which", [0, 1])
def test_create_graph_gradient_requires_grad_where_torchs_does(op, which):
    # each input alone requiring grad: PyTorch records d/da of copysign (result / a) though its
    # own derivative is 0 (fmod and remainder's d/db: see their docstrings)
    def run(m):
        xs = [m.tensor(v, dtype=m.float64, requires_grad=i == which)
              for i, v in enumerate(([0.3, -0.6, 1.7], [0.7, 1.2, -0.4]))]
        (g,) = m.autograd.grad(getattr(m, op)(*xs).sum(), xs[which], create_graph=True)
        return g

    g, tg = run(cr), run(torch)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-14)
    assert g.requires_grad == tg.requires_grad


def test_copysign_second_derivative_is_torchs_including_nan_at_zero():
    def run(m):
        a = m.tensor([0.0, -2.0, 3.0], dtype=m.float64, requires_grad=True)
        b = m.tensor([-1.0, 1.0, -1.0], dtype=m.float64)
        (g,) = m.autograd.grad(m.copysign(a, b).sum(), a, create_graph=True)
        return g, m.autograd.grad(g.sum(), a)[0]

    (g, h), (tg, th) = run(cr), run(torch)
    assert g.tolist() == tg.tolist()
    np.testing.assert_array_equal(h.numpy(), th.numpy())  # nan at a == 0, as PyTorch


@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_fmod_remainder_save_their_operands_like_torch(op):
    # d/db reads a and b (PyTorch saves both): a later in-place write to a is caught
    def run(m):
        a = m.tensor([5.0, -7.0])
        b = m.tensor([2.0, 3.0], requires_grad=True)
        y = getattr(m, op)(a, b)
        a.add_(1)
        y.sum().backward()

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(torch)
    raises_with(RuntimeError, lambda: run(cr), "modified by an in-place operation")
