"""The scalar engine: Value, its grad(), a tiny neural-net library and optimizers over Values."""

from chainrule.scalar.value import Value, grad, linear

__all__ = ["Value", "grad", "linear"]
