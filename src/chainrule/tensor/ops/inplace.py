"""In-place ops: ``add_``, ``mul_``, ``zero_``, ``copy_``, ``x += y``, ``x[i] = v``, ...

Each follows one pattern (PyTorch's semantics):

1. ``Tensor._check_inplace``: a leaf that requires grad may not be written while grad mode is on
   (optimizers write inside ``no_grad()``), nor a view of a tensor that requires grad.
2. When the write must be recorded (grad mode on and ``self`` or the operand requires grad), the
   out-of-place op computes the result and ``Tensor._inplace_update`` writes it into ``self``'s
   storage, after which ``self`` carries the result's history (``grad_fn``).
3. Otherwise NumPy writes straight into ``self._data`` (no temporary), and the version counter is
   bumped: a backward rule that saved this storage then refuses to run with the new values.
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd.grad_mode import _GradMode
from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import Operand, check_operand, shape_str
from chainrule.tensor.ops.elementwise import _scalar, add, clamp, div, mul, sub
from chainrule.tensor.ops.index import _index_error, index_put, normalize_key
from chainrule.tensor.tensor import Tensor, tensor_method, zeros_like


def _records(self: Tensor, other: Any) -> bool:
    return _GradMode.enabled and (
        self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
    )


def _write_error(self: Tensor, other: Any, op: str, e: Exception,
                 ufunc: Any = None) -> RuntimeError:
    """NumPy's complaint about ``ufunc(self, other, out=self)`` in PyTorch's words."""
    if not self._data.flags.writeable:
        return RuntimeError(
            f"{op}: this tensor's memory is read-only (an expanded view, where several elements "
            f"share one memory location?); clone() it first"
        )
    if isinstance(e, TypeError):
        o = xp.zeros((), other._data.dtype) if isinstance(other, Tensor) else other
        try:
            result = repr(backend.dtype_of(ufunc(xp.zeros((), self._data.dtype), o)))
        except Exception:
            result = type(other).__name__
        return RuntimeError(
            f"{op}: result type {result} can't be cast to the desired output type {self.dtype!r}"
        )
    other_shape = tuple(other.shape) if isinstance(other, Tensor) else ()
    try:
        shown = str(tuple(xp.broadcast_shapes(self._data.shape, other_shape)))
    except ValueError:
        return RuntimeError(
            f"{op}: shapes {tuple(self.shape)} and {other_shape} cannot be broadcast together"
        )
    return RuntimeError(
        f"{op}: output with shape {tuple(self.shape)} doesn't match the broadcast shape {shown}"
    )


def _cast_check(self: Tensor, rt: Any, op: str) -> None:
    """PyTorch's rule for writing a result of dtype ``rt`` into ``self``: backend.can_cast (no
    floating into integer or bool, no integer into bool; narrowing is allowed and wraps)."""
    if not backend.can_cast_np(rt, self._data.dtype):
        raise RuntimeError(
            f"{op}: result type {backend.dtype_of_np(rt)!r} can't be cast to the desired output "
            f"type {self.dtype!r}"
        )


def _operand(x: Any, rt: Any, op: str, exact: bool = False) -> Any:
    """An operand's array (or number, converted as _scalar does) for NumPy computing in rt."""
    if x is None or isinstance(x, Tensor):
        return x if x is None else x._data
    return _scalar(x, rt, op, exact)


def _ufunc_(self: Tensor, ufunc: Any, other: Any, op: str, floating: bool = False) -> Tensor:
    """``self = ufunc(self, other)`` computed in PyTorch's result dtype and written by NumPy into
    self's own buffer. ``floating``: integer operands compute in the default float dtype."""
    d = self._data
    if isinstance(other, Tensor):
        fast = other._data.dtype is d.dtype and (d.dtype.kind == "f" or not floating)
    else:
        fast = (type(other) is float or type(other) is int) and d.dtype.kind == "f"
    try:
        with xp.errstate(divide="ignore", invalid="ignore"):
            if fast:
                ufunc(d, other._data if isinstance(other, Tensor) else other, out=d)
            else:
                rt = backend.result_np((self, other))
                if floating and rt.kind != "f":
                    rt = backend.defaults.float
                _cast_check(self, rt, op)
                ufunc(d, _operand(other, rt, op), out=d, dtype=rt, casting="unsafe")
    except (TypeError, ValueError) as e:
        raise _write_error(self, other, op, e, ufunc) from None
    self._version_counter.value += 1
    return self


@tensor_method("add_")
def add_(self: Tensor, other: Operand, alpha: float = 1) -> Tensor:
    """self += alpha * other, in place."""
    other = check_operand(other, "add_")
    self._check_inplace("add_")
    if _records(self, other):
        return self._inplace_update(add(self, other, alpha=alpha), "add_")
    if alpha != 1:
        other = other * alpha
    return _ufunc_(self, xp.add, other, "add_")


@tensor_method("sub_")
def sub_(self: Tensor, other: Operand, alpha: float = 1) -> Tensor:
    """self -= alpha * other, in place."""
    other = check_operand(other, "sub_")
    self._check_inplace("sub_")
    if _records(self, other):
        return self._inplace_update(sub(self, other, alpha=alpha), "sub_")
    if alpha != 1:
        other = other * alpha
    return _ufunc_(self, xp.subtract, other, "sub_")


@tensor_method("mul_")
def mul_(self: Tensor, other: Operand) -> Tensor:
    """self *= other, in place."""
    other = check_operand(other, "mul_")
    self._check_inplace("mul_")
    if _records(self, other):
        return self._inplace_update(mul(self, other), "mul_")
    return _ufunc_(self, xp.multiply, other, "mul_")


@tensor_method("div_")
def div_(self: Tensor, other: Operand) -> Tensor:
    """self /= other, in place (true division: an integer tensor cannot hold the result)."""
    other = check_operand(other, "div_")
    self._check_inplace("div_")
    if _records(self, other):
        return self._inplace_update(div(self, other), "div_")
    return _ufunc_(self, xp.true_divide, other, "div_", floating=True)


@tensor_method("__iadd__")
def _iadd(self: Tensor, other: Operand) -> Tensor:
    return add_(self, other)


@tensor_method("__isub__")
def _isub(self: Tensor, other: Operand) -> Tensor:
    return sub_(self, other)


@tensor_method("__imul__")
def _imul(self: Tensor, other: Operand) -> Tensor:
    return mul_(self, other)


@tensor_method("__itruediv__")
def _itruediv(self: Tensor, other: Operand) -> Tensor:
    return div_(self, other)


class Fill(Function):
    """y = value everywhere (x's shape and dtype): dy/dx = 0, dy/dvalue = sum of g."""

    array_rule = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, value: Any) -> Any:
        v = value._data if isinstance(value, Tensor) else value
        return xp.full(a._data.shape, v, a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = _zeros(g) if ctx.needs_input_grad[0] else None
        gv = g if ctx.needs_input_grad[1] else None  # summed to value's (0-d) shape by apply
        return ga, gv


class Copy(Function):
    """y = src broadcast to x's shape and cast to x's dtype: dy/dx = 0, dy/dsrc = 1."""

    array_rule = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, src: Tensor) -> Any:
        return xp.broadcast_to(src._data, a._data.shape).astype(a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = _zeros(g) if ctx.needs_input_grad[0] else None
        gs = g if ctx.needs_input_grad[1] else None  # summed to src's shape, cast by apply
        return ga, gs


def _zeros(g: Any) -> Any:
    """Zeros like ``g``, a Tensor or an array."""
    return zeros_like(g) if isinstance(g, Tensor) else xp.zeros_like(g)


def _fill(self: Tensor, value: Any, op: str) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimension value tensor, but got one with shape "
                f"{tuple(value.shape)}"
            )
    elif not isinstance(value, int | float | bool | xp.number | xp.bool_):
        raise TypeError(f"{op}: the value must be a number, got {type(value).__name__}")
    self._check_inplace(op)
    if _records(self, value):
        return self._inplace_update(Fill.apply(self, value), op)
    try:
        self._data[...] = value._data if isinstance(value, Tensor) else value
    except ValueError as e:
        raise _write_error(self, value, op, e) from None
    self._version_counter.value += 1
    return self


@tensor_method("fill_")
def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor), in place."""
    return _fill(self, value, "fill_")


@tensor_method("zero_")
def zero_(self: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    return _fill(self, 0, "zero_")


@tensor_method("copy_")
def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast to self's shape, cast to self's dtype) into self, in place."""
    if not isinstance(src, Tensor):
        src = Tensor(src)
    self._check_inplace("copy_")
    try:
        if _records(self, src):
            return self._inplace_update(Copy.apply(self, src), "copy_")
        xp.copyto(self._data, src._data, casting="unsafe")
    except ValueError as e:
        if not self._data.flags.writeable:
            raise _write_error(self, src, "copy_", e) from None
        raise RuntimeError(
            f"copy_: the source of shape {tuple(src.shape)} cannot be broadcast to the "
            f"destination's shape {tuple(self.shape)}"
        ) from None
    self._version_counter.value += 1
    return self


@tensor_method(["clamp_", "clip_"])
def clamp_(self: Tensor, min: Operand = None, max: Operand = None) -> Tensor:
    """Clamp every element into [min, max], in place."""
    self._check_inplace("clamp_")
    if _records(self, min) or _records(self, max):
        return self._inplace_update(clamp(self, min, max), "clamp_")
    if min is None and max is None:
        raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
    min, max = check_operand(min, "clamp_") if min is not None else None, \
        check_operand(max, "clamp_") if max is not None else None
    rt = backend.result_np((self, min, max))
    _cast_check(self, rt, "clamp_")
    lo, hi = _operand(min, rt, "clamp_", exact=True), _operand(max, rt, "clamp_", exact=True)
    try:
        if lo is not None:
            xp.maximum(self._data, lo, out=self._data, dtype=rt, casting="unsafe")
        if hi is not None:
            xp.minimum(self._data, hi, out=self._data, dtype=rt, casting="unsafe")
    except (TypeError, ValueError) as e:
        raise _write_error(self, min if lo is not None else max, "clamp_", e,
                           xp.maximum) from None
    self._version_counter.value += 1
    return self


@tensor_method("__setitem__")
def setitem(self: Tensor, index: Any, value: Any) -> None:
    """self[index] = value (PyTorch's indexing rules; value broadcast to the indexed shape)."""
    self._check_inplace("__setitem__ (index assignment)")
    if _records(self, value):
        self._inplace_update(index_put(self, index, value), "__setitem__ (index assignment)")
        return
    key, _ = normalize_key(index)
    v = value._data if isinstance(value, Tensor) else value
    try:
        self._data[key] = v
    except IndexError as e:
        raise _index_error(e, self._data.shape, "index assignment") from None
    except ValueError:
        if not self._data.flags.writeable:
            raise _write_error(self, value, "index assignment", ValueError()) from None
        try:
            target = self._data[key].shape
        except IndexError as e:
            raise _index_error(e, self._data.shape, "index assignment") from None
        raise RuntimeError(
            f"index assignment: values of shape {shape_str(value)} cannot be broadcast to the "
            f"indexed shape {tuple(target)} (tensor of shape {tuple(self.shape)})"
        ) from None
    except TypeError:
        raise TypeError(
            f"index assignment: cannot write a {type(value).__name__} into a tensor of dtype "
            f"{self.dtype!r}"
        ) from None
    self._version_counter.value += 1


__all__: list[str] = []
