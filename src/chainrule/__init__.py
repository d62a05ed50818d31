"""chainrule: automatic differentiation, from micrograd's Value to PyTorch-style Tensors."""

from chainrule.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.scalar import Value

__version__ = "0.1.0"

__all__ = ["Value", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
