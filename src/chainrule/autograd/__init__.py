"""Engine-agnostic graph core: topological order, the backward driver, grad mode."""

from chainrule.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.autograd.graph import backward, topological_order

__all__ = [
    "backward",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "topological_order",
]
