"""Tensor operations grouped by kind; importing this registers their Tensor methods."""

from chainrule.tensor.ops import (  # noqa: F401
    compare,
    convert,
    elementwise,
    grid,
    index,
    inplace,
    linalg,
    movement,
    protocol,
    random,
    reduce,
    sort,
)

__all__ = [
    "compare", "convert", "elementwise", "grid", "index", "linalg", "movement", "random", "reduce",
    "sort",
]
