"""Type promotion as a table against torch: result dtypes and values of ops whose operands
differ in dtype, over the three tiers (tensors with dimensions, 0-d tensors, numbers)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

pytestmark = pytest.mark.torch

NAMES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "float16", "float32", "float64"]
# torch supports arithmetic on uint16/32/64 only partially ("add_stub" not implemented ...)
CORE = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _dt(m: Any, name: str) -> Any:
    return getattr(m, "bool_" if m is cr and name == "bool" else name)


def _same(ours: Any, theirs: Any, what: str) -> None:
    """Equal dtype name and values (a Tensor or a plain result)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), what
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), \
            f"{what}: {ours.dtype} vs {theirs.dtype}"
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(),
                                      err_msg=what)
    else:
        assert ours == theirs, what


def _compare(fn: Callable[[Any], Any], what: str) -> None:
    """fn(torch) and fn(cr) agree: the same result, or the same error type."""
    try:
        theirs = fn(torch)
    except Exception as e:
        with pytest.raises(type(e) if not isinstance(e, NotImplementedError) else Exception):
            fn(cr)
        return
    _same(fn(cr), theirs, what)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(NAMES, NAMES)))
def test_promote_types_table(a: str, b: str) -> None:
    _compare(lambda m: m.promote_types(_dt(m, a), _dt(m, b)).__repr__().split(".")[-1],
             f"promote_types({a}, {b})")


@pytest.mark.parametrize(("a", "b"), list(itertools.product(CORE, CORE)))
def test_tiers_for_every_pair(a: str, b: str) -> None:
    """dim with dim, dim with 0-d, 0-d with dim, 0-d with 0-d: dtype and value of a + b (a * b
    for bools, a | b ... all the same rule)."""
    x = [1, 0, 1]
    for sa, sb in ((x, x), (x, 1), (1, x), (1, 1)):
        def fn(m: Any, sa: Any = sa, sb: Any = sb) -> Any:
            return m.tensor(sa, dtype=_dt(m, a)) * m.tensor(sb, dtype=_dt(m, b))
        _compare(fn, f"{a} {sa} * {b} {sb}")


@pytest.mark.parametrize("a", CORE)
@pytest.mark.parametrize("s", [True, 3, -1, 300, 2.5, np.float64(2.5), np.float16(0.5),
                               np.int8(3), np.int64(-2), np.bool_(True), 2**40])
def test_tensor_and_number(a: str, s: Any) -> None:
    """A number gives only its category: uint8 + 300 wraps, int32 + 2.5 is float32."""
    for dims in ([1, 2, 3], 1):
        _compare(lambda m, dims=dims: m.tensor(dims, dtype=_dt(m, a)) * s, f"{a} * {s!r}")
        _compare(lambda m, dims=dims: s * m.tensor(dims, dtype=_dt(m, a)), f"{s!r} * {a}")
        if a != "bool" and not (isinstance(s, bool) or type(s) is np.bool_):
            _compare(lambda m, dims=dims: m.tensor(dims, dtype=_dt(m, a)) + s, f"{a} + {s!r}")


def _i(m: Any, v: Any, d: str) -> Any:
    return m.tensor(v, dtype=_dt(m, d))


TABLE: dict[str, Callable[[Any], Any]] = {
    "f32 * 0-d f64 is f32": lambda m: _i(m, [1.5, 2], "float32") * _i(m, 2.0, "float64"),
    "int32 + 0-d int64 is int32": lambda m: _i(m, [1, 2], "int32") + m.tensor(3),
    "uint8 + 300 wraps": lambda m: _i(m, [1, 250], "uint8") + 300,
    "int8 + 200 wraps": lambda m: _i(m, [1, 100], "int8") + 200,
    "int32 + 2**40 wraps": lambda m: _i(m, [1], "int32") + 2**40,
    "int64 + 2**63 wraps": lambda m: _i(m, [1], "int64") + 2**63,
    "int64 + 2**70 overflows": lambda m: _i(m, [1], "int64") + 2**70,
    "float + 2**70 overflows": lambda m: _i(m, [1], "int32") * 0.5 + 2**70,
    "bool ** 2 is int64": lambda m: _i(m, [True, False], "bool") ** 2,
    "bool ** True is bool": lambda m: _i(m, [True, False], "bool") ** True,
    "int / int is float32": lambda m: m.tensor([1, 3]) / m.tensor([2, 2]),
    "int / 2": lambda m: m.tensor([1, 3]) / 2,
    "2 / int": lambda m: 2 / m.tensor([1, 4]),
    "int / 0-d f64 is f64": lambda m: m.tensor([1, 3]) / _i(m, 2.0, "float64"),
    "uint8 / uint8": lambda m: _i(m, [1, 3], "uint8") / _i(m, [2, 2], "uint8"),
    "bool / bool": lambda m: _i(m, [True], "bool") / _i(m, [True], "bool"),
    "int8 + uint8 is int16": lambda m: _i(m, [-1, 2], "int8") + _i(m, [200, 2], "uint8"),
    "0-d int32 + 0-d f64": lambda m: _i(m, 1, "int32") + _i(m, 1.5, "float64"),
    "0-d int8 + 1000 wraps": lambda m: _i(m, 1, "int8") + 1000,
    "bool + 0-d int32": lambda m: _i(m, [True], "bool") + _i(m, 1, "int32"),
    "int ** 2.5": lambda m: m.tensor([2, 3]) ** 2.5,
    "int ** -1 raises": lambda m: m.tensor([2, 3]) ** -1,
    "uint8 ** -1 raises": lambda m: _i(m, [2], "uint8") ** -1,
    "int8 ** 200 raises": lambda m: _i(m, [2], "int8") ** 200,
    "int ** negative tensor": lambda m: m.tensor([0, 1, -1, -1, 3, 2]) ** m.tensor(
        [-1, -2, -3, -2, -1, 3]),
    "2 ** int tensor": lambda m: 2 ** m.tensor([-1, 0, 3]),
    "2.5 ** int tensor": lambda m: 2.5 ** m.tensor([-1, 2]),
    "int ** 0-d f64": lambda m: m.tensor([2]) ** _i(m, 0.5, "float64"),
    "f32 ** 0-d f64": lambda m: _i(m, [2.0], "float32") ** _i(m, 0.5, "float64"),
    "bool - bool raises": lambda m: m.tensor([True]) - m.tensor([True]),
    "bool - True raises": lambda m: m.tensor([True]) - True,
    "int - bool raises": lambda m: m.tensor([1]) - m.tensor([True]),
    "1 - bool raises": lambda m: 1 - m.tensor([True]),
    "-bool raises": lambda m: -m.tensor([True]),
    "bool + bool is bool": lambda m: m.tensor([True, False]) + m.tensor([True, False]),
    "uint8 == 300 compares wrapped": lambda m: _i(m, [44, 1], "uint8") == 300,
    "uint8 < 300": lambda m: _i(m, [44, 1], "uint8") < 300,
    "int == float": lambda m: m.tensor([1, 2]) == m.tensor([1.0, 2.5]),
    "int < 2.5": lambda m: m.tensor([2, 3]) < 2.5,
    "big int64 > float: compared in float32": lambda m: m.tensor([2**53 + 1]) > float(2**53),
    "int8 >= uint8": lambda m: _i(m, [-1], "int8") >= _i(m, [255], "uint8"),
    "where(c, 1.0, 0)": lambda m: m.where(m.tensor([True, False]), 1.0, 0),
    "where(c, 1, 0)": lambda m: m.where(m.tensor([True, False]), 1, 0),
    "where(c, int32, 0-d f64)": lambda m: m.where(
        m.tensor([True, False]), _i(m, [1, 1], "int32"), _i(m, 2.5, "float64")),
    "where(c, f32, 0-d f64)": lambda m: m.where(
        m.tensor([True, False]), _i(m, [1, 1], "float32"), _i(m, 2.5, "float64")),
    "where(c, uint8, 300) raises": lambda m: m.where(
        m.tensor([True, False]), _i(m, [1, 1], "uint8"), 300),
    "where(c, int8, uint8)": lambda m: m.where(
        m.tensor([True, False]), _i(m, [1, 1], "int8"), _i(m, [200, 200], "uint8")),
    "maximum int float": lambda m: m.maximum(m.tensor([1, 3]), m.tensor([1.5, 2.5])),
    "maximum uint8 int8": lambda m: m.maximum(_i(m, [1], "uint8"), _i(m, [-1], "int8")),
    "minimum f32 0-d f64": lambda m: m.minimum(_i(m, [1, 3], "float32"), _i(m, 2.5, "float64")),
    "clamp int with 1.5": lambda m: m.clamp(m.tensor([1, 2, 3]), min=1.5),
    "clamp int with float tensor": lambda m: m.clamp(m.tensor([1, 2, 3]), min=m.tensor([1.5])),
    "clamp f32 with 0-d f64": lambda m: m.clamp(_i(m, [1, 2, 3], "float32"),
                                                  min=_i(m, 1.5, "float64")),
    "clamp uint8 max 300 raises": lambda m: m.clamp(_i(m, [1, 2], "uint8"), max=300),
    "clamp int8 with int16 tensors": lambda m: m.clamp(
        _i(m, [-5, 0, 5], "int8"), _i(m, [-1], "int16"), _i(m, [1], "int16")),
    "bitwise uint8 & int8": lambda m: _i(m, [3], "uint8") & _i(m, [1], "int8"),
    "bitwise uint8 & 300": lambda m: _i(m, [255], "uint8") & 300,
    "bitwise bool | int": lambda m: m.tensor([True]) | 2,
    "uint32 * 2": lambda m: _i(m, [1, 4000000000], "uint32") * 2,
    "uint64 + 1.5": lambda m: _i(m, [1], "uint64") + 1.5,
    "uint32 / 2": lambda m: _i(m, [1], "uint32") / 2,
    "uint32 + int32 raises": lambda m: _i(m, [1], "uint32") + _i(m, [1], "int32"),
    "uint16 * float32": lambda m: _i(m, [1], "uint16") * _i(m, [1.5], "float32"),
    "uint32 == 1": lambda m: _i(m, [1, 2], "uint32") == 1,
    "cat int32 float16": lambda m: m.cat([_i(m, [1], "int32"), _i(m, [1.5], "float16")]),
    "cat int8 uint8": lambda m: m.cat([_i(m, [-1], "int8"), _i(m, [200], "uint8")]),
    "cat f32 empty f64": lambda m: m.cat([_i(m, [1.0], "float32"), m.zeros(0, dtype=m.float64)]),
    "stack 0-d f32 f64": lambda m: m.stack([_i(m, 1.0, "float32"), _i(m, 2.0, "float64")]),
    "stack bool int8": lambda m: m.stack([_i(m, [True], "bool"), _i(m, [2], "int8")]),
    "result_type int32 2.5": lambda m: m.result_type(_i(m, [1], "int32"), 2.5).__repr__(),
    "result_type 0-d f64 int": lambda m: m.result_type(_i(m, 1.0, "float64"), m.tensor([1]))
    .__repr__(),
    "result_type 2 2.5": lambda m: m.result_type(2, 2.5).__repr__(),
    "result_type uint8 300": lambda m: m.result_type(_i(m, [1], "uint8"), 300).__repr__(),
    "result_type np.float64": lambda m: m.result_type(_i(m, [1], "int32"), np.float64(2))
    .__repr__(),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_promotion_table(name: str) -> None:
    def fn(m: Any) -> Any:
        r = TABLE[name](m)
        return r.replace("torch.", "").replace("chainrule.", "") if isinstance(r, str) else r
    _compare(fn, name)


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 40


# ----- in place: PyTorch's can_cast ----------------------------------------------------------
INPLACE: dict[str, Callable[[Any], Any]] = {
    "uint8 += int64 tensor wraps": lambda m: _i(m, [1], "uint8").add_(m.tensor([300])),
    "uint8 += 300 wraps": lambda m: _i(m, [1], "uint8").add_(300),
    "int32 += 2.5 raises": lambda m: _i(m, [1], "int32").add_(2.5),
    "int32 /= 2 raises": lambda m: _i(m, [1], "int32").div_(2),
    "bool += 1 raises": lambda m: m.tensor([True]).add_(1),
    "bool += True": lambda m: m.tensor([True, False]).add_(True),
    "f32 += 0-d f64": lambda m: m.tensor([1.0]).add_(_i(m, 1.5, "float64")),
    "f32 += f64 tensor": lambda m: m.tensor([1.0]).add_(_i(m, [1.25], "float64")),
    "int32 += 0-d f64 raises": lambda m: _i(m, [1], "int32").add_(_i(m, 1.0, "float64")),
    "int32 *= int64 wraps": lambda m: _i(m, [2**30], "int32").mul_(m.tensor([4])),
    "int16 -= uint8": lambda m: _i(m, [1], "int16").sub_(_i(m, [200], "uint8")),
    "int += bool": lambda m: m.tensor([1]).add_(m.tensor([True])),
    "f16 *= int": lambda m: _i(m, [1.5], "float16").mul_(m.tensor([3])),
    "clamp_ int with 1.5 raises": lambda m: m.tensor([1, 2]).clamp_(min=1.5),
    "clamp_ uint8 with 300 raises": lambda m: _i(m, [1, 2], "uint8").clamp_(max=300),
    "clamp_ int8 with int16 tensor": lambda m: _i(m, [-5, 5], "int8").clamp_(min=m.tensor(
        [-1], dtype=m.int16)),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_casting(name: str) -> None:
    _compare(INPLACE[name], name)


def test_can_cast_table() -> None:
    for a, b in itertools.product(NAMES, NAMES):
        assert cr.can_cast(_dt(cr, a), _dt(cr, b)) == torch.can_cast(_dt(torch, a),
                                                                      _dt(torch, b)), (a, b)


def test_inplace_cast_error_message() -> None:
    with pytest.raises(RuntimeError, match=r"result type chainrule\.float32 can't be cast to the "
                                           r"desired output type chainrule\.int32"):
        cr.tensor([1], dtype=cr.int32).add_(2.5)


def test_bool_errors_name_the_fix() -> None:
    with pytest.raises(RuntimeError, match="logical_xor"):
        cr.tensor([True]) - cr.tensor([False])
    with pytest.raises(RuntimeError, match="logical_not"):
        cr.tensor([True]) - 1
    with pytest.raises(RuntimeError, match=r"Negation.*logical_not"):
        -cr.tensor([True])
    with pytest.raises(RuntimeError, match="negative integer powers"):
        cr.tensor([2]) ** -1


def test_float_grads_flow_through_promotion() -> None:
    """A float32 tensor with a 0-d float64 one: the result is float32 and each gradient has its
    input's dtype, as torch."""
    for m in (cr, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        s = m.tensor(3.0, dtype=m.float64, requires_grad=True)
        y = (x * s).sum()
        y.backward()
        assert str(y.dtype).endswith("float32")
        assert str(x.grad.dtype).endswith("float32") and str(s.grad.dtype).endswith("float64")
        assert float(s.grad) == 3.0 and x.grad.tolist() == [3.0, 3.0]
