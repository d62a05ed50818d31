"""Data sets and loaders for the tensor engine (also importable as ``chainrule.utils.data``)."""

from chainrule.data.datasets import names

__all__ = ["names"]
