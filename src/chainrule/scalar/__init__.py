"""The scalar engine: Value, its grad(), a tiny neural-net library and optimizers over Values."""

from chainrule.scalar import nn, optim
from chainrule.scalar.check import check_grad, numerical_grad
from chainrule.scalar.value import Value, grad, linear

__all__ = ["Value", "check_grad", "grad", "linear", "nn", "numerical_grad", "optim"]
