"""Value where micrograd users lean on it: _backward by hand, NumPy scalars, identity ==."""

from __future__ import annotations

import gc
import math
import weakref
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from micrograd.engine import Value as MgValue

from chainrule.autograd.graph import topological_order
from chainrule.scalar import Value


# ----- the lecture's neuron, backpropagated one node at a time ----------------------------------
def mg_tanh(x: MgValue) -> MgValue:
    """tanh as the lecture adds it to micrograd (micrograd 0.1.0 has none)."""
    t = math.tanh(x.data)
    out = MgValue(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def neuron(cls: type) -> dict[str, Any]:
    """o = tanh(x1*w1 + x2*w2 + b), the lecture's numbers; every node by name."""
    v: dict[str, Any] = {
        "x1": cls(2.0), "x2": cls(0.0), "w1": cls(-3.0), "w2": cls(1.0),
        "b": cls(6.8813735870195432),
    }  # fmt: skip
    v["x1w1"] = v["x1"] * v["w1"]
    v["x2w2"] = v["x2"] * v["w2"]
    v["x1w1x2w2"] = v["x1w1"] + v["x2w2"]
    v["n"] = v["x1w1x2w2"] + v["b"]
    v["o"] = mg_tanh(v["n"]) if cls is MgValue else v["n"].tanh()
    return v


STEPS = ("o", "n", "x1w1x2w2", "x2w2", "x1w1")  # the lecture's order: each after its consumers


def grads(v: dict[str, Any]) -> dict[str, float]:
    return {k: node.grad for k, node in v.items()}


def test_manual_backward_matches_micrograd_and_backward() -> None:
    ours, theirs = neuron(Value), neuron(MgValue)
    for v in (ours, theirs):
        v["o"].grad = 1.0
        for name in STEPS:
            v[name]._backward()
    assert grads(ours) == pytest.approx(grads(theirs), rel=1e-15, abs=0.0)
    assert grads(ours)["x1"] == pytest.approx(-1.5) and grads(ours)["w2"] == 0.0

    auto = neuron(Value)
    auto["o"].backward()
    assert grads(auto) == pytest.approx(grads(ours), rel=1e-15, abs=0.0)


def test_backward_by_hand_over_every_op_matches_micrograd() -> None:
    """Each op's _backward adds into its inputs' .grad (+=), including an input used twice.
    (micrograd builds a / b and a - b from * and **, so only the leaves' gradients compare.)"""

    def expr(cls: type) -> tuple[Any, Any, list[Any]]:
        a, b = cls(1.5), cls(-0.75)
        c = a * a + b  # a used twice by one op
        d = (c**3 - a / b).relu() + (b - 1).relu() + (a * 2).relu()
        e = d * c + (-a) + a**2 - 3 / b
        return a, b, topological_order([e], lambda v: v._prev)

    for cls in (Value, MgValue):
        a, b, order = expr(cls)
        order[-1].grad = 1.0
        for v in reversed(order):
            v._backward()
        if cls is Value:
            ours = (a.grad, b.grad, order[-1].data)
        else:
            theirs = (a.grad, b.grad, order[-1].data)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours[0] != 0.0 and ours[1] != 0.0


def test_backward_of_a_leaf_does_nothing() -> None:
    a = Value(3.0)
    a.grad = 2.0
    a._backward()
    assert a.grad == 2.0
    with pytest.raises(AttributeError):
        a._backward = lambda: None  # type: ignore[method-assign]  # slots: not a stored closure


def test_manual_backward_makes_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        v = neuron(Value)
        v["o"].grad = 1.0
        for name in STEPS:
            v[name]._backward()
        probes = [weakref.ref(node) for node in v.values()]
        del v
        alive = sum(p() is not None for p in probes)
        assert alive == 0, f"{alive} of {len(probes)} nodes need the cycle collector"
    finally:
        gc.enable()


def test_micrograd_neuron_is_a_cycle_control() -> None:
    """The control: micrograd's _backward closes over its result, so the same graph lingers."""
    gc.collect()
    gc.disable()
    try:
        v = neuron(MgValue)
        probe = weakref.ref(v["o"])
        del v
        assert probe() is not None
    finally:
        gc.enable()
        gc.collect()


# ----- NumPy scalars and other numbers -----------------------------------------------------------
NUMPY_SCALARS = [np.int64(3), np.int32(3), np.float64(3.0), np.float32(3.0), np.uint8(3)]


@pytest.mark.parametrize("k", NUMPY_SCALARS, ids=lambda k: type(k).__name__)
def test_numpy_scalars_combine_both_ways(k: Any) -> None:
    x = Value(2.0)
    results = {
        "mul": (x * k, k * x, 6.0, 6.0),
        "add": (x + k, k + x, 5.0, 5.0),
        "sub": (x - k, k - x, -1.0, 1.0),
        "div": (x / k, k / x, 2.0 / 3.0, 1.5),
        "pow": (x**k, k**x, 8.0, 9.0),
    }
    for name, (left, right, want_left, want_right) in results.items():
        for r, want in ((left, want_left), (right, want_right)):
            assert type(r) is Value, (name, type(r))
            assert type(r.data) is float and r.data == pytest.approx(want), name
    y = k * x * k + x**k
    y.backward()
    assert x.grad == pytest.approx(9.0 + 3 * 4.0)  # k^2 + k x^(k-1)


def test_value_from_numbers_is_a_float() -> None:
    for data in (np.float32(1.5), np.int64(2), Fraction(3, 2), 7):
        v = Value(data)
        assert type(v.data) is float and v.data == float(data)


def test_arrays_still_broadcast_a_value_elementwise() -> None:
    """Only NumPy scalars defer to Value; an array times a Value is an array of Values."""
    out = np.array([1.0, 2.0]) * Value(3.0)
    assert out.dtype == object and [v.data for v in out] == [3.0, 6.0]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Value("2"), "got str '2'"),
        (lambda: Value(None), "got NoneType"),
        (lambda: Value(True), "got bool"),
        (lambda: Value([1.0]), "got list"),
        (lambda: Value(2.0) + "1", "str"),
        (lambda: "1" + Value(2.0), "str"),
        (lambda: Value(2.0) * None, "NoneType"),
        (lambda: np.bool_(True) * Value(2.0), "bool"),
        (lambda: Value(2.0) ** "2", "pow: exponent must be a Value or a number, got str"),
    ],
)
def test_non_numbers_are_type_errors_naming_the_type(make: Any, fragment: str) -> None:
    with pytest.raises(TypeError) as info:
        make()
    assert fragment in str(info.value)


# ----- identity ---------------------------------------------------------------------------------
def test_equality_is_identity_consistent_with_hash() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and (a == b) is False
    assert a != 1.0 and (a == 1.0) is False
    assert b not in [a] and a in [a, b] and [a].index(a) == 0
    assert len({a, b}) == 2 and {a: 1}.get(b) is None
    assert a in {a} and b not in {a}
    assert (a < Value(2.0)) and (Value(3.0) >= b) and a <= b  # ordering still compares data
