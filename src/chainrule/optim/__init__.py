"""Optimizers (PyTorch's ``torch.optim``): each one class, its update equations in its docstring."""

from chainrule.optim.optimizer import Optimizer
from chainrule.optim.sgd import SGD

__all__ = ["SGD", "Optimizer"]
