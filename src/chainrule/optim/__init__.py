"""Optimizers (PyTorch's ``torch.optim``): each one class, its update equations in its docstring.

``chainrule.optim.lr_scheduler`` holds the learning-rate schedulers.
"""

from chainrule.optim import lr_scheduler
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.lbfgs import LBFGS
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = ["LBFGS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
