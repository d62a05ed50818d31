"""``inference_mode``: PyTorch's faster no_grad (here: no_grad, plus a flag to query)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chainrule.autograd.grad_mode import is_grad_enabled, set_grad_enabled


class _InferenceState:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = False


_Inference = _InferenceState()


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _Inference.enabled


class inference_mode:
    """Context manager and decorator (with or without parentheses): inside, no graph is
    recorded, as under ``no_grad``. ``inference_mode(False)`` changes nothing.

    Unlike PyTorch, tensors made inside are ordinary tensors (PyTorch's "inference tensors"
    refuse later use in autograd); the mode only turns grad mode off.
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # bare @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self._prev = is_grad_enabled(), _Inference.enabled
        _Inference.enabled = self.mode
        if self.mode:
            set_grad_enabled(False)

    def __exit__(self, *exc: object) -> None:
        grad_enabled, _Inference.enabled = self._prev
        set_grad_enabled(grad_enabled)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
