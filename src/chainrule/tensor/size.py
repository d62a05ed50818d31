"""``Size``: the shape of a tensor, a tuple of ints with ``numel()`` (PyTorch's torch.Size)."""

from __future__ import annotations

import math
from typing import Any, SupportsIndex


class Size(tuple):
    """A tensor's shape: a tuple of ints (equal to the plain tuple) with ``numel()``."""

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        sizes = tuple(sizes)
        for i, n in enumerate(sizes):
            if not hasattr(n, "__index__") or isinstance(n, bool):
                raise TypeError(
                    f"chainrule.Size() takes an iterable of 'int' (item {i} is "
                    f"'{type(n).__name__}')"
                )
        return super().__new__(cls, (n.__index__() for n in sizes))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape: the product of the sizes."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return _make(Size, item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return _make(Size, tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return _make(Size, tuple.__add__(other, self))

    def __mul__(self, n: SupportsIndex) -> Size:
        return _make(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[Any, ...]:
        return Size, (tuple(self),)


_make = tuple.__new__  # Size from a tuple of ints, without the checks (the engine's shapes)
