"""Elementwise ops against PyTorch (values, gradients, second derivatives), numerical gradient
checks, PyTorch's conventions at kinks and ties, dtypes, comparisons and logical ops."""

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

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=4)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


ANY = floats(-3, 3)
POSITIVE = floats(0.1, 3)
AWAY_FROM_0 = floats(0.1, 3) | floats(-3, -0.1)
# two interleaved grids: an element of GRID_A never equals one of GRID_B (no ties)
GRID_A = st.integers(-12, 12).map(lambda k: k / 4)
GRID_B = st.integers(-12, 12).map(lambda k: k / 4 + 1 / 8)


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float]) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


# torch's second derivative of abs is a ZeroTensor, which oracle.check_op cannot read (numpy()
# refuses it): abs is compared to first order there and its zero second derivative checked here
NO_SECOND_ORDER = {"abs", "abs_dunder"}
UNARY = [
    ("exp", cr.exp, torch.exp, ANY),
    ("log", cr.log, torch.log, POSITIVE),
    ("neg", cr.neg, torch.neg, ANY),
    ("sqrt", cr.sqrt, torch.sqrt, POSITIVE),
    ("sin", cr.sin, torch.sin, ANY),
    ("cos", cr.cos, torch.cos, ANY),
    ("tanh", cr.tanh, torch.tanh, ANY),
    ("sigmoid", cr.sigmoid, torch.sigmoid, floats(-8, 8)),
    ("relu", cr.relu, torch.relu, AWAY_FROM_0),
    ("abs", cr.abs, torch.abs, AWAY_FROM_0),
    ("abs_dunder", lambda x: abs(x), lambda x: abs(x), AWAY_FROM_0),
    ("sign", cr.sign, torch.sign, AWAY_FROM_0),
    ("square", cr.square, torch.square, ANY),
    ("reciprocal", cr.reciprocal, torch.reciprocal, AWAY_FROM_0),
    ("method_chain", lambda x: x.sin().tanh().sigmoid(), lambda x: x.sin().tanh().sigmoid(), ANY),
    ("method_chain_2", lambda x: x.tanh().sigmoid().sin(), lambda x: x.tanh().sigmoid().sin(), ANY),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "cr_fn", "torch_fn", "elements"), UNARY,
                         ids=[u[0] for u in UNARY])
@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_unary_matches_torch(name, cr_fn, torch_fn, elements, data, shape):
    check_op(cr_fn, torch_fn, [data.draw(arrays(shape, elements))],
             second_order=name not in NO_SECOND_ORDER)


def test_abs_second_derivative_is_zero():
    x = cr.tensor([-2.0, 0.0, 3.0], dtype=cr.float64, requires_grad=True)
    (g,) = cr.grad((cr.abs(x) * cr.tensor([1.0, 2.0, 3.0])).sum(), x, create_graph=True)
    assert g.tolist() == [-1.0, 0.0, 3.0]
    # as PyTorch: g = sign(x) * ... is recorded (a gradient penalty backpropagates), and its own
    # derivative is zero
    assert g.requires_grad
    (h,) = cr.grad(g.sum(), x)
    assert h.tolist() == [0.0, 0.0, 0.0]


BINARY = [
    ("add", cr.add, torch.add, ANY, ANY),
    ("sub", cr.sub, torch.sub, ANY, ANY),
    ("mul", cr.mul, torch.mul, ANY, ANY),
    ("div", cr.div, torch.div, ANY, AWAY_FROM_0),
    ("pow", cr.pow, torch.pow, POSITIVE, floats(-2, 2)),
    ("maximum", cr.maximum, torch.maximum, GRID_A, GRID_B),
    ("minimum", cr.minimum, torch.minimum, GRID_A, GRID_B),
    ("max_other", cr.max, torch.max, GRID_A, GRID_B),
    ("min_other", lambda a, b: a.min(b), lambda a, b: a.min(b), GRID_A, GRID_B),
    ("where", lambda a, b: cr.where(a > b, a * b, a - b),
     lambda a, b: torch.where(a > b, a * b, a - b), GRID_A, GRID_B),
    ("clamp_tensors", lambda a, b: cr.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b),
     GRID_A, GRID_B),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "cr_fn", "torch_fn", "ea", "eb"), BINARY,
                         ids=[b[0] for b in BINARY])
@SETTINGS
@given(data=st.data(), shapes=PAIRS)
def test_binary_matches_torch_with_broadcasting(name, cr_fn, torch_fn, ea, eb, data, shapes):
    sa, sb = shapes.input_shapes
    check_op(cr_fn, torch_fn, [data.draw(arrays(sa, ea)), data.draw(arrays(sb, eb))])


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), shape=SHAPES, lo=st.integers(-6, 6), width=st.integers(-2, 6),
       which=st.sampled_from(["both", "min", "max"]))
def test_clamp_matches_torch(data, shape, lo, width, which):
    # bounds on the GRID_B lattice, values on GRID_A: no value sits on a bound
    lo_v, hi_v = lo / 4 + 1 / 8, (lo + width) / 4 + 1 / 8
    kw = {"both": {"min": lo_v, "max": hi_v}, "min": {"min": lo_v}, "max": {"max": hi_v}}[which]
    check_op(lambda x: cr.clamp(x, **kw), lambda x: torch.clamp(x, **kw),
             [data.draw(arrays(shape, GRID_A))])


# ----- PyTorch's conventions at kinks and ties -------------------------------------------------
KINKS = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])


@pytest.mark.torch
@pytest.mark.parametrize(("cr_fn", "torch_fn"), [
    (cr.relu, torch.relu),
    (cr.abs, torch.abs),
    (cr.sign, torch.sign),
    (lambda x: cr.clamp(x, -1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0)),
    (lambda x: cr.clamp(x, min=0.0), lambda x: torch.clamp(x, min=0.0)),
    (lambda x: x.clamp_max(0.0), lambda x: x.clamp_max(0.0)),
    (lambda x: cr.clamp(x, 1.0, -1.0), lambda x: torch.clamp(x, 1.0, -1.0)),
])
def test_kinks_follow_torch(cr_fn, torch_fn):
    check_op(cr_fn, torch_fn, [KINKS], second_order=cr_fn is not cr.abs)


@pytest.mark.torch
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_the_gradient_like_torch(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    check_op(getattr(cr, op), getattr(torch, op), [a, b])
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    getattr(cr, op)(x, x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # 0.5 through each operand


@pytest.mark.torch
def test_clamp_with_tensor_bounds_follows_torch_including_ties():
    x = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]] * 3)
    lo = np.array([[-1.0], [0.0], [3.0]])  # the last row has lo > hi
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    check_op(lambda a, b, c: cr.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c),
             [x, lo, hi])
    check_op(lambda a, c: cr.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c), [x, hi])


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy warns on 0 * inf
def test_pow_at_zero_follows_torch():
    # a == 0 with b == 0 (d/da is 0, not nan), b in (0, 1) (inf), b == 1, b == 2; a < 0 with
    # integer b (d/db is nan there, as in torch)
    a = np.array([0.0, 0.0, 0.0, 0.0, -1.5, 2.0])
    b = np.array([0.0, 0.5, 1.0, 2.0, 2.0, 0.0])
    check_op(cr.pow, torch.pow, [a, b], second_order=False)
    for e in (0, 0.0, 0.5, 1, 2, 3.0):
        check_op(lambda x, e=e: x ** e, lambda x, e=e: x ** e, [a])
    check_op(lambda y: 0.0 ** y, lambda y: 0.0 ** y, [b])
    check_op(lambda y: 2.0 ** y, lambda y: 2.0 ** y, [b])


@pytest.mark.torch
def test_sign_has_a_zero_gradient_like_torch():
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = cr.sign(x)
    assert y.requires_grad == torch.sign(torch.tensor([1.0], requires_grad=True)).requires_grad
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert cr.sign(cr.tensor([True, False])).tolist() == [True, False]


# ----- numerical gradient checks ---------------------------------------------------------------
X = np.array([[0.3, -1.2, 2.1], [-0.7, 1.6, 0.9]])
Y = np.array([1.1, -0.4, 0.6])
GRADCHECK = [
    ("exp", cr.exp, [X]), ("log", cr.log, [np.abs(X)]), ("sqrt", cr.sqrt, [np.abs(X)]),
    ("sin", cr.sin, [X]), ("cos", cr.cos, [X]), ("tanh", cr.tanh, [X]),
    ("sigmoid", cr.sigmoid, [X]), ("relu", cr.relu, [X]), ("abs", cr.abs, [X]),
    ("square", cr.square, [X]), ("reciprocal", cr.reciprocal, [X]), ("neg", cr.neg, [X]),
    ("clamp", lambda x: cr.clamp(x, -1.0, 1.0), [X]),
    ("add", cr.add, [X, Y]), ("sub", cr.sub, [X, Y]), ("mul", cr.mul, [X, Y]),
    ("div", cr.div, [X, Y]), ("pow", cr.pow, [np.abs(X), Y]),
    ("maximum", cr.maximum, [X, Y]), ("minimum", cr.minimum, [X, Y]),
    ("where", lambda a, b: cr.where(a > 0, a, b), [X, Y]),
    ("clamp_tensors", lambda a, b: cr.clamp(a, b, b + 1.0), [X, Y]),
]


# piecewise-linear ops: their first derivative is constant (it records no graph), so their second
# derivatives are checked through fn(x)^2, whose Hessian 2 f' f'^T + 2 f f'' uses both
LINEAR = {"relu", "abs", "neg", "clamp", "add", "sub", "maximum", "minimum", "where",
          "clamp_tensors"}


@pytest.mark.parametrize(("name", "fn", "arrays"), GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck_and_gradgradcheck(name, fn, arrays):
    xs = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
    assert cr.gradcheck(fn, xs)
    assert cr.gradgradcheck((lambda *t: fn(*t) ** 2) if name in LINEAR else fn, xs)


# ----- stability -------------------------------------------------------------------------------
@pytest.mark.torch
def test_sigmoid_tanh_exp_of_huge_inputs_are_finite_and_silent():
    big = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype, tdtype in ((cr.float32, torch.float32), (cr.float64, torch.float64)):
            for fn in ("sigmoid", "tanh"):
                ours = getattr(cr, fn)(cr.tensor(big, dtype=dtype)).numpy()
                theirs = getattr(torch, fn)(torch.tensor(big, dtype=tdtype)).numpy()
                assert np.isfinite(ours).all()
                np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)
        assert cr.exp(cr.tensor(big)).tolist()[-1] == float("inf")
    check_op(cr.sigmoid, torch.sigmoid, [big])


@pytest.mark.torch
def test_division_by_zero_gives_torchs_gradients_silently():
    a_np, b_np = np.array([1.0, 0.0, -2.0]), np.array([0.0, 0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = (cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in (a_np, b_np))
        (a / b).sum().backward()
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))
    (ta / tb).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


# ----- dtypes ----------------------------------------------------------------------------------
def _as_torch_dtype(d: cr.DType) -> torch.dtype:
    return getattr(torch, d.name)


DTYPE_CASES = [
    ("f32 + 2.5", lambda m, t: t(m, [1.0, 2.0], "float32") + 2.5),
    ("f32 * 2", lambda m, t: t(m, [1.0, 2.0], "float32") * 2),
    ("f32 * np.float64", lambda m, t: t(m, [1.0, 2.0], "float32") * np.float64(2.5)),
    ("i64 * np.float32", lambda m, t: t(m, [1, 2], "int64") * np.float32(2.5)),
    ("2.0 ** f32", lambda m, t: 2.0 ** t(m, [1.0, 2.0], "float32")),
    ("f32 - f64", lambda m, t: t(m, [1.0], "float32") - t(m, [1.0], "float64")),
    ("i64 + 0.5", lambda m, t: t(m, [1, 2], "int64") + 0.5),
    ("0.5 * i64", lambda m, t: 0.5 * t(m, [1, 2], "int64")),
    ("i32 * 2.5", lambda m, t: t(m, [1, 2], "int32") * 2.5),
    ("i64 + 2", lambda m, t: t(m, [1, 2], "int64") + 2),
    ("i64 * f32", lambda m, t: t(m, [1, 2], "int64") * t(m, [1.0], "float32")),
    ("bool + 1", lambda m, t: t(m, [True], "bool") + 1),
    ("i64 / i64", lambda m, t: t(m, [1, 2], "int64") / t(m, [2, 2], "int64")),
    ("i64 ** 2", lambda m, t: t(m, [1, 2], "int64") ** 2),
    ("i64 ** 0.5", lambda m, t: t(m, [1, 2], "int64") ** 0.5),
    ("sqrt(i64)", lambda m, t: m.sqrt(t(m, [1, 4], "int64"))),
    ("exp(i64)", lambda m, t: m.exp(t(m, [1, 4], "int64"))),
    ("sigmoid(i64)", lambda m, t: m.sigmoid(t(m, [1, 4], "int64"))),
    ("relu(i64)", lambda m, t: m.relu(t(m, [-1, 4], "int64"))),
    ("abs(i32)", lambda m, t: m.abs(t(m, [-1, 4], "int32"))),
    ("square(i64)", lambda m, t: m.square(t(m, [-1, 4], "int64"))),
    ("reciprocal(i64)", lambda m, t: m.reciprocal(t(m, [-1, 4], "int64"))),
    ("clamp(i64, 0.5)", lambda m, t: m.clamp(t(m, [-1, 4], "int64"), 0.5)),
    ("clamp(i64, 0, 2)", lambda m, t: m.clamp(t(m, [-1, 4], "int64"), 0, 2)),
    ("maximum(i64, f32)", lambda m, t: m.maximum(t(m, [-1, 4], "int64"), t(m, [1.0], "float32"))),
    ("where(c, 1.0, 0)", lambda m, t: m.where(t(m, [True, False], "bool"), 1.0, 0)),
    ("where(c, 1, 0)", lambda m, t: m.where(t(m, [True, False], "bool"), 1, 0)),
    ("where(c, i64, 0.5)", lambda m, t: m.where(t(m, [True, False], "bool"),
                                                t(m, [1, 2], "int64"), 0.5)),
    ("where(c, f64, 0.5)", lambda m, t: m.where(t(m, [True, False], "bool"),
                                                t(m, [1, 2], "float64"), 0.5)),
    ("f16 * 3.0", lambda m, t: t(m, [1.0], "float16") * 3.0),
    ("f32 == 1", lambda m, t: t(m, [1.0], "float32") == 1),
]


def _make(m, values, dtype):
    return m.tensor(values, dtype=getattr(m, "bool_" if m is cr and dtype == "bool" else dtype))


@pytest.mark.torch
@pytest.mark.parametrize(("name", "expr"), DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype_and_value_follow_torch(name, expr):
    ours, theirs = expr(cr, _make), expr(torch, _make)
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
    np.testing.assert_allclose(ours.numpy().astype(np.float64),
                               theirs.numpy().astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("fn", [
    cr.sqrt, cr.sin, cr.cos, cr.tanh, cr.sigmoid, cr.relu, cr.abs, cr.square, cr.reciprocal,
    cr.exp, cr.log, lambda x: x * 2.0, lambda x: 3 / x, lambda x: x ** 2, lambda x: 2.0 ** x,
    lambda x: cr.clamp(x, 0.5, 1.5), lambda x: cr.maximum(x, x * 0.5),
    lambda x: cr.where(x > 1, x, 0.0),
])
def test_float32_stays_float32_in_values_and_grads(fn):
    x = cr.tensor([[0.5, 1.25], [2.0, 3.0]], requires_grad=True)
    y = fn(x)
    assert y.dtype == cr.float32
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    assert g.dtype == cr.float32
    if g.requires_grad:
        (h,) = cr.grad(g.sum(), x, allow_unused=True)
        assert h is None or h.dtype == cr.float32


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_casts_between_float_types_match_torch(dtype):
    # through float32 and back: both round alike, so values and gradients agree exactly
    check_op(lambda a: a.float().double() * a, lambda a: a.float().double() * a,
             [np.array([[0.1, -1.3], [2.7, 3.0]])])
    values = [[0.5, -1.25], [2.0, 3.0]]
    x = cr.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    y, ty = x.to(getattr(cr, dtype)), tx.to(getattr(torch, dtype))
    (y * y * 3).sum().backward()
    (ty * ty * 3).sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


# torch raises RuntimeError; ops._util.broadcast_check (shared) raises ValueError for now
BROADCAST_ERROR = (RuntimeError, ValueError)


# ----- where -----------------------------------------------------------------------------------
@pytest.mark.torch
def test_where_numbers_and_gradients():
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = cr.where(x > 0, x, 0.0) + cr.where(x > 0, 1.0, x * 2) + x.where(x > 2, -x)
    y.sum().backward()
    tx = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    ty = (torch.where(tx > 0, tx, 0.0) + torch.where(tx > 0, 1.0, tx * 2)
          + tx.where(tx > 2, -tx))
    ty.sum().backward()
    assert y.tolist() == ty.tolist()
    assert x.grad.tolist() == tx.grad.tolist()


def test_where_errors():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="boolean"):
        cr.where(x, x, x)
    with pytest.raises(TypeError, match="condition"):
        cr.where([True, False], x, x)
    with pytest.raises(BROADCAST_ERROR, match=r"where: shapes \(2,\) and \(2,\) and \(3,\)"):
        cr.where(x > 0, x, cr.tensor([1.0, 2.0, 3.0]))


def test_binary_errors_name_the_op_and_shapes():
    with pytest.raises(BROADCAST_ERROR, match=r"maximum: shapes \(2, 3\) and \(4,\)"):
        cr.maximum(cr.ones(2, 3), cr.ones(4))
    with pytest.raises(BROADCAST_ERROR, match=r"clamp: shapes \(2, 3\) and \(2,\)"):
        cr.clamp(cr.ones(2, 3), cr.ones(2))
    with pytest.raises(TypeError, match="sqrt"):
        cr.sqrt(4.0)
    with pytest.raises(RuntimeError, match="clamp"):
        cr.clamp(cr.ones(2))
    with pytest.raises(TypeError, match="maximum"):
        cr.maximum(cr.ones(2), "a")


# ----- comparisons and logical ops -------------------------------------------------------------
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.torch
@pytest.mark.parametrize("op", COMPARISONS)
@SETTINGS
@given(data=st.data(), shapes=PAIRS)
def test_comparisons_match_torch(op, data, shapes):
    sa, sb = shapes.input_shapes
    small = st.integers(-2, 2).map(float)  # frequent equal values
    a, b = data.draw(arrays(sa, small)), data.draw(arrays(sb, small))
    dunder = f"__{op}__"
    for ours, theirs in (
        (getattr(cr, op)(cr.tensor(a), cr.tensor(b)), getattr(torch, op)(torch.tensor(a),
                                                                        torch.tensor(b))),
        (getattr(cr.tensor(a), dunder)(cr.tensor(b)), getattr(torch.tensor(a), dunder)(
            torch.tensor(b))),
        (getattr(cr.tensor(a), dunder)(1.0), getattr(torch.tensor(a), dunder)(1.0)),
    ):
        assert ours.dtype == cr.bool_
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_comparisons_record_no_gradient_and_keep_identity_hashing():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 1, x == x, 2 < x, x <= 2.0, x != 1, x >= x, cr.eq(x, 2.0)):  # noqa: SIM300
        assert r.dtype == cr.bool_ and not r.requires_grad and r.grad_fn is None
    assert (2 < x).tolist() == [False, False, True]  # noqa: SIM300  (the reflected operator)
    assert (1.0 == x).tolist() == [True, False, False]  # noqa: SIM300
    y = cr.tensor([1.0, 2.0, 3.0])
    assert len({x, y}) == 2 and {x: 1}[x] == 1 and hash(x) == object.__hash__(x)
    assert (x == None) is False  # noqa: E711  (identity fallback, as torch)
    assert x != "a"


@pytest.mark.torch
def test_logical_and_bitwise_ops_match_torch():
    a, b = [True, True, False, False], [True, False, True, False]
    i, j = [0, 1, 2, 12], [3, 5, 6, -1]
    for ours, theirs in (
        (cr.tensor(a) & cr.tensor(b), torch.tensor(a) & torch.tensor(b)),
        (cr.tensor(a) | cr.tensor(b), torch.tensor(a) | torch.tensor(b)),
        (cr.tensor(a) ^ cr.tensor(b), torch.tensor(a) ^ torch.tensor(b)),
        (~cr.tensor(a), ~torch.tensor(a)),
        (cr.tensor(a) & True, torch.tensor(a) & True),
        (False | cr.tensor(a), False | torch.tensor(a)),
        (cr.tensor(i) & cr.tensor(j), torch.tensor(i) & torch.tensor(j)),
        (cr.tensor(i) ^ 5, torch.tensor(i) ^ 5),
        (~cr.tensor(i), ~torch.tensor(i)),
        (cr.logical_and(cr.tensor([0.0, 1.5, 2.0]), cr.tensor([1.0, 0.0, 3.0])),
         torch.logical_and(torch.tensor([0.0, 1.5, 2.0]), torch.tensor([1.0, 0.0, 3.0]))),
        (cr.logical_or(cr.tensor(i), 0), torch.logical_or(torch.tensor(i), torch.tensor(0))),
        (cr.logical_xor(cr.tensor(a), cr.tensor(b)), torch.logical_xor(torch.tensor(a),
                                                                      torch.tensor(b))),
        (cr.tensor([0.0, 2.0]).logical_not(), torch.tensor([0.0, 2.0]).logical_not()),
        ((cr.tensor([1.0, 5.0]) > 2) | (cr.tensor([1.0, 5.0]) < 2),
         (torch.tensor([1.0, 5.0]) > 2) | (torch.tensor([1.0, 5.0]) < 2)),
    ):
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
        assert ours.tolist() == theirs.tolist()


def test_bitwise_ops_reject_floats():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="integer and bool"):
        x & x
    with pytest.raises(RuntimeError, match="integer and bool"):
        cr.tensor([True]) | x
    with pytest.raises(TypeError, match="integer and bool"):
        _ = ~x
    with pytest.raises(TypeError):
        cr.tensor([1]) & 1.5


@pytest.mark.torch
def test_isnan_isinf_isfinite_match_torch():
    v = [1.0, float("nan"), float("inf"), -float("inf"), 0.0]
    for name in ("isnan", "isinf", "isfinite"):
        assert getattr(cr, name)(cr.tensor(v)).tolist() == getattr(torch, name)(
            torch.tensor(v)).tolist()


# ----- one rule per op: the same rule on arrays and on Tensors ---------------------------------
@pytest.mark.torch
def test_number_divided_by_a_tensor_is_reciprocal_times_the_number_like_torch():
    # PyTorch computes number / x as x.reciprocal() * number: it saves 1 / x, not x, so an
    # in-place write to x afterwards does not invalidate the gradient
    def run(m):
        a = m.tensor([1.0, 2.0, 4.0], dtype=m.float64, requires_grad=True)
        b = a * 2
        v = b[-1]
        y = -1 / v
        v.fill_(0.5)
        (y * 3).backward()
        return y, a.grad

    (y, g), (ty, tg) = run(cr), run(torch)
    assert y.item() == ty.item() and g.tolist() == tg.tolist()
    assert y.grad_fn.name() == "MulBackward"
    assert y.grad_fn.next_functions[0][0].name() == "ReciprocalBackward"
    for num in (2, 2.5, True):
        ours, theirs = num / cr.tensor([1, 2]), num / torch.tensor([1, 2])
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
        assert ours.tolist() == theirs.tolist()


@pytest.mark.torch
def test_reciprocal_matches_torch_to_second_order_and_refuses_nothing_torch_accepts():
    check_op(cr.reciprocal, torch.reciprocal, [np.array([[0.5, -2.0], [3.0, 0.0]])])
    check_op(lambda x: 3.0 / x, lambda x: 3.0 / x, [np.array([0.5, -2.0, 0.0])])
    assert cr.reciprocal(cr.tensor([2, 4])).dtype == cr.float32


def test_keep_where_is_an_exact_selection_on_arrays_and_on_tensors():
    from chainrule.tensor.backend import keep_where

    g = np.array([[np.nan, np.inf, 1.0], [2.0, -np.inf, np.nan]], dtype=np.float32)
    mask = np.array([[False, True, True], [False, False, True]])
    want = np.where(mask, g, 0)
    out = keep_where(mask, g)
    assert out.dtype == g.dtype
    np.testing.assert_array_equal(out, want)
    # a mask that broadcasts against g, a 0-d array, a NumPy scalar, a dtype without a trick
    np.testing.assert_array_equal(keep_where(mask[1], g), np.where(mask[1], g, 0))
    assert keep_where(np.array(False), np.array(np.nan)) == 0
    assert keep_where(np.True_, np.float64(3.0)) == 3.0
    assert keep_where(mask, g.astype(np.float16)).dtype == np.float16
    # on Tensors: where(mask, g, 0), recorded; with the mask's source, recorded on it too with
    # derivative 0 (what relu's rule does, as PyTorch's threshold_backward)
    y = cr.tensor([0.0, 1.0, 2.0], dtype=cr.float64, requires_grad=True)
    gt = cr.tensor([np.nan, 3.0, 4.0], dtype=cr.float64)
    assert not keep_where(y._data > 0, gt).requires_grad
    sel = keep_where(y._data > 0, gt, y)
    assert sel.requires_grad and sel.tolist()[1:] == [3.0, 4.0] and sel.tolist()[0] == 0.0
    (d,) = cr.grad(sel.sum(), y)
    assert d.tolist() == [0.0, 0.0, 0.0]
