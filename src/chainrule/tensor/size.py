"""``Size``: the shape of a tensor, a tuple of ints with ``numel()`` (PyTorch's torch.Size)."""

from __future__ import annotations

import math
from typing import Any, SupportsIndex


class Size(tuple):
    """A tensor's shape: a tuple of ints (equal to the plain tuple) with ``numel()``.

    ``Size(iterable)`` is tuple's own constructor: ``Tensor.shape`` makes one per read, and a
    Python ``__new__`` checking for ints would double that cost, so (unlike torch.Size) the items
    are not checked; and a slice is a plain tuple (an overridden ``__getitem__`` would triple
    the cost of ``x.shape[0]``).
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape: the product of the sizes."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    __str__ = __repr__

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n: SupportsIndex) -> Size:
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[Any, ...]:
        return Size, (tuple(self),)
