"""``chainrule train``: train a model on a data set with a PyTorch-style loop, resumably."""

from chainrule.train.loop import Config, evaluate, load_checkpoint, run
from chainrule.train.models import MODELS, build_model
from chainrule.train.tasks import DEFAULTS, TASKS, load_task

__all__ = ["DEFAULTS", "MODELS", "TASKS", "Config", "build_model", "evaluate",
           "load_checkpoint", "load_task", "run"]
