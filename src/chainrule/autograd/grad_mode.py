"""Grad mode: whether operations record the graph they need for backward.

Thread-local, as PyTorch's: ``no_grad()`` in one thread leaves other threads recording, and a
new thread starts with grad mode enabled.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    """The switch every op reads, one per thread. ``enabled`` is a class-level default (True):
    a thread that never set it reads the class attribute, so a new thread records, and a read
    stays one attribute lookup (the per-thread dict, then the class)."""

    enabled = True


_GradMode = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations record their inputs for backward (in this thread)."""
    return _GradMode.enabled


class _ModeContext:
    """Sets grad mode to ``mode`` on entry and restores it on exit; decorates functions too."""

    mode: bool

    def __enter__(self) -> None:
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev

    def __call__(self, fn: F) -> F:
        scope = no_grad if not self.mode else enable_grad

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with scope():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _BareDecorator(_ModeContext):
    """``@no_grad`` works without the call too, as PyTorch's: given a function, the class
    returns it decorated."""

    def __new__(cls, fn: Any = None) -> Any:
        if fn is not None and callable(fn):
            return cls()(fn)
        return super().__new__(cls)

    def __init__(self, fn: Any = None) -> None:
        pass


class no_grad(_BareDecorator):
    """Context manager and decorator: operations inside record no graph."""

    mode = False


class enable_grad(_BareDecorator):
    """Context manager and decorator: operations inside record the graph (undoes no_grad)."""

    mode = True


class set_grad_enabled(_ModeContext):
    """Set grad mode on (True) or off (False) now; as a context manager or decorator, only
    inside it."""

    def __init__(self, mode: bool) -> None:
        self.prev = _GradMode.enabled
        self.mode = bool(mode)
        _GradMode.enabled = self.mode

    def __enter__(self) -> None:
        return None  # already set by the call

    def __call__(self, fn: F) -> F:
        _GradMode.enabled = self.prev  # as a decorator it changes nothing until fn runs
        return super().__call__(fn)
