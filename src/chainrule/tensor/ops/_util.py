"""Small helpers shared by the op modules."""

from __future__ import annotations

from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.tensor import Tensor, _wrap_dim

Operand = Any  # a Tensor or a Python/NumPy number


def data(x: Operand) -> Any:
    """The array of a Tensor; a number as it is (NumPy keeps the tensor's dtype for it)."""
    return x._data if isinstance(x, Tensor) else x


def const(array: Any) -> Tensor:
    """A tensor outside the graph (a mask, a constant); NumPy's scalars become 0-d arrays."""
    return Tensor._make(array if type(array) is xp.ndarray else xp.asarray(array), False, None)


def primitive(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn.apply(*args, **kwargs)`` inside a derivative rule, in either vocabulary: recorded
    when a Tensor is among the arguments (the rule runs on Tensors: create_graph), else
    ``fn.compute(*args, **kwargs)``, the array its forward computes from bare arrays (a backward
    pass that records nothing: no node, no Tensor made).

    For chainrule's own primitives that NumPy has no function for (a scatter into zeros, a
    diagonal embedding, windows folded back, a view replayed), so a rule that uses them is
    still written once. The one type branch such rules need. A Function called through it
    defines ``compute``: its forward's computation, on arrays (the same arguments as apply)."""
    for a in args:
        if isinstance(a, Tensor):
            return fn.apply(*args, **kwargs)
    return fn.compute(*args, **kwargs)


def check_operand(x: Any, op: str) -> Any:
    """Accept a Tensor or a real number; anything else is a TypeError naming the op."""
    if isinstance(x, Tensor | int | float | bool | xp.number | xp.bool_):
        return x
    if isinstance(x, xp.ndarray):
        return Tensor._make(x, False, None)
    raise TypeError(f"{op}: unsupported operand type {type(x).__name__}")


def shape_str(x: Operand) -> str:
    return str(tuple(x.shape)) if isinstance(x, Tensor) else type(x).__name__


def broadcast_check(op: str, *xs: Operand) -> None:
    """Raise a RuntimeError (as PyTorch) showing every operand's whole shape if they do not
    broadcast."""
    shapes = [x._data.shape for x in xs if isinstance(x, Tensor)]
    try:
        xp.broadcast_shapes(*shapes)
    except ValueError:
        shown = " and ".join(str(tuple(s)) for s in shapes)
        raise RuntimeError(f"{op}: shapes {shown} cannot be broadcast together") from None


def wrap_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as a non-negative axis; IndexError naming the op when out of range."""
    if type(dim) is int and 0 <= dim < ndim:
        return dim
    return _wrap_dim(dim, ndim, op)


def wrap_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Normalize ``dim`` (None, int or sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int | xp.integer) else tuple(dim)
    out = tuple(sorted({wrap_dim(d, ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise RuntimeError(f"{op}: dim {dim} appears multiple times in the list of dims")
    return out
