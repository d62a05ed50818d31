"""Grad mode is thread-local, as PyTorch's: no_grad in one thread leaves others recording."""

from __future__ import annotations

import threading
from collections.abc import Callable

import chainrule as cr


def _run(*targets: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as e:
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def _records() -> bool:
    x = cr.ones(2, requires_grad=True)
    return (x * 2).requires_grad


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    """Thread A enters no_grad; thread B, inside A's block, still records; then B enters no_grad
    and A, back in enable_grad, records. Each step waits on the other (Events)."""
    a_off, b_checked, b_off, a_checked = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with cr.no_grad():
            a_off.set()
            seen["a in no_grad"] = _records()
            assert b_checked.wait(10)
        assert b_off.wait(10)
        with cr.enable_grad():
            seen["a in enable_grad while b in no_grad"] = _records()
        seen["a after"] = cr.is_grad_enabled()
        a_checked.set()

    def thread_b() -> None:
        assert a_off.wait(10)
        seen["b while a in no_grad"] = _records()
        b_checked.set()
        with cr.no_grad():
            b_off.set()
            assert a_checked.wait(10)
            seen["b in no_grad"] = _records()
        seen["b after"] = cr.is_grad_enabled()

    with cr.no_grad():  # the main thread's mode is its own too
        _run(thread_a, thread_b)
        assert not cr.is_grad_enabled()
    assert seen == {"a in no_grad": False, "b while a in no_grad": True,
                    "a in enable_grad while b in no_grad": True, "b in no_grad": False,
                    "a after": True, "b after": True}
    assert cr.is_grad_enabled() and _records()


def test_new_threads_start_with_grad_enabled() -> None:
    seen = []
    with cr.no_grad():
        _run(lambda: seen.append((cr.is_grad_enabled(), _records())))
    assert seen == [(True, True)]


def test_set_grad_enabled_in_a_thread_does_not_leak() -> None:
    barrier = threading.Barrier(2)
    seen = []

    def off() -> None:
        cr.set_grad_enabled(False)  # the thread's mode for the rest of its life
        barrier.wait(10)  # the main thread checks its own mode now
        barrier.wait(10)
        seen.append(cr.is_grad_enabled())

    t = threading.Thread(target=off)
    t.start()
    barrier.wait(10)
    main_mode = cr.is_grad_enabled()
    records = _records()
    barrier.wait(10)
    t.join(10)
    assert (main_mode, records, seen) == (True, True, [False])
    _run(lambda: seen.append(cr.is_grad_enabled()))  # a later thread starts enabled
    assert seen == [False, True]


def test_backward_in_threads_with_no_grad_elsewhere() -> None:
    """A thread running backward is unaffected by another thread's no_grad blocks."""
    go = threading.Barrier(2)
    grads = []

    def train() -> None:
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        go.wait(10)
        for _ in range(50):
            x.grad = None
            (x * x).sum().backward()
            grads.append(x.grad.tolist())

    def inference() -> None:
        go.wait(10)
        for _ in range(50):
            with cr.no_grad():
                assert not (cr.ones(2, requires_grad=True) * 2).requires_grad

    _run(train, inference)
    assert grads == [[2.0, 4.0]] * 50


def test_bare_no_grad_and_enable_grad_decorate_as_torch():
    @cr.no_grad
    def off(x):
        return x * 2

    @cr.enable_grad
    def on(x):
        return x * 2

    x = cr.ones(2, requires_grad=True)
    assert not off(x).requires_grad
    with cr.no_grad():
        assert on(x).requires_grad


def test_the_rules_array_mode_is_per_thread():
    """A backward pass in one thread (rules on arrays) must not switch another thread's rules."""
    from chainrule.tensor.function import _RuleMode

    seen = []

    def worker():
        _RuleMode.arrays = True
        seen.append(_RuleMode.arrays)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [True] and _RuleMode.arrays is False
