"""Tensor operations grouped by kind; importing this registers their Tensor methods."""

from chainrule.tensor.ops import elementwise, index, inplace, linalg, movement, reduce, sort  # noqa: F401

__all__ = ["elementwise", "index", "linalg", "movement", "reduce", "sort"]
