"""Grad mode: whether operations record the graph they need for backward."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """Process-wide switch read by every op (one attribute lookup, cheap on the hot path)."""

    enabled: bool = True


def is_grad_enabled() -> bool:
    """True when new operations record their inputs for backward."""
    return _GradMode.enabled


class set_grad_enabled:
    """Set grad mode on (True) or off (False); also usable as a context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = _GradMode.enabled
        self.mode = bool(mode)
        _GradMode.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev

    def __call__(self, fn: F) -> F:
        _GradMode.enabled = self.prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _ModeContext:
    mode: bool

    def __enter__(self) -> None:
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_ModeContext):
    """Context manager and decorator: operations inside record no graph."""

    mode = False


class enable_grad(_ModeContext):
    """Context manager and decorator: operations inside record the graph (undoes no_grad)."""

    mode = True
