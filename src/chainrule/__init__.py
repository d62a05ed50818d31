"""chainrule: automatic differentiation, from micrograd's Value to PyTorch-style Tensors."""

from chainrule import autograd, func
from chainrule import tensor as _tensor_pkg
from chainrule.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.io import load, save
from chainrule.scalar import Value
from chainrule.tensor import *  # noqa: F403  (Tensor, creation functions, ops, dtypes, grad)

globals().update(_tensor_pkg.ALIASES)  # chainrule.float, .long, .bool ... (not in __all__)

__version__ = "0.1.0"

# imported on first use: `import chainrule` stays light
_SUBPACKAGES = ("nn", "optim", "data", "utils")


def __getattr__(name: str) -> object:
    """``chainrule.nn`` (and later optim, utils) load on first access (PEP 562)."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"chainrule.{name}")
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


__all__ = [
    "Value",
    "autograd",
    "func",
    "load",
    "save",
    "enable_grad",
    "inference_mode",
    "is_inference_mode_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    *_tensor_pkg.__all__,
]
