"""Value's graph semantics: accumulation, node identity, errors, no_grad, depth, memory."""

from __future__ import annotations

import gc
import math
import random
import sys
import tracemalloc
import weakref
from collections.abc import Callable

import pytest

from chainrule import no_grad
from chainrule.autograd.graph import topological_order
from chainrule.scalar import Value, grad, linear
from chainrule.scalar.nn import MLP
from chainrule.scalar.optim import SGD


# ----- backward accumulation -------------------------------------------------------------------
def test_backward_twice_doubles_leaves_and_resets_intermediates() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b  # intermediate
    d = c + a
    e = d * d
    e.backward()
    first = (a.grad, b.grad, c.grad, d.grad, e.grad)
    # de/dd = 2d = -8; de/dc = -8; de/da = -8 (b + 1) = 16; de/db = -8 a = -16
    assert first == (16.0, -16.0, -8.0, -8.0, 1.0)
    e.backward()
    assert (a.grad, b.grad) == (32.0, -32.0)  # leaves accumulate, exactly
    assert (c.grad, d.grad, e.grad) == (-8.0, -8.0, 1.0)  # intermediates are this pass's


def test_backward_on_a_leaf() -> None:
    a = Value(3.0)
    a.backward()
    assert a.grad == 1.0


def test_grad_leaves_grad_untouched_and_gives_zero_for_unused_inputs() -> None:
    a, b, unused = Value(2.0), Value(5.0), Value(1.0)
    y = a * b + a
    ga, gb, gu = grad(y, [a, b, unused])
    assert (ga.data, gb.data, gu.data) == (6.0, 2.0, 0.0)
    assert a.grad == b.grad == y.grad == 0.0


def test_grad_rejects_non_values() -> None:
    with pytest.raises(TypeError, match=r"grad: inputs\[1\] must be a Value, got float"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]


# ----- node identity -----------------------------------------------------------------------------
def test_augmented_assignment_makes_a_new_node() -> None:
    a = Value(1.0)
    original = a
    a += 2.0
    assert a is not original
    assert original.data == 1.0 and a.data == 3.0
    assert a._prev[0] is original and a._op == "+"
    a *= a
    a.backward()
    assert original.grad == 2 * 3.0


def test_prev_keeps_duplicates_and_order() -> None:
    a, b = Value(2.0), Value(3.0)
    sq = a * a
    assert len(sq._prev) == 2 and sq._prev[0] is a and sq._prev[1] is a
    diff = b - a
    assert diff._prev[0] is b and diff._prev[1] is a
    quotient = a / b
    assert quotient._prev[0] is a and quotient._prev[1] is b
    sq.backward()
    assert a.grad == 4.0  # both uses contribute


def test_hash_and_eq_by_identity_order_by_data() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a != 1.0 and a == a
    assert hash(a) != hash(b) or a is b  # identity hash (collisions aside)
    assert len({a, b}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert Value(1.0) < Value(2.0) <= 2.0 and Value(3.0) > 2 >= Value(1.0)


def test_label_is_settable() -> None:
    a = Value(1.0, label="a")
    assert a.label == "a"
    a.label = "weight"
    assert a.label == "weight"
    assert (a + 1).label == ""


def test_combining_with_a_non_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "x"  # type: ignore[operator]
    with pytest.raises(TypeError, match="pow: exponent must be a Value or a number"):
        Value(1.0) ** [2]  # type: ignore[operator]


# ----- domain errors -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "exc", "pattern"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log.*0\.0"),
        (lambda: Value(-1.0).log(), ValueError, r"log.*-1\.0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow.*0\.0 \*\* -1"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"pow.*0\.0 \*\* -2\.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"division.*1\.0 / 0\.0"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"division.*1\.0 / 0\.0"),
        (lambda: Value(-2.0) ** 0.5, ValueError, r"pow.*-2\.0\) \*\* 0\.5"),
        (lambda: Value(-2.0).sqrt(), ValueError, r"pow.*-2\.0\) \*\* 0\.5"),
    ],
)
def test_domain_errors_name_the_op_and_operands(
    make: Callable[[], object], exc: type[Exception], pattern: str
) -> None:
    with pytest.raises(exc, match=pattern):
        make()


def test_negative_base_with_integer_exponent_is_fine() -> None:
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


# ----- grad mode ---------------------------------------------------------------------------------
def test_no_grad_records_nothing() -> None:
    a, b = Value(2.0), Value(3.0)
    with no_grad():
        results = [
            a + b, a - b, a * b, a / b, a**b, a**2, 2**a, -a, abs(a), a.exp(), a.log(), a.sqrt(),
            a.tanh(), a.sigmoid(), a.relu(), a.sin(), a.cos(), linear([a, b], [1.0, 2.0], 0.5),
        ]  # fmt: skip
    for r in results:
        assert r._prev == () and r._op == ""
    assert results[2].data == 6.0
    assert (a * b)._prev == (a, b)  # recording again after the block


# ----- depth and memory --------------------------------------------------------------------------
def test_million_node_chain_at_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 1000 + 100  # nobody raised it for us
    x0, c = Value(1.0), Value(1.0)
    x = x0
    n = 1_000_000
    gc.disable()  # depth is the point here; spare the collector rescanning a growing graph
    try:
        for _ in range(n):
            x = x * c
        x.backward()
    finally:
        gc.enable()
    assert x0.grad == 1.0
    assert c.grad == float(n)  # c is used n times; each use contributes x_k = 1
    probe = weakref.ref(x._prev[0])
    del x  # freeing a 1e6-deep chain must not overflow the C stack
    assert probe() is None
    assert x0.data == 1.0


def _loss(model: MLP, xs: list[list[float]], ys: list[float]) -> Value:
    """Mean hinge loss + L2, the demo's loss."""
    scores = [model(x) for x in xs]
    losses = [(1 - y * s).relu() for y, s in zip(ys, scores, strict=True)]
    data_loss = sum(losses, Value(0.0)) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum((p * p for p in model.parameters()), Value(0.0))


def _data(n: int = 8) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(3)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    ys = [1.0 if x[0] * x[1] > 0 else -1.0 for x in xs]
    return xs, ys


def test_graph_is_freed_by_reference_counting_alone() -> None:
    model = MLP(2, [4, 4, 1], rng=random.Random(0))
    opt = SGD(model.parameters(), lr=0.1)
    xs, ys = _data()
    gc.collect()
    gc.disable()
    try:
        loss = _loss(model, xs, ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        probes = [weakref.ref(v) for v in topological_order([loss], lambda v: v._prev) if v._prev]
        assert len(probes) > 100
        assert all(p() is not None for p in probes)
        del loss
        alive = sum(p() is not None for p in probes)
        assert alive == 0, f"{alive} of {len(probes)} graph nodes outlived the loss"
    finally:
        gc.enable()


def test_micrograd_graph_needs_the_collector() -> None:
    """The control for the test above: micrograd's closures make every node a cycle."""
    from micrograd.engine import Value as MgValue

    gc.collect()
    gc.disable()
    try:
        a, b = MgValue(2.0), MgValue(3.0)
        y = (a * b + a).relu()
        probe = weakref.ref(y)
        y.backward()
        del y
        assert probe() is not None  # still alive: only the cycle collector can free it
        gc.collect()
        assert probe() is None
    finally:
        gc.enable()


def _count_values() -> int:
    return sum(type(o) is Value for o in gc.get_objects())


def test_training_does_not_grow_memory() -> None:
    model = MLP(2, [6, 6, 1], rng=random.Random(1))
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs, ys = _data(10)

    def step() -> float:
        loss = _loss(model, xs, ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        losses = [step() for _ in range(10)]
        current_10, _ = tracemalloc.get_traced_memory()
        values_10 = _count_values()  # gc.get_objects' list is traced too: count after reading
        tracemalloc.reset_peak()
        losses += [step() for _ in range(90)]
        current_100, peak = tracemalloc.get_traced_memory()
        values_100 = _count_values()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert values_100 == values_10
    assert current_100 - current_10 < 16_000, (current_10, current_100)
    assert peak - current_100 < 2_000_000  # one step's graph, not a hundred
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]
