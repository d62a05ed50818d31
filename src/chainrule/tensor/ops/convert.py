"""Conversions and layout: ``type``/``type_as``, ``byte``/``short``/``char``, ``cpu``/``cuda``,
``new_*``, ``t``, ``contiguous``/``is_contiguous``."""

from __future__ import annotations

from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.devices import check_device
from chainrule.tensor.ops.elementwise import Clone, to
from chainrule.tensor.ops.movement import transpose
from chainrule.tensor.tensor import Tensor, _new, _size, empty, full, tensor, tensor_method

__all__ = ["t"]

# PyTorch's legacy tensor type names, by dtype
_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor",
}
_BY_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


for _name, _dt in (("byte", xp.uint8), ("short", xp.int16), ("char", xp.int8)):
    def _cast(a: Tensor, _dt: Any = _dt) -> Tensor:
        return to(a, _dt)

    _cast.__name__ = _name
    _cast.__doc__ = f"``self.to({xp.dtype(_dt).name})``."
    tensor_method(_name)(_cast)


@tensor_method("type")
def type_(a: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """No argument: the type name, e.g. ``'chainrule.FloatTensor'``. With a dtype or a type
    name (``'chainrule.DoubleTensor'``, or PyTorch's ``'torch.DoubleTensor'``): cast to it
    (``self`` itself when it already has that dtype)."""
    if dtype is None:
        return "chainrule." + _TYPE_NAMES[a.dtype.name]
    if isinstance(dtype, str):
        prefix, _, name = dtype.rpartition(".")
        if prefix.endswith(".cuda") or prefix == "cuda":
            check_device("cuda", "type")
        if prefix not in ("torch", "chainrule") or name not in _BY_TYPE_NAME:
            raise ValueError(f"type: invalid type: '{dtype}'")
        dtype = backend.to_np_dtype(_BY_TYPE_NAME[name])
    return to(a, dtype)


@tensor_method("type_as")
def type_as(a: Tensor, other: Tensor) -> Tensor:
    """``self`` cast to ``other``'s dtype."""
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
    return to(a, other._data.dtype)


@tensor_method("cpu")
def cpu(a: Tensor) -> Tensor:
    """``self``: every chainrule tensor is on the CPU."""
    return a


@tensor_method("cuda")
def cuda(a: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    """Always an error: chainrule runs on the CPU only."""
    check_device("cuda" if device is None else device if not isinstance(device, int)
                 else f"cuda:{device}", "cuda")
    return a


@tensor_method("t")
def t(a: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-d or 1-d tensor as it is (a view)."""
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return transpose(a, 0, 1) if a.ndim == 2 else a[...]  # an alias (a view), as PyTorch


@tensor_method("is_contiguous")
def is_contiguous(a: Tensor) -> bool:
    """True when the elements lie in memory in row-major order without gaps."""
    return bool(a._data.flags.c_contiguous)


@tensor_method("contiguous")
def contiguous(a: Tensor) -> Tensor:
    """``self`` if contiguous, else a row-major copy (differentiable)."""
    return a if a._data.flags.c_contiguous else Clone.apply(a, "C")


# ----- new_*: a new tensor with this tensor's dtype unless given -------------------------------
def _dtype(a: Tensor, dtype: Any) -> Any:
    return a._data.dtype if dtype is None else backend.to_np_dtype(dtype)


@tensor_method("new_tensor")
def new_tensor(a: Tensor, data: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """A new leaf holding a copy of ``data``, of this tensor's dtype unless ``dtype``."""
    return tensor(data, dtype=_dtype(a, dtype), device=device, requires_grad=requires_grad)


@tensor_method("new_empty")
def new_empty(a: Tensor, *size: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of ``size``, of this tensor's dtype unless ``dtype``."""
    return empty(*size, dtype=_dtype(a, dtype), device=device, requires_grad=requires_grad)


@tensor_method("new_full")
def new_full(a: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``, of this tensor's dtype unless given."""
    return full(size, fill_value, dtype=_dtype(a, dtype), device=device,
                requires_grad=requires_grad)


def _new_filled(value: int, op: str) -> Any:
    def method(a: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
        check_device(device, op)
        return _new(xp.full(_size(size, op), value, _dtype(a, dtype)), requires_grad)

    method.__name__ = op
    method.__doc__ = f"A tensor of ``size`` filled with {value}, of this tensor's dtype unless " \
                     f"``dtype``."
    return tensor_method(op)(method)


new_zeros = _new_filled(0, "new_zeros")
new_ones = _new_filled(1, "new_ones")
