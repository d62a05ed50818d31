"""The graph core: topological order and the backward driver, for any kind of node.

An engine describes its graph with two functions:

- ``parents(node)``: the nodes that ``node`` was computed from (``None`` entries are skipped);
- ``vjp(node, g)``: given g = dL/d(node), the gradients dL/d(parent) for each parent, in order
  (``None`` where a parent needs none). This is the node's local chain-rule step.

The core never builds a node itself, so it knows neither engine's types. An engine that numbers
its nodes as it makes them may also pass ``rank(node)``: then the driver needs no separate
topological order (see ``backward``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any

Node = Hashable
Parents = Callable[[Any], Sequence[Any]]


def topological_order(roots: Iterable[Node], parents: Parents) -> list[Any]:
    """Every node reachable from ``roots``, each listed after all of its parents.

    Iterative depth-first post-order (graph depth is limited by memory, not by Python's recursion
    limit): a node is expanded (its unseen parents pushed above it) the first time it reaches the
    top of the stack and listed the second time, when everything above it is listed. In a DAG a
    parent is never half-done below its child, so no per-node iterator is needed.
    """
    order: list[Any] = []
    expanded: set[Any] = set()  # nodes hash by identity
    listed: set[Any] = set()
    stack = [r for r in roots if r is not None]
    while stack:
        node = stack[-1]
        if node in expanded:
            stack.pop()
            if node not in listed:
                listed.add(node)
                order.append(node)
            continue
        expanded.add(node)
        for parent in parents(node):
            if parent is not None and parent not in expanded:
                stack.append(parent)
    return order


def backward(
    roots: Sequence[Node],
    seeds: Sequence[Any],
    parents: Parents,
    vjp: Callable[[Any, Any], Sequence[Any]],
    order: list[Any] | None = None,
    keep: bool = True,
    rank: Callable[[Any], Any] | None = None,
) -> dict[Any, Any]:
    """Apply the chain rule from ``roots`` (with gradients ``seeds``) back through the graph.

    Walks the nodes in reverse topological order, so a node's gradient is complete (the sum over
    all its consumers, dL/dv = sum_c dL/dc * dc/dv) before ``vjp`` passes it on. Returns the
    gradient reaching every visited node, keyed by the node (nodes hash by identity); with
    ``keep=False`` each gradient is dropped once passed on (less memory) and the dict ends empty.

    The order is ``order`` reversed (``topological_order`` by default), or, given ``rank``
    (distinct values, each node's lower than its parents': a countdown as nodes are made), the
    nodes that receive a gradient, lowest rank first (a heap): no walk of the graph beforehand.
    """
    grads: dict[Any, Any] = {}
    for root, seed in zip(roots, seeds, strict=True):
        grads[root] = grads[root] + seed if root in grads else seed
    take = grads.get if keep else grads.pop
    get = grads.get
    heap = None
    if rank is not None and order is None:
        heap = sorted((rank(root), root) for root in grads)  # a sorted list is a heap
        nodes: Iterable[Any] = _by_rank(heap)
    else:
        nodes = reversed(order if order is not None else topological_order(roots, parents))
    pg = prev = None
    for node in nodes:
        g = take(node, None)
        if g is None:
            continue
        for parent, pg in zip(parents(node), vjp(node, g)):  # noqa: B905 (vjp may stop early)
            if parent is None or pg is None:
                continue
            prev = get(parent)
            if prev is not None:
                grads[parent] = prev + pg
            else:
                grads[parent] = pg
                if heap is not None:  # its first gradient: it joins the heap, once
                    heappush(heap, (rank(parent), parent))
        pg = prev = None  # hold no gradient past its step (engines may read refcounts)
    return grads


def _by_rank(heap: list[tuple[Any, Any]]) -> Iterator[Any]:
    """The nodes of ``heap`` (rank, node), lowest rank first, as the driver pushes more."""
    while heap:
        yield heappop(heap)[1]
