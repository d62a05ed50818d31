"""Broadcasting several tensors together: ``broadcast_shapes``, ``broadcast_tensors``,
``meshgrid``, ``cartesian_prod`` (all differentiable through ``expand``)."""

from __future__ import annotations

from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.ops.movement import expand, reshape, stack
from chainrule.tensor.size import Size
from chainrule.tensor.tensor import Tensor

__all__ = ["broadcast_shapes", "broadcast_tensors", "cartesian_prod", "meshgrid"]


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (an int is a 1-d shape)."""
    shapes_ = [(s,) if isinstance(s, int | xp.integer) else tuple(s) for s in shapes]
    for s in shapes_:
        if any(n < 0 for n in s):
            raise ValueError("broadcast_shapes: Attempting to broadcast a dimension with "
                             f"negative length! (shape {s})")
    try:
        return Size(xp.broadcast_shapes(*shapes_))
    except ValueError:
        raise RuntimeError(
            f"broadcast_shapes: shapes {', '.join(str(s) for s in shapes_)} cannot be broadcast "
            f"to a single shape"
        ) from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Each tensor expanded to the common broadcast shape (views; gradients are summed back)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"broadcast_tensors: tensors[{i}] must be a Tensor, got "
                            f"{type(x).__name__}")
    shape = broadcast_shapes(*(x._data.shape for x in tensors))
    return tuple(expand(x, shape) for x in tensors)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids: output k holds input k's values along dimension k (``'ij'``), or with
    the first two dimensions swapped (``'xy'``, Cartesian); the grids' shape is the inputs'
    lengths."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"meshgrid: tensors[{i}] must be a Tensor, got {type(x).__name__}")
        if x.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got "
                               f"shape {tuple(x.shape)} (tensors[{i}])")
        if x._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype (got "
                               f"{tensors[0].dtype!r} and {x.dtype!r})")
    dims = list(range(len(tensors)))  # the output dimension each input runs along
    if indexing == "xy" and len(tensors) >= 2:
        dims[0], dims[1] = 1, 0
    sizes = [x._data.size for x in tensors]
    shape = [0] * len(tensors)
    for d, n in zip(dims, sizes, strict=True):
        shape[d] = n
    out = []
    for x, d, n in zip(tensors, dims, sizes, strict=True):
        along = [1] * len(tensors)
        along[d] = n
        out.append(expand(reshape(x, along), shape))
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All tuples (a_i, b_j, ...) of the 1-d inputs' elements, one per row, in row-major order
    (a single input is returned as it is)."""
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"cartesian_prod: tensors[{i}] must be a Tensor, got "
                            f"{type(x).__name__}")
        if x.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape "
                               f"{list(x.shape)} (tensors[{i}])")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], dim=1)
