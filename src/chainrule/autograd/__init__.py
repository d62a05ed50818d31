"""``chainrule.autograd``: PyTorch's ``torch.autograd`` namespace over the engine-agnostic core.

The graph core (``chainrule.autograd.graph``: topological order and the backward driver) and grad
mode (``grad_mode``) import neither engine; both engines import them. The tensor engine's
user-facing names (``grad``, ``backward``, ``Function``, ``functional``) are resolved on first
use (PEP 562 ``__getattr__``), so importing the core alone stays engine-free.
"""

from __future__ import annotations

import importlib
from typing import Any

from chainrule.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.autograd.inference import inference_mode, is_inference_mode_enabled

# name -> (module, attribute); attribute None: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "Function": ("chainrule.tensor.function", "Function"),
    "backward": ("chainrule.tensor.backward", "backward"),
    "grad": ("chainrule.tensor.backward", "grad"),
    "functional": ("chainrule.autograd.functional", None),
    "gradcheck": ("chainrule.tensor.gradcheck", "gradcheck"),
    "gradgradcheck": ("chainrule.tensor.gradcheck", "gradgradcheck"),
}

__all__ = [
    "Function", "backward", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
    "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "no_grad",
    "set_grad_enabled",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'chainrule.autograd' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
