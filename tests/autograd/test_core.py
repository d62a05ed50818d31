"""The engine-agnostic graph core on a toy node type: order, the driver, grad mode."""

import sys

import pytest

from chainrule.autograd import (
    backward,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    topological_order,
)


class N:
    """A toy node: out = sum_i w_i * inputs_i, so d out / d input_i = w_i."""

    def __init__(self, *inputs, w=None):
        self.inputs = inputs
        self.w = w or [1.0] * len(inputs)


def parents(n):
    return n.inputs


def vjp(n, g):
    return [g * w for w in n.w]


def test_order_lists_every_node_after_its_parents_once():
    a, b = N(), N()
    c = N(a, b)
    d = N(c, a, a)  # a reused, twice by one node
    e = N(d, c)
    order = topological_order([e], parents)
    assert len(order) == len({id(n) for n in order}) == 5
    pos = {id(n): i for i, n in enumerate(order)}
    for n in order:
        assert all(pos[id(p)] < pos[id(n)] for p in n.inputs)
    assert order[-1] is e


def test_order_is_iterative_past_the_recursion_limit():
    node = N()
    for _ in range(3 * sys.getrecursionlimit()):
        node = N(node)
    assert len(topological_order([node], parents)) == 3 * sys.getrecursionlimit() + 1


def test_driver_sums_gradients_over_all_consumers():
    a = N()
    b = N(a, w=[3.0])  # b = 3a
    c = N(a, b, w=[2.0, 5.0])  # c = 2a + 5b = 17a
    grads = backward([c], [1.0], parents, vjp)
    assert grads[a] == 17.0 and grads[b] == 5.0 and grads[c] == 1.0


def test_driver_with_keep_false_drops_gradients_it_passed_on():
    a = N()
    c = N(a, w=[2.0])
    seen = []

    def spy(n, g):
        seen.append((n, g))
        return vjp(n, g)

    grads = backward([c], [1.0], parents, spy, keep=False)
    assert c not in grads and grads == {}  # a's gradient was passed to its (empty) vjp too
    assert (a, 2.0) in seen


def test_grad_mode_context_managers_and_decorators():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()

    @no_grad()
    def off():
        return is_grad_enabled()

    @set_grad_enabled(False)
    def off_too():
        return is_grad_enabled()

    assert is_grad_enabled()  # decorating changes nothing yet
    assert off() is False and off_too() is False and is_grad_enabled()
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    with set_grad_enabled(False):
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        1 / 0  # noqa: B018
    assert is_grad_enabled()
