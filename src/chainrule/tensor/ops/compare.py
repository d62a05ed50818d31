"""Whole-tensor comparisons: ``isclose``, ``allclose``, ``equal`` (no gradients)."""

from __future__ import annotations

from chainrule.tensor.backend import quiet, xp
from chainrule.tensor.tensor import Tensor, tensor_method

__all__ = ["allclose", "equal", "isclose"]


def _pair(a: Tensor, b: Tensor, op: str) -> None:
    for name, x in (("input", a), ("other", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: {a.dtype!r} did not match {b.dtype!r} (both inputs must "
                           f"have the same dtype)")
    try:
        xp.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"broadcast together") from None


@tensor_method("isclose")
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (equal infinities are close; NaNs
    only with ``equal_nan``), a bool tensor."""
    _pair(input, other, "isclose")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be non-negative, got rtol={rtol}, "
                           f"atol={atol}")
    a, b = input._data, other._data
    if a.dtype == xp.bool_:
        close = xp.broadcast_to(a == b, xp.broadcast_shapes(a.shape, b.shape))
    else:
        with quiet():
            close = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._make(xp.asarray(close), False, None)


@tensor_method("allclose")
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@tensor_method("equal")
def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and the same elements (NaN is unequal to itself;
    other's values are compared in input's dtype kind, as PyTorch)."""
    for name, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(f"equal: {name} must be a Tensor, got {type(x).__name__}")
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())
