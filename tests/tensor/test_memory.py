"""Memory: backward frees what the graph saved, the graph holds no reference cycles (so reference
counting alone frees it: these tests run with the garbage collector off), and a training loop
does not grow."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees objects: anything left alive sits in a cycle (or leaks)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def leaf(*shape):
    return cr.randn(*shape, dtype=cr.float64, requires_grad=True)


def test_backward_releases_saved_buffers(no_gc):
    x = leaf(3, 4)
    h = x * 2
    arr = weakref.ref(h._data)
    t = weakref.ref(h)
    y = (h * h).sum()
    node = y.grad_fn.next_functions[0][0]
    del h
    assert t() is None  # the graph keeps arrays, never Tensors
    assert arr() is not None  # ... but MulBackward saved h's array
    assert node._saved is not None
    y.backward()
    assert node._saved is None
    assert arr() is None  # freed by backward, before y itself goes


def test_retain_graph_keeps_buffers_until_the_graph_dies(no_gc):
    x = leaf(3)
    h = x.exp() * 3
    arr = weakref.ref(h._data)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    assert arr() is not None
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None and arr() is None


def test_saved_output_is_released(no_gc):
    x = leaf(5)
    y = x.exp()
    arr = weakref.ref(y._data)
    z = (y * 1.0).sum()
    del y
    assert arr() is not None  # ExpBackward saved its output
    z.backward()
    assert arr() is None


def test_grad_releases_buffers(no_gc):
    x = leaf(4)
    h = x.tanh()
    arr = weakref.ref(h._data)
    out = (h * h).sum()
    del h
    cr.grad(out, x)
    assert arr() is None


def test_create_graph_backward_makes_no_cycle_through_x_grad(no_gc):
    x = leaf(3)
    ref = weakref.ref(x)
    for _ in range(3):
        y = (x ** 3).sum()
        y.backward(create_graph=True)  # x.grad's graph leads back to x's accumulator
    assert x.grad.grad_fn is not None
    grad_ref = weakref.ref(x.grad)
    del x, y
    assert ref() is None
    assert grad_ref() is None


def test_grad_create_graph_then_backward_makes_no_cycle(no_gc):
    x = leaf(3)
    w = leaf(3)
    refs = [weakref.ref(x), weakref.ref(w)]
    (g,) = cr.grad((x.exp() * w).sum(), x, create_graph=True)
    (g * g).sum().backward()
    assert w.grad is not None and x.grad is not None
    node = weakref.ref(g.grad_fn)
    del x, w, g
    assert all(r() is None for r in refs)
    assert node() is None


def test_hooks_and_retain_grad_make_no_cycle(no_gc):
    x = leaf(3)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 1)
    refs = [weakref.ref(x), weakref.ref(h), weakref.ref(h.grad_fn)]
    (h * h).sum().backward()
    del x, h
    assert all(r() is None for r in refs)


def test_custom_function_saving_its_output_makes_no_cycle(no_gc):
    class Exp(cr.Function):
        @staticmethod
        def forward(ctx, a):
            out = a.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = leaf(3)
    y = Exp.apply(x)
    refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(y._data)]
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    del y, g
    assert all(r() is None for r in refs)


def test_in_place_history_makes_no_cycle(no_gc):
    x = leaf(3)
    h = x * 1
    h.mul_(x)
    h[0] = x[1] * 2
    node = weakref.ref(h.grad_fn)
    h.sum().backward()
    del h
    assert node() is None


def _mlp_step(x, target, params, lr=1e-3):
    w1, b1, w2 = params
    loss = ((((x @ w1) + b1).relu() @ w2 - target) ** 2).sum()
    loss.backward()
    with cr.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss


def test_training_loop_does_not_grow():
    gen = cr.Generator(0)
    x = cr.randn(16, 8, generator=gen)
    target = cr.randn(16, 1, generator=gen)
    params = [cr.randn(8, 32, generator=gen).requires_grad_(),
              cr.zeros(32, requires_grad=True),
              (cr.randn(32, 1, generator=gen) * 0.1).requires_grad_()]
    tracemalloc.start()
    try:
        first = None
        for step in range(1, 1001):
            loss = _mlp_step(x, target, params)
            if step == 1:
                first = loss.item()
            if step == 100:
                gc.collect()
                at_100 = tracemalloc.get_traced_memory()[0]
        del loss
        gc.collect()
        at_1000 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert at_1000 - at_100 < 32 * 1024, (at_100, at_1000)
    final = float(_mlp_step(x, target, params).item())
    assert np.isfinite(final) and final < first  # it did train


def test_no_grad_records_nothing(no_gc):
    x = leaf(3)
    with cr.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    ref = weakref.ref(x)
    del x
    assert ref() is None
