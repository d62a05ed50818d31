"""The engine-agnostic graph core on a toy node type: order, the driver, grad mode."""

import itertools
import random
import sys

import pytest

from chainrule.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.autograd.graph import backward, topological_order

_countdown = itertools.count(0, -1)


class N:
    """A toy node: out = sum_i w_i * inputs_i, so d out / d input_i = w_i. ``rank`` counts down
    as nodes are made (the driver's ``rank`` contract)."""

    def __init__(self, *inputs, w=None):
        self.inputs = inputs
        self.w = w or [1.0] * len(inputs)
        self.rank = next(_countdown)


def rank(n):
    return n.rank


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


def _random_dag(rng, size):
    nodes = [N(), N()]
    for _ in range(size):
        k = rng.randint(1, 3)
        weights = [rng.choice([0.5, 2.0, -1.0]) for _ in range(k)]
        nodes.append(N(*rng.choices(nodes, k=k), w=weights))
    return nodes


@pytest.mark.parametrize("seed", range(20))
def test_driver_by_rank_gives_the_gradients_of_the_topological_order(seed):
    rng = random.Random(seed)
    nodes = _random_dag(rng, 30)
    roots = [nodes[-1], rng.choice(nodes[2:-1]), nodes[-1]]  # a repeated root, a root below one
    seeds = [1.0, 3.0, 0.5]
    visits = []

    def spy(n, g):
        assert n not in visits  # once, after every consumer a gradient reached: complete
        assert all(c in visits for c in nodes if n in c.inputs and c in expected)
        visits.append(n)
        return vjp(n, g)

    expected = backward(roots, seeds, parents, vjp)
    got = backward(roots, seeds, parents, spy, rank=rank)
    assert got.keys() == expected.keys()
    for n, g in expected.items():
        assert got[n] == pytest.approx(g)
    assert set(visits) == set(expected)  # only the nodes a gradient reached


def test_driver_by_rank_skips_nodes_no_gradient_reaches_and_can_drop_gradients():
    a = N()
    unused = N(a)  # made, but not below the root
    b = N(a, w=[3.0])
    c = N(b, a, w=[2.0, 1.0])  # c = 7a
    seen = []

    def spy(n, g):
        seen.append(n)
        return vjp(n, g)

    assert backward([c], [1.0], parents, spy, keep=False, rank=rank) == {}
    assert seen == [c, b, a] and unused not in seen
    assert backward([c], [1.0], parents, vjp, rank=rank)[a] == 7.0


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
