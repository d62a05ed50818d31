"""Data sets and loaders for the tensor engine: PyTorch's torch.utils.data (also importable as
``chainrule.utils.data``) and a few offline data sets (``moons``, ``digits``, ``mnist1d``,
``names``)."""

from chainrule.data import dataset, datasets, loader, sampler
from chainrule.data.dataset import *  # noqa: F403
from chainrule.data.datasets import *  # noqa: F403
from chainrule.data.loader import *  # noqa: F403
from chainrule.data.sampler import *  # noqa: F403

__all__ = [*dataset.__all__, *sampler.__all__, *loader.__all__, *datasets.__all__]
