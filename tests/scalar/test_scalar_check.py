"""The numerical gradient check on the lectures' example, and that it catches a wrong rule."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule.scalar import Value, check_grad, numerical_grad


def lecture_example() -> tuple[list[Value], Any]:
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0), Value(-2.0)

    def L() -> Value:
        e = a * b
        d = e + c
        return d * f

    return [a, b, c, f], L


def test_lecture_example() -> None:
    inputs, L = lecture_example()
    assert L().data == -8.0
    # dL/da = f b = 6, dL/db = f a = -4, dL/dc = f = -2, dL/df = d = 4
    assert numerical_grad(L, inputs) == pytest.approx([6.0, -4.0, -2.0, 4.0], abs=1e-6)
    assert check_grad(L, inputs) < 1e-6
    assert [x.data for x in inputs] == [2.0, -3.0, 10.0, -2.0]  # restored exactly
    assert all(x.grad == 0.0 for x in inputs)  # untouched
    out = L()
    out.backward()
    assert [x.grad for x in inputs] == [6.0, -4.0, -2.0, 4.0]


def test_numerical_grad_accepts_float_outputs_and_restores_on_error() -> None:
    x = Value(3.0)
    assert numerical_grad(lambda: x.data**2, [x]) == pytest.approx([6.0], rel=1e-8)

    def boom() -> Value:
        if x.data != 3.0:
            raise RuntimeError("nudged")
        return x

    with pytest.raises(RuntimeError):
        numerical_grad(boom, [x])
    assert x.data == 3.0


def test_numerical_grad_records_no_graph() -> None:
    x = Value(1.0)
    outs: list[Value] = []

    def f() -> Value:
        outs.append(x * x)
        return outs[-1]

    numerical_grad(f, [x])
    assert all(o._prev == () for o in outs)


def _wrong_exp_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * out * 1.01,)  # 1% off: d/dx e^x = e^x


def test_check_grad_catches_a_wrong_rule() -> None:
    x = Value(0.5)

    def f() -> Value:
        return Value._make(math.exp(x.data), (x,), "bad-exp", _wrong_exp_rule) * 2.0

    err = check_grad(f, [x])
    assert err == pytest.approx(0.02 * math.exp(0.5), rel=1e-5)


def test_errors() -> None:
    x = Value(1.0)
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_grad(lambda: x, [x], h=0.0)
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Value"):
        numerical_grad(lambda: x, [1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="f\\(\\) must return a Value"):
        check_grad(lambda: 1.0, [x])  # type: ignore[arg-type, return-value]


@given(
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
)
def test_check_grad_on_a_composite(xs: list[float]) -> None:
    a, b, c = (Value(x) for x in xs)

    def f() -> Value:
        return (a * b).tanh() + (c * c + 1).log() * a.sin() + (b - c).sigmoid() * 3 + a / (1 + b**2)

    assert check_grad(f, [a, b, c]) < 1e-7
