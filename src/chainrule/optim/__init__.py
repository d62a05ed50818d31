"""Optimizers (PyTorch's ``torch.optim``): each one class, its update equations in its docstring.

``chainrule.optim.lr_scheduler`` holds the learning-rate schedulers.
"""

from chainrule.optim import lr_scheduler
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.sgd import SGD

__all__ = ["SGD", "Optimizer", "lr_scheduler"]
