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
from chainrule.tensor.backend import quiet, xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops import elementwise
from chainrule.tensor.ops._util import Operand, check_operand, primitive, shape_str
from chainrule.tensor.ops.elementwise import (
    Where,
    _scalar,
    _sub_check,
    add,
    clamp,
    div,
    mul,
    sub,
)
from chainrule.tensor.ops.index import (
    _index_error,
    _split_key,
    index_add,
    index_copy,
    index_fill,
    index_put,
    masked_scatter,
    normalize_key,
    scatter,
    scatter_add,
    scatter_reduce,
)
from chainrule.tensor.ops.movement import tril, triu
from chainrule.tensor.tensor import Tensor, tensor_method


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


def _check_overlap(self: Tensor, other: Any, op: str) -> None:
    """PyTorch refuses an in-place op whose operand partly overlaps the written memory (the
    same elements seen with another shape or offset); the very same tensor is fine."""
    if not isinstance(other, Tensor):
        return
    d, o = self._data, other._data
    if o is d or not xp.may_share_memory(d, o):
        return
    if (o.shape == d.shape and o.strides == d.strides
            and o.__array_interface__["data"][0] == d.__array_interface__["data"][0]):
        return
    raise RuntimeError(
        f"{op}: unsupported operation: some elements of the input tensor and the written-to "
        f"tensor refer to a single memory location. Please clone() the tensor before performing "
        f"the operation."
    )


def _ufunc_(self: Tensor, ufunc: Any, other: Any, op: str, floating: bool = False) -> Tensor:
    """``self = ufunc(self, other)`` computed in PyTorch's result dtype and written by NumPy into
    self's own buffer. ``floating``: integer operands compute in the default float dtype."""
    d = self._data
    if isinstance(other, Tensor):
        fast = other._data.dtype is d.dtype and (d.dtype.kind == "f" or not floating)
    else:
        fast = (type(other) is float or type(other) is int) and d.dtype.kind == "f"
    try:
        with quiet():  # outside any Function: inf and nan silently, as in apply
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
    _check_overlap(self, other, "add_")
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
    _check_overlap(self, other, "sub_")
    _sub_check(self, other)
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
    _check_overlap(self, other, "mul_")
    self._check_inplace("mul_")
    if _records(self, other):
        return self._inplace_update(mul(self, other), "mul_")
    return _ufunc_(self, xp.multiply, other, "mul_")


@tensor_method("div_")
def div_(self: Tensor, other: Operand) -> Tensor:
    """self /= other, in place (true division: an integer tensor cannot hold the result)."""
    other = check_operand(other, "div_")
    _check_overlap(self, other, "div_")
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


class CopySlices(Function):
    """y = base with the region that the view ``chain`` selects replaced by ``src`` (the record
    of an in-place write into a view; PyTorch's CopySlices). The write has already happened: y
    is base's own storage. dy/dbase = 1 outside the region, 0 inside; dy/dsrc = g's region."""

    @staticmethod
    def forward(ctx: Node, base: Tensor, src: Tensor, chain: tuple[Any, ...]) -> Any:
        if ctx.needs_input_grad:
            ctx.chain = chain
            if ctx.needs_input_grad[0]:
                # laid out as base's storage, so each view of the chain is a view here too
                keep = xp.ones_like(base._data, dtype=xp.bool_)
                _view(keep, chain)[...] = False
                ctx.keep = keep
        return base._data

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        # a selection, not a product with the mask: nan and inf in the region give 0
        gb = xp.where(ctx.keep, g, 0) if ctx.needs_input_grad[0] else None
        gs = _view(g, ctx.chain) if ctx.needs_input_grad[1] else None
        return gb, gs, None


def _view(x: Any, chain: tuple[Any, ...]) -> Any:
    """The view ``chain`` (view ops and their arguments, as ``function.replay_view`` takes
    them) of ``x``, an array or a Tensor (recorded)."""
    for cls, rest, kwargs in chain:
        x = primitive(cls, x, *rest, **kwargs)
    return x


class Fill(Function):
    """y = value everywhere (x's shape and dtype): dy/dx = 0, dy/dvalue = sum of g."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, value: Any) -> Any:
        v = value._data if isinstance(value, Tensor) else value
        return xp.full(a._data.shape, v, a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = xp.zeros_like(g) if ctx.needs_input_grad[0] else None
        gv = g if ctx.needs_input_grad[1] else None  # summed to value's (0-d) shape by apply
        return ga, gv


class Copy(Function):
    """y = src broadcast to x's shape and cast to x's dtype: dy/dx = 0, dy/dsrc = 1."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, src: Tensor) -> Any:
        return xp.broadcast_to(src._data, a._data.shape).astype(a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        ga = xp.zeros_like(g) if ctx.needs_input_grad[0] else None
        gs = g if ctx.needs_input_grad[1] else None  # summed to src's shape, cast by apply
        return ga, gs


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
    key, basic = normalize_key(index, self._data.ndim)
    dest = self._data
    split = None if basic else _split_key(key)
    if split is not None:  # ints first, then the index arrays on that view (as reading does)
        dest, key = dest[split[0]], split[1]
    v = value._data if isinstance(value, Tensor) else value
    try:
        dest[key] = v
    except IndexError as e:
        raise _index_error(e, self._data.shape, "index assignment") from None
    except ValueError:
        if not self._data.flags.writeable:
            raise _write_error(self, value, "index assignment", ValueError()) from None
        try:
            target = dest[key].shape
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


# ----- in-place forms of index, scatter and triangle ops ---------------------------------------
# Each checks that self may be written, computes the out-of-place op and writes the result into
# self's storage (Tensor._inplace_update: the version bump, and self takes the result's history
# when it requires grad). Without a graph that costs one temporary, as the result is computed
# before the write.
def _write_result(self: Tensor, op: str, fn: Any, *args: Any, **kwargs: Any) -> Tensor:
    self._check_inplace(op)
    return self._inplace_update(fn(self, *args, **kwargs), op)


@tensor_method("index_add_")
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: float = 1) -> Tensor:
    """self[..., index[i], ...] += alpha * source[..., i, ...] along dim, in place."""
    return _write_result(self, "index_add_", index_add, dim, index, source, alpha=alpha)


@tensor_method("index_copy_")
def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """self[..., index[i], ...] = source[..., i, ...] along dim, in place."""
    return _write_result(self, "index_copy_", index_copy, dim, index, source)


@tensor_method("index_fill_")
def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """self[..., index[i], ...] = value along dim, in place."""
    return _write_result(self, "index_fill_", index_fill, dim, index, value)


@tensor_method("masked_scatter_")
def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """self[mask] = the first elements of source (mask broadcast to self's shape), in place."""
    return _write_result(self, "masked_scatter_", masked_scatter, mask, source)


_LEGACY_REDUCE = {"add": "sum", "multiply": "prod"}


def _scatter_legacy(self: Tensor, dim: int, index: Tensor, src: Any, reduce: str | None
                    ) -> Tensor:
    if reduce is None:
        return scatter(self, dim, index, src)
    if reduce not in _LEGACY_REDUCE:
        raise RuntimeError(f"scatter_: reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    if not isinstance(src, Tensor):  # a number: every index position sends it
        idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
        src = Tensor._make(xp.full(idx.shape, src, self._data.dtype), False, None)
    return scatter_reduce(self, dim, index, src, _LEGACY_REDUCE[reduce])


@tensor_method("scatter_")
def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
             reduce: str | None = None) -> Tensor:
    """self[index[i][j]][j] = src[i][j] (dim=0; src a tensor or a number), in place; reduce=
    'add' or 'multiply' (PyTorch's deprecated argument) combines instead of writing."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter_: give src (a tensor) or value (a number)")
    return _write_result(self, "scatter_", _scatter_legacy, dim, index, src, reduce)


@tensor_method("scatter_add_")
def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """self[index[i][j]][j] += src[i][j] (dim=0), in place; repeated indices add up."""
    return _write_result(self, "scatter_add_", scatter_add, dim, index, src)


@tensor_method("scatter_reduce_")
def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """scatter_reduce, in place."""
    return _write_result(self, "scatter_reduce_", scatter_reduce, dim, index, src, reduce,
                         include_self=include_self)


@tensor_method("tril_")
def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements above the ``diagonal``-th diagonal of the last two dims, in place."""
    return _write_result(self, "tril_", tril, diagonal)


@tensor_method("triu_")
def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements below the ``diagonal``-th diagonal of the last two dims, in place."""
    return _write_result(self, "triu_", triu, diagonal)


@tensor_method("fill_diagonal_")
def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set self[i, i, ..., i] = fill_value, in place (all dims of one size when ndim > 2); a
    tall matrix's diagonal restarts every ncols + 1 rows when ``wrap``."""
    shape = self._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got shape "
                           f"{tuple(shape)}")
    if len(shape) > 2 and len(set(shape)) > 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got "
                           f"shape {tuple(shape)}")
    if not isinstance(fill_value, int | float | bool | xp.number | xp.bool_):
        raise TypeError(f"fill_diagonal_: fill_value must be a number, got "
                        f"{type(fill_value).__name__}")
    self._check_inplace("fill_diagonal_")
    on = xp.zeros(shape, bool)
    xp.fill_diagonal(on, True, wrap=bool(wrap))
    if _records(self, None):
        value = xp.asarray(fill_value, self._data.dtype)
        return self._inplace_update(Where.apply(Tensor._make(on, False, None), value, self),
                                    "fill_diagonal_")
    try:
        self._data[on] = fill_value
    except ValueError as e:
        raise _write_error(self, fill_value, "fill_diagonal_", e) from None
    self._version_counter.value += 1
    return self

# ----- in-place versions of the elementwise ops (``floor_``, ``x //= y``, ``masked_fill_`` ...) --
def _inplace_of(fn: Any, op: str) -> Any:
    """``self.op_(...)``: the out-of-place ``fn(self, ...)`` written into self's storage by
    ``_inplace_update`` (which records it when it has a graph, and checks the shape and the
    cast). One temporary per call, for a plain pattern over many ops."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        self._check_inplace(op)
        return self._inplace_update(fn(self, *args, **kwargs), op)

    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"{fn.__name__}, in place (see ``{fn.__name__}``)."
    return method


for _name in (
    "acos", "arccos", "asin", "arcsin", "atan", "arctan", "acosh", "arccosh", "asinh", "arcsinh",
    "atanh", "arctanh", "tan", "sinh", "cosh", "exp2", "expm1", "log1p", "log2", "log10", "rsqrt",
    "erf", "erfc", "erfinv", "ceil", "floor", "trunc", "fix", "round", "frac", "sgn", "negative",
    "deg2rad", "rad2deg", "logit", "nan_to_num", "atan2", "arctan2", "floor_divide", "fmod",
    "remainder", "true_divide", "xlogy", "hypot", "copysign", "lerp", "addcmul", "addcdiv",
    "masked_fill",
):
    setattr(Tensor, f"{_name}_", _inplace_of(getattr(elementwise, _name), f"{_name}_"))


@tensor_method("float_power_")
def float_power_(self: Tensor, exponent: Operand) -> Tensor:
    """self = self ** exponent in float64, in place: self must be float64 (PyTorch)."""
    if self._data.dtype != xp.float64:
        raise RuntimeError(
            f"float_power_: the base given to float_power_ has dtype {self.dtype!r} but the "
            f"operation's result requires dtype float64"
        )
    self._check_inplace("float_power_")
    return self._inplace_update(elementwise.float_power(self, exponent), "float_power_")


@tensor_method("__ifloordiv__")
def _ifloordiv(self: Tensor, other: Operand) -> Tensor:
    return self.floor_divide_(other)


@tensor_method("__imod__")
def _imod(self: Tensor, other: Operand) -> Tensor:
    return self.remainder_(other)


__all__: list[str] = []
