"""Reductions: sum, mean, prod, amax/amin, max/min, var/std, logsumexp, softmax, log_softmax,
argmax/argmin, all/any; count_nonzero, nansum/nanmean, norm/dist, median/nanmedian, kthvalue,
mode; scans (cumsum, cumprod, logcumsumexp, cummax/cummin); diff, trapezoid, renorm, cdist.

Primitives with rules: sum, prod, amax/amin, max/min along a dim (a selection), softmax and
log_softmax (fused for speed: one node each instead of five or six, and a short exact rule).
Later primitives: VectorNorm (a zero norm's gradient is 0), CumSum, CumProd (exact with
zeros), LogCumSumExp (stable), NanZeroed; selections along a dim (median, kthvalue, mode) reuse
SelectAlong, cummax/cummin gather. Compositions: mean (sum / n), var (sum of squared
deviations / (n - correction)), std (a guarded square root of var), logsumexp
(m + log(sum(exp(x - m))) with the max m detached).

``dim`` follows PyTorch: None (or an empty tuple, as torch.sum) reduces every dimension, negative
dims count from the end, and a 0-d tensor accepts dim 0 or -1 (reducing nothing).
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Any

from chainrule.tensor.backend import broadcast_to, keep_where, xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import const as _const
from chainrule.tensor.ops._util import data, wrap_dim
from chainrule.tensor.ops.elementwise import Where, log, maximum, minimum
from chainrule.tensor.ops.index import gather
from chainrule.tensor.ops.movement import cat
from chainrule.tensor.tensor import Tensor, tensor_method

_INT64 = xp.dtype(xp.int64)
_FLOAT32 = xp.dtype(xp.float32)
_ALL = [tuple(range(n)) for n in range(65)]


def _dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as sorted non-negative axes (None or () meaning all of them)."""
    if dim is None:
        return _ALL[ndim]
    if isinstance(dim, int | xp.integer):
        d = wrap_dim(dim, ndim, op)
        return (d,) if ndim else ()
    try:
        dims = tuple(dim)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, a tuple of ints or None, got "
                        f"{type(dim).__name__}") from None
    if not dims:
        return _ALL[ndim]
    out = tuple(sorted({wrap_dim(d, ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise RuntimeError(f"{op}: a dim appears multiple times in the list of dims {dim}")
    return out if ndim else ()


def _kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _out_shape(shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    return math.prod(shape[d] for d in dims)


def _tensor_arg(a: Any, op: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(a).__name__}")
    return a


def _require_float(a: Tensor, op: str, what: str) -> None:
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): {what}; got a tensor of dtype {a.dtype!r}")


def _integer_to_int64(a: Tensor) -> Tensor:
    """Integer and bool sums and products accumulate in int64 (PyTorch)."""
    if a._data.dtype.kind in "biu" and a._data.dtype != _INT64:
        return _const(a._data.astype(_INT64))
    return a


# ----- sum, mean ------------------------------------------------------------------------------
def _spread(g: Any, shape: tuple[int, ...], dims: tuple[int, ...]) -> Any:
    """g with the reduced dims re-inserted (as size 1), broadcast to ``shape``: each element of
    a reduced group receives its group's gradient."""
    kept = g if g.ndim == len(shape) or g.ndim == 0 else g.reshape(_kept_shape(shape, dims))
    return broadcast_to(kept, shape)


class Sum(Function):
    """sum(x, dims). d(sum x)/dx_i = 1: every element receives the gradient of its sum (g
    spread over the summed dims, a linear rule: its own derivative is the sum again)."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.in_shape, ctx.dims = a._data.shape, dims
        return a._data.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        return _spread(g, ctx.in_shape, ctx.dims), None, None


class Mean(Function):
    """sum(x, dims) / n, n the number of elements reduced (NaN for none). One op, not Sum then
    Div: a node fewer in each pass. d(mean x)/dx_i = 1/n: g / n spread over the reduced dims."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool) -> Any:
        shape = a._data.shape
        n = _count(shape, dims)
        ctx.in_shape, ctx.dims, ctx.n = shape, dims, n
        total = a._data.sum(axis=dims, keepdims=keepdim)
        return total / n  # 0 / 0: NaN, silently (apply runs forwards with NumPy's warnings off)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        n = ctx.n or 1  # n = 0: the input has no elements, the spread g is empty anyway
        return _spread(g / n, ctx.in_shape, ctx.dims), None, None


@tensor_method("sum")
def sum(a: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); integer and bool inputs give int64."""
    a = _tensor_arg(a, "sum")
    a = a.to(dtype=dtype) if dtype is not None else _integer_to_int64(a)
    return Sum.apply(a, _dims(dim, a._data.ndim, "sum"), keepdim)


@tensor_method("mean")
def mean(a: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """sum(a, dim) / n, n the number of elements reduced (NaN for none)."""
    a = _tensor_arg(a, "mean")
    if dtype is not None:
        a = a.to(dtype=dtype)
    _require_float(a, "mean", "could not infer output dtype: the input must be floating point "
                   "(pass dtype= to convert)")
    dims = _dims(dim, a._data.ndim, "mean")
    return Mean.apply(a, dims, keepdim)


# ----- prod -----------------------------------------------------------------------------------
class Prod(Function):
    """Product over dims. The rule is d(prod x)/dx_i = prod_{j != i} x_j, computed as
    prod(x) / x_i when the input has no zeros (PyTorch does the same) and otherwise by a formula
    whose value and first derivative are exact with zeros (so second derivatives are right):
    with x' = x with its zeros replaced by 1 and m_i the number of zeros among the other
    elements of i's group, prod_{j != i} x_j = prod(x') / x'_i * W_i, where W_i = 1 if m_i = 0,
    the other zero element (as a differentiable tensor) if m_i = 1, and 0 if m_i >= 2.
    """

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.save_for_backward(a)
        ctx.dims = dims
        ctx.kept = None if keepdim else _kept_shape(a._data.shape, dims)
        return a._data.prod(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        (a,) = ctx.saved_tensors
        dims = ctx.dims
        if ctx.kept is not None:
            g = g.reshape(ctx.kept)
        zero = data(a) == 0
        if not zero.any():
            out = ctx.output
            if ctx.kept is not None:
                out = out.reshape(ctx.kept)
            return g * (out / a), None, None
        m = zero.sum(axis=dims, keepdims=True) - zero  # zeros among each element's others
        x1 = xp.where(zero, 1, a)  # x': the zeros are constants 1, with no derivative there
        others = x1.prod(axis=dims, keepdims=True) / x1
        if not (m == 1).any():
            return g * xp.where(m == 0, others, 0), None, None  # W = 1 or 0
        zs = xp.where(zero, a, 0)  # the zero elements, still differentiable
        other_zero = zs.sum(axis=dims, keepdims=True) - zs  # the zero among the others (m = 1)
        w = xp.where(m == 0, 1, xp.where(m == 1, other_zero, 0))
        return g * (others * w), None, None


@tensor_method("prod")
def prod(a: Tensor, dim: int | None = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """Product over ``dim`` (None: all elements); integer and bool inputs give int64."""
    a = _tensor_arg(a, "prod")
    a = a.to(dtype=dtype) if dtype is not None else _integer_to_int64(a)
    return Prod.apply(a, _dims(dim, a._data.ndim, "prod"), keepdim)


# ----- amax, amin, max, min -------------------------------------------------------------------
class Amax(Function):
    """max (or min) over dims; the gradient is split evenly among the elements equal to the
    result (ties), as PyTorch's amax and full max(); NaN results send it to the NaNs."""

    save_output = True  # as PyTorch's: a later in-place write to the result is caught

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool, smallest: bool) -> Any:
        x = a._data
        out = (x.min if smallest else x.max)(axis=dims, keepdims=True)
        if ctx.needs_input_grad:
            mask = x == out
            nan = xp.isnan(out)
            if nan.any():
                mask |= nan & xp.isnan(x)
            # kept as a saved value, so it is freed after backward like any saved tensor
            # and the input, as PyTorch's rule saves it: a later in-place write to it is caught
            ctx.save_for_backward(mask / mask.sum(axis=dims, keepdims=True).astype(x.dtype), a)
            ctx.kept = out.shape
        return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        scale, _ = ctx.saved_tensors  # scale: 1/(number of ties) at the ties, else 0
        ctx.output  # noqa: B018 (its version check: the result must not have been written)
        return g.reshape(ctx.kept) * scale.astype(data(g).dtype, copy=False), None, None, None


class MaxAll(Amax):
    """max() and min() of every element: amax's rule, but a selection, as PyTorch's: a nan in g
    reaches only the selected elements (amax's product spreads it to all)."""

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        scale, _ = ctx.saved_tensors
        return keep_where(scale > 0, Amax.backward(ctx, g)[0]), None, None, None


def _amax(a: Tensor, dim: Any, keepdim: bool, smallest: bool, op: str) -> Tensor:
    a = _tensor_arg(a, op)
    dims = _dims(dim, a._data.ndim, op)
    for d in dims:
        if a._data.shape[d] == 0:
            if dim is None:
                raise RuntimeError(
                    f"{op}(): Expected reduction dim to be specified for input.numel() == 0 "
                    f"(shape {tuple(a.shape)})"
                )
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(a.shape)})")
    return Amax.apply(a, dims, keepdim, smallest)


@tensor_method("amax")
def amax(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The largest element over ``dim`` (() or None: all); ties share the gradient equally."""
    return _amax(a, dim, keepdim, False, "amax")


@tensor_method("amin")
def amin(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The smallest element over ``dim`` (() or None: all); ties share the gradient equally."""
    return _amax(a, dim, keepdim, True, "amin")


class SelectAlong(Function):
    """a's elements at ``index`` (one per slice along ``dim``, keepdim shape): the gradient goes
    to the selected element only."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, index: Any, dim: int, keepdim: bool) -> Any:
        out = xp.take_along_axis(a._data, index, axis=dim)
        if ctx.needs_input_grad:
            ctx.save_for_backward(index)  # freed after backward like any saved tensor
            ctx.dim, ctx.in_shape = dim, a._data.shape
            ctx.kept = out.shape
        return out if keepdim else out.reshape(_out_shape(a._data.shape, (dim,), False))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        (index,) = ctx.saved_tensors
        n = ctx.in_shape[ctx.dim]
        positions = xp.arange(n).reshape((n,) + (1,) * (len(ctx.in_shape) - ctx.dim - 1))
        chosen = positions == index  # one-hot along dim, broadcast to the input's shape
        return xp.where(chosen, g.reshape(ctx.kept), 0), None, None, None


MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
MaxResult.__doc__ = "max along a dim: (values, indices), as torch.return_types.max."
MinResult.__doc__ = "min along a dim: (values, indices), as torch.return_types.min."


def _max_min(a: Tensor, dim: Any, keepdim: bool, smallest: bool, op: str) -> Any:
    a = _tensor_arg(a, op)
    if isinstance(dim, Tensor):  # max(a, other): the elementwise maximum
        return minimum(a, dim) if smallest else maximum(a, dim)
    if dim is None:
        if a._data.size == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                f"Specify the reduction dim with the 'dim' argument."
            )
        return MaxAll.apply(a, _ALL[a._data.ndim], False, smallest)
    if not isinstance(dim, int | xp.integer):
        raise TypeError(f"{op}(): dim must be an int (or a Tensor: the elementwise {op}imum), "
                        f"got {type(dim).__name__}")
    d = wrap_dim(dim, a._data.ndim, op)
    if a._data.ndim == 0:
        values, index = a.reshape(1), 0
        result = SelectAlong.apply(values, xp.zeros(1, _INT64), 0, False)
        return (MinResult if smallest else MaxResult)(result, _const(xp.asarray(index, _INT64)))
    if a._data.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                         f"(shape {tuple(a.shape)})")
    index = (xp.argmin if smallest else xp.argmax)(a._data, axis=d, keepdims=True)
    values = SelectAlong.apply(a, index, d, keepdim)
    indices = index if keepdim else index.reshape(values._data.shape)
    return (MinResult if smallest else MaxResult)(values, _const(indices))


@tensor_method("max")
def max(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """max(a): the largest element (ties share the gradient); max(a, dim): (values, indices) with
    the gradient to the first largest element; max(a, other_tensor): maximum(a, other)."""
    return _max_min(a, dim, keepdim, False, "max")


@tensor_method("min")
def min(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """min(a): the smallest element (ties share the gradient); min(a, dim): (values, indices)
    with the gradient to the first smallest element; min(a, other_tensor): minimum(a, other)."""
    return _max_min(a, dim, keepdim, True, "min")


def _arg(a: Tensor, dim: int | None, keepdim: bool, smallest: bool, op: str) -> Tensor:
    a = _tensor_arg(a, op)
    x = a._data
    find = xp.argmin if smallest else xp.argmax
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0")
        index = xp.asarray(find(x), _INT64)
        return _const(index.reshape((1,) * x.ndim) if keepdim else index)
    d = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return _const(xp.zeros((), _INT64))
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                         f"(shape {tuple(a.shape)})")
    return _const(find(x, axis=d, keepdims=keepdim).astype(_INT64, copy=False))


@tensor_method("argmax")
def argmax(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first largest element along ``dim`` (None: of the flattened tensor)."""
    return _arg(a, dim, keepdim, False, "argmax")


@tensor_method("argmin")
def argmin(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first smallest element along ``dim`` (None: of the flattened tensor)."""
    return _arg(a, dim, keepdim, True, "argmin")


@tensor_method("all")
def all(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is nonzero (a bool tensor)."""
    a = _tensor_arg(a, "all")
    return _const(xp.all(a._data, axis=_dims(dim, a._data.ndim, "all"), keepdims=keepdim))


@tensor_method("any")
def any(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element over ``dim`` is nonzero (a bool tensor)."""
    a = _tensor_arg(a, "any")
    return _const(xp.any(a._data, axis=_dims(dim, a._data.ndim, "any"), keepdims=keepdim))


# ----- var, std -------------------------------------------------------------------------------
def _correction(unbiased: bool | None, correction: float | None, op: str) -> float:
    if correction is None:
        return 1 if unbiased is None or unbiased else 0
    if unbiased is not None:
        raise TypeError(f"{op}(): pass either unbiased or correction, not both")
    return correction


def _var(a: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any, op: str) -> Tensor:
    a = _tensor_arg(a, op)
    if isinstance(dim, bool):  # var(a, unbiased): PyTorch's older positional form
        dim, unbiased = None, dim
    _require_float(a, op, "std and var only support floating point dtypes")
    dims = _dims(dim, a._data.ndim, op)
    n = _count(a._data.shape, dims)
    d = a - Sum.apply(a, dims, True) / n
    # n - correction <= 0 gives inf or NaN, as PyTorch
    return Sum.apply(d * d, dims, keepdim) / builtins.max(0, n - _correction(unbiased, correction,
                                                                                op))


@tensor_method("var")
def var(a: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """sum((a - mean(a))^2, dim) / (n - correction), correction 1 by default (unbiased=False:
    0): a composition."""
    return _var(a, dim, unbiased, keepdim, correction, "var")


class Std(Function):
    """sqrt, with the derivative taken as 0 where the result is 0 (PyTorch's std: a constant
    input has zero gradient, not NaN)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, v: Tensor) -> Any:
        return xp.sqrt(v._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return xp.where(data(y) == 0, 0, g / (2 * y))  # d sqrt(v) = dv / (2 sqrt(v)), 0 at 0


@tensor_method("std")
def std(a: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """sqrt(var(a, dim, correction)) (its gradient is 0 where std is 0, as PyTorch)."""
    return Std.apply(_var(a, dim, unbiased, keepdim, correction, "std"))


# ----- logsumexp, softmax, log_softmax --------------------------------------------------------
def _floating(a: Tensor, dtype: Any, op: str) -> Tensor:
    a = _tensor_arg(a, op)
    if dtype is not None:
        return a.to(dtype=dtype)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): not implemented for dtype {a.dtype!r} (pass dtype= or "
                           f"convert the input to a floating type)")
    return a


def _max_keepdims(x: Any, dims: tuple[int, ...]) -> Any:
    """max over dims (keepdim; -inf for an empty slice). NumPy reduces slowly along a short last
    axis (4.9 us on (64, 10) float32 against 1.7 us for a contiguous copy of the transpose
    reduced along its first axis), so a reduction over a short last axis of a 2-D array takes
    the transposed route."""
    if len(dims) == 1 and x.ndim == 2 and dims[0] == 1 and 1 < x.shape[1] <= 64:
        return xp.ascontiguousarray(x.T).max(axis=0, initial=-xp.inf)[:, None]
    return x.max(axis=dims, keepdims=True, initial=-xp.inf)


def _detached_max(x: Any, dims: tuple[int, ...]) -> Any:
    """The max over dims (keepdim) with inf/NaN/empty slices replaced by 0: a shift that keeps
    exp(x - m) <= 1 and never makes inf - inf."""
    m = _max_keepdims(x, dims)
    return xp.where(xp.isfinite(m), m, 0).astype(x.dtype, copy=False)


@tensor_method("logsumexp")
def logsumexp(a: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(a), dim)) computed as m + log(sum(exp(a - m))) with m = max(a) detached (a
    composition, finite for huge inputs; integer inputs become float32)."""
    a = _tensor_arg(a, "logsumexp")
    if a._data.dtype.kind != "f":
        a = _const(a._data.astype(_FLOAT32))
    dims = _dims(dim, a._data.ndim, "logsumexp")
    m = _const(_detached_max(a._data, dims))
    out = log(Sum.apply((a - m).exp(), dims, True)) + m
    return out if keepdim else out.reshape(_out_shape(a._data.shape, dims, False))


class Softmax(Function):
    """exp(x) / sum(exp(x), dim), computed with the max subtracted. Fused for speed (one node);
    rule: dx = y * (g - sum(g * y, dim))."""

    save_output = True

    @staticmethod
    def compute(x: Any, dims: tuple[int, ...]) -> Any:
        """On an array (for rules that call it: ops/_util.primitive)."""
        e = xp.exp(x - _max_keepdims(x, dims))
        e /= e.sum(axis=dims, keepdims=True)
        return e

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        return Softmax.compute(a._data, dims)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        y = ctx.output
        gy = g * y
        return gy - y * gy.sum(axis=ctx.dims, keepdims=True), None


class LogSoftmax(Function):
    """x - logsumexp(x, dim), computed with the max subtracted. Fused for stability and speed;
    rule: dx = g - exp(y) * sum(g, dim). Slices holding +inf or only -inf give NaN (PyTorch)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        x = a._data
        shifted = x - _max_keepdims(x, dims)  # rows with +inf, or only -inf: NaN, as PyTorch
        return shifted - xp.log(xp.exp(shifted).sum(axis=dims, keepdims=True))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        y = ctx.output
        return g - xp.exp(y) * g.sum(axis=ctx.dims, keepdims=True), None


def _softmax_dim(a: Tensor, dim: Any, op: str) -> tuple[int, ...]:
    if not isinstance(dim, int | xp.integer):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    return _dims(dim, a._data.ndim, op)


@tensor_method("softmax")
def softmax(a: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(a) / sum(exp(a), dim), stable for huge inputs (a fused primitive)."""
    a = _floating(a, dtype, "softmax")
    return Softmax.apply(a, _softmax_dim(a, dim, "softmax"))


@tensor_method("log_softmax")
def log_softmax(a: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """a - logsumexp(a, dim), stable for huge inputs (a fused primitive)."""
    a = _floating(a, dtype, "log_softmax")
    return LogSoftmax.apply(a, _softmax_dim(a, dim, "log_softmax"))


# ----- count_nonzero, nansum, nanmean ---------------------------------------------------------
@tensor_method("count_nonzero")
def count_nonzero(a: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (None: all), as int64 (no gradient)."""
    a = _tensor_arg(a, "count_nonzero")
    dims = _dims(dim, a._data.ndim, "count_nonzero")
    return _const(xp.count_nonzero(a._data, axis=dims).astype(_INT64, copy=False).reshape(
        _out_shape(a._data.shape, dims, False)))


class NanZeroed(Function):
    """x with its NaNs replaced by 0; the rule is g * (x is not NaN), a product as PyTorch's
    nansum rule (so an infinite g at a NaN, as in nanmean of an all-NaN slice, gives NaN)."""

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.keep = ~xp.isnan(a._data)
        return xp.where(ctx.keep, a._data, 0)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return g * ctx.keep


def _nan_zeroed(a: Tensor) -> Tensor:
    return NanZeroed.apply(a) if a._data.dtype.kind == "f" else a


@tensor_method("nansum")
def nansum(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """sum over ``dim`` treating NaN as 0 (a composition: sum(where(isnan(a), 0, a)))."""
    a = _tensor_arg(a, "nansum")
    a = a.to(dtype=dtype) if dtype is not None else _integer_to_int64(a)
    return Sum.apply(_nan_zeroed(a), _dims(dim, a._data.ndim, "nansum"), keepdim)


@tensor_method("nanmean")
def nanmean(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """nansum(a, dim) / (number of non-NaN elements): the mean ignoring NaNs (NaN for none)."""
    a = _tensor_arg(a, "nanmean")
    if dtype is not None:
        a = a.to(dtype=dtype)
    _require_float(a, "nanmean", "expected input to have floating point dtype")
    dims = _dims(dim, a._data.ndim, "nanmean")
    n = (~xp.isnan(a._data)).sum(axis=dims, keepdims=keepdim).astype(a._data.dtype)
    return Sum.apply(_nan_zeroed(a), dims, keepdim) / _const(n)


# ----- norm, dist -----------------------------------------------------------------------------
class VectorNorm(Function):
    """(sum |x|^p)^(1/p) over dims; p = inf: max |x|, -inf: min |x|, 0: the count of nonzeros.
    A primitive for its rule at a zero norm, which is 0 (as PyTorch's), where the composition
    sqrt(sum(x^2)) would give NaN. The rule is PyTorch's linalg_vector_norm_backward:
    p = 1: sign(x) g; p = 2: x g / |x|; p = +-inf: sign(x) g split evenly among the elements
    with |x| = norm; else sign(x) |x|^(p-1) g / norm^(p-1) (0 where the norm or, for p < 1,
    x is 0). split=False (cdist's rule): each tie at p = +-inf gets the whole sign(x) g."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, p: float, dims: tuple[int, ...], keepdim: bool,
                split: bool = True) -> Any:
        x = a._data
        ctx.save_for_backward(a)
        ctx.p, ctx.dims, ctx.split = p, dims, split
        ctx.kept = None if keepdim else _kept_shape(x.shape, dims)
        ax = xp.abs(x)
        if p == math.inf:
            return ax.max(axis=dims, keepdims=keepdim)
        if p == -math.inf:
            return ax.min(axis=dims, keepdims=keepdim)
        if p == 0:
            return (x != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
        if p == 1:
            return ax.sum(axis=dims, keepdims=keepdim)
        if p == 2:
            return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        return (ax ** p).sum(axis=dims, keepdims=keepdim) ** (1 / p)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None, None]:
        (a,) = ctx.saved_tensors
        p, norm = ctx.p, ctx.output
        if ctx.kept is not None:
            g, norm = g.reshape(ctx.kept), norm.reshape(ctx.kept)
        zero_norm = data(norm) == 0
        if p == 0:
            return xp.zeros_like(a), None, None, None, None
        if p == 1:
            return xp.sign(a) * g, None, None, None, None
        if p == 2:
            # 0 at a zero norm, divided by 1 there, not 0: under create_graph the selection's
            # own derivative is then 0, not 0/0, as PyTorch's (other p: nan there, as PyTorch's)
            safe = xp.where(zero_norm, 1, norm)
            return a * xp.where(zero_norm, 0, g / safe), None, None, None, None
        if math.isinf(p):
            mask = xp.abs(data(a)) == data(norm)
            share = mask.astype(data(g).dtype)
            if ctx.split:
                share /= mask.sum(axis=ctx.dims, keepdims=True)
            return xp.sign(a) * (g * share), None, None, None, None
        if p < 1:
            scaled = xp.sign(a) * xp.where(data(a) == 0, 0, xp.abs(a) ** (p - 1))
            return scaled * g * norm ** (1 - p), None, None, None, None
        scaled = xp.sign(a) * xp.abs(a) ** (p - 1) if p < 2 else a * xp.abs(a) ** (p - 2)
        return scaled * xp.where(zero_norm, 0, g / norm ** (p - 1)), None, None, None, None


def _vector_norm(a: Tensor, p: float, dim: Any, keepdim: bool, op: str) -> Tensor:
    p = float(p)
    dims = _dims(dim, a._data.ndim, op)
    if math.isinf(p) and builtins.any(a._data.shape[d] == 0 for d in dims):
        raise RuntimeError(f"{op}(): cannot compute the {p} norm of an empty slice (shape "
                           f"{tuple(a.shape)}, dim {dim}): the operation has no identity")
    return VectorNorm.apply(a, p, dims, keepdim)


@tensor_method("norm")
def norm(a: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The p-norm over ``dim`` (None: all elements): 'fro' is the 2-norm (of a vector or, over
    two dims, of a matrix); a number p: (sum |a|^p)^(1/p), inf: max |a|, -inf: min |a|, 0: the
    count of nonzeros. The gradient is 0 where the norm is 0 (as PyTorch's)."""
    a = _tensor_arg(a, "norm")
    if dtype is not None:
        a = a.to(dtype=dtype)
    _require_float(a, "norm", "expected a floating point input")
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm(): p='nuc' (the nuclear norm) is not supported")
        if p != "fro":
            raise RuntimeError(f"norm(): unknown norm order {p!r} (use 'fro', 'nuc' or a number)")
        if dim is not None and not isinstance(dim, int | xp.integer) and len(dim) > 2:
            raise RuntimeError(f"norm(): p='fro' takes at most two dims, got {dim}")
        p = 2
    return _vector_norm(a, p, dim, keepdim, "norm")


@tensor_method("dist")
def dist(a: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """norm(a - other, p) over all elements (broadcasting)."""
    a = _tensor_arg(a, "dist")
    _require_float(a, "dist", "expected a floating point input")
    return _vector_norm(a - other, p, None, False, "dist")


# ----- selections along a dim: median, nanmedian, kthvalue, mode ------------------------------
def argsort_stable(x: Any, axis: int, descending: bool = False) -> Any:
    """Stable argsort of the array x along axis (NaN counts as the largest value): equal
    elements keep their order, also when descending."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    # sort the reversed array ascending, read it backwards: descending, ties in input order
    order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - xp.flip(order, axis)


def _result_type(name: str) -> Any:
    t = namedtuple(name, ["values", "indices"])
    t.__doc__ = f"{name} along a dim: (values, indices), as torch.return_types.{name}."
    return t


MedianResult = _result_type("median")
NanmedianResult = _result_type("nanmedian")
KthvalueResult = _result_type("kthvalue")
ModeResult = _result_type("mode")
CummaxResult = _result_type("cummax")
CumminResult = _result_type("cummin")


def _select_along(a: Tensor, dim: Any, keepdim: bool, op: str, result: Any,
                  pick: Any) -> Any:
    """(values, indices) of a selection along ``dim``: ``pick(x, d)`` gives the index of one
    element per slice (keepdim shape); the values' gradient goes to that element."""
    a = _tensor_arg(a, op)
    if not isinstance(dim, int | xp.integer):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    d = wrap_dim(dim, a._data.ndim, op)
    if a._data.ndim == 0:
        index = pick(a._data.reshape(1), 0)  # raises for a bad k
        values = SelectAlong.apply(a.reshape(1), index, 0, False)
        return result(values, _const(xp.zeros((), _INT64)))
    if a._data.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                         f"(shape {tuple(a.shape)})")
    index = pick(a._data, d).astype(_INT64, copy=False)
    values = SelectAlong.apply(a, index, d, keepdim)
    indices = index if keepdim else index.reshape(values._data.shape)
    return result(values, _const(indices))


def _median_pick(ignore_nan: bool) -> Any:
    def pick(x: Any, d: int) -> Any:
        order = argsort_stable(x, d)  # NaNs last, in input order
        n = x.shape[d]
        nans = xp.isnan(x).sum(axis=d, keepdims=True) if x.dtype.kind == "f" else 0
        if ignore_nan:  # the lower median of the non-NaN elements (the first NaN if none)
            pos = xp.maximum((n - nans - 1) // 2, 0)
        else:  # NaN propagates: the first NaN of a slice holding one
            pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
        pos = xp.broadcast_to(pos, _kept_shape(x.shape, (d,)))
        return xp.take_along_axis(order, pos, axis=d)
    return pick


class _Distributed(Function):
    """A reduction to one value whose result is given: the gradient is split evenly among the
    elements equal to it (weights, a constant), as PyTorch's evenly_distribute_backward."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, value: Any, weights: Any) -> Any:
        ctx.save_for_backward(weights)
        return value

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        (weights,) = ctx.saved_tensors
        return g * weights.astype(data(g).dtype, copy=False), None, None


def _median_all(a: Tensor, ignore_nan: bool, op: str) -> Tensor:
    x = a._data.reshape(-1)
    if x.size == 0:
        return _const(xp.asarray(xp.nan, a._data.dtype))
    value = x[_median_pick(ignore_nan)(x, 0)].reshape(())
    mask = xp.isnan(a._data) if xp.isnan(value) else a._data == value
    return _Distributed.apply(a, value, mask / mask.sum(dtype=a._data.dtype))


@tensor_method("median")
def median(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """median(a): the lower median of all elements (NaN if any is NaN), its gradient split
    among the elements equal to it; median(a, dim): (values, indices) of the lower median of
    each slice (the gradient to the element at indices)."""
    a = _tensor_arg(a, "median")
    if dim is None:
        return _median_all(a, False, "median")
    return _select_along(a, dim, keepdim, "median", MedianResult, _median_pick(False))


@tensor_method("nanmedian")
def nanmedian(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """median ignoring NaNs (NaN where a slice holds only NaNs)."""
    a = _tensor_arg(a, "nanmedian")
    if dim is None:
        return _median_all(a, True, "nanmedian")
    return _select_along(a, dim, keepdim, "nanmedian", NanmedianResult, _median_pick(True))


@tensor_method("kthvalue")
def kthvalue(a: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices) of the k-th smallest element (k from 1) of each slice along ``dim``;
    which of equal elements is chosen is unspecified (as PyTorch)."""
    def pick(x: Any, d: int) -> Any:
        if not 1 <= k <= x.shape[d]:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                               f"{d} of size {x.shape[d]}")
        return xp.take(argsort_stable(x, d), [k - 1], axis=d)
    return _select_along(a, dim, keepdim, "kthvalue", KthvalueResult, pick)


def _mode_pick(x: Any, d: int) -> Any:
    """The most frequent value of each slice (the smallest among equally frequent ones) and
    the last index where it occurs, as PyTorch on CPU."""
    xm = xp.moveaxis(x, d, -1)
    lead, n = xm.shape[:-1], xm.shape[-1]
    order = argsort_stable(xm, -1).reshape(-1, n)
    s = xp.take_along_axis(xm.reshape(-1, n), order, axis=-1)
    start = xp.ones(s.shape, bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]  # each run of equal values starts here
    run = xp.cumsum(start.reshape(-1)) - 1
    count = xp.bincount(run, minlength=1)[run].reshape(s.shape)
    first = xp.argmax(count, axis=-1)[:, None]  # the first (smallest) most frequent run
    last = first + xp.take_along_axis(count, first, axis=-1) - 1
    index = xp.take_along_axis(order, last, axis=-1)  # stable: the run's last index
    return xp.expand_dims(index.reshape(lead), d)


@tensor_method("mode")
def mode(a: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the most frequent value of each slice along ``dim`` (the smallest of
    equally frequent ones) and the last index where it occurs; the gradient goes there."""
    return _select_along(a, dim, keepdim, "mode", ModeResult, _mode_pick)


# ----- cumulative ops: cumsum, cumprod, logcumsumexp, cummax, cummin --------------------------
def _scan_arg(a: Tensor, dim: Any, op: str) -> int:
    _tensor_arg(a, op)
    if not isinstance(dim, int | xp.integer):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    return wrap_dim(dim, a._data.ndim, op)


def _reversed_cumsum(g: Tensor, dim: int) -> Tensor:
    """sum_{j >= i} g_j along dim (exact: a cumsum of the reversed tensor, reversed)."""
    return xp.flip(xp.cumsum(xp.flip(g, dim), axis=dim), dim)


class CumSum(Function):
    """y_i = sum_{j <= i} x_j along dim; dx_i = sum_{j >= i} g_j (a reversed cumsum)."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, dim: int) -> Any:
        ctx.dim = dim
        return xp.cumsum(a._data, axis=dim, dtype=a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return _reversed_cumsum(g, ctx.dim), None


class CumProd(Function):
    """y_i = prod_{j <= i} x_j along dim. Rule: dx_k = sum_{j >= k} g_j prod_{i <= j, i != k}
    x_i. Without zeros in x that is reversed_cumsum(g y) / x (PyTorch's fast path); with zeros
    it is computed exactly, O(n^2) per slice: Q[k, j] = prod_{i <= j, i != k} x_i as the
    cumprod over i of x with x_k replaced by 1, then dx_k = sum_{j >= k} g_j Q[k, j]."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dim: int) -> Any:
        ctx.save_for_backward(a)
        ctx.dim = dim
        return xp.cumprod(a._data, axis=dim, dtype=a._data.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        d, n = ctx.dim, data(a).shape[ctx.dim]
        if n <= 1:
            return g, None
        if not (data(a) == 0).any():
            return _reversed_cumsum(ctx.output * g, d) / a, None
        x = xp.expand_dims(xp.moveaxis(a, d, -1), -2)  # (..., 1, n): x_i along the last dim
        q = xp.cumprod(xp.where(xp.eye(n, dtype=bool), 1, x), axis=-1)  # (..., k, j)
        gj = xp.expand_dims(xp.moveaxis(g, d, -1), -2)
        upper = xp.triu(xp.ones((n, n), bool))  # j >= k
        return xp.moveaxis(xp.where(upper, q * gj, 0).sum(axis=-1), -1, d), None


def _scan(fn: Any, a: Tensor, dim: Any, dtype: Any, op: str) -> Tensor:
    d = _scan_arg(a, dim, op)
    a = a.to(dtype=dtype) if dtype is not None else _integer_to_int64(a)
    if a._data.ndim == 0:
        return fn.apply(a.reshape(1), 0).reshape(())
    return fn.apply(a, d)


@tensor_method("cumsum")
def cumsum(a: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``; integer and bool inputs give int64."""
    return _scan(CumSum, a, dim, dtype, "cumsum")


@tensor_method("cumprod")
def cumprod(a: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim`` (its gradient exact with zeros in the input, to every
    order); integer and bool inputs give int64."""
    return _scan(CumProd, a, dim, dtype, "cumprod")


class LogCumSumExp(Function):
    """y_i = log(sum_{j <= i} exp(x_j)) along dim, as a running logaddexp (stable for any
    range of values, where a composition with one shift would underflow). Rule, PyTorch's:
    dx_j = sum_{i >= j} g_i exp(x_j - y_i), computed in log space for the positive and the
    negative parts of g apart: exp(x + reversed_logcumsumexp(log(+-g) - y))."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dim: int) -> Any:
        ctx.save_for_backward(a)
        ctx.dim = dim
        return xp.logaddexp.accumulate(a._data, axis=dim)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        d, y = ctx.dim, ctx.output
        if data(g).size == 0:
            return g, None
        # log(0) as a finite number (no inf - inf), half the lowest so that - y cannot overflow
        lowest = xp.finfo(data(g).dtype).min / 2
        log_g = xp.log(xp.abs(g))
        pos = xp.where(data(g) > 0, log_g, lowest)
        neg = xp.where(data(g) < 0, log_g, lowest)

        def reversed_lcse(t: Tensor) -> Tensor:
            return xp.flip(xp.logaddexp.accumulate(xp.flip(t, d), axis=d), d)

        return xp.exp(reversed_lcse(pos - y) + a) - xp.exp(reversed_lcse(neg - y) + a), None


@tensor_method("logcumsumexp")
def logcumsumexp(a: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(a), dim)), computed stably (a running logaddexp)."""
    d = _scan_arg(a, dim, "logcumsumexp")
    _require_float(a, "logcumsumexp", "not implemented for integer or bool tensors")
    if a._data.ndim == 0:
        return LogCumSumExp.apply(a.reshape(1), 0).reshape(())
    return LogCumSumExp.apply(a, d)


def _cum_extreme(a: Tensor, dim: Any, smallest: bool, op: str, result: Any) -> Any:
    """The running max (min) along dim and the index of the element it comes from: the last of
    equal ones, a NaN once one is met (and the last NaN), as PyTorch. The values are
    gather(a, dim, indices): the gradient is added back to the elements at the indices."""
    d = _scan_arg(a, dim, op)
    x = a._data if a._data.ndim else a._data.reshape(1)
    values = (xp.minimum if smallest else xp.maximum).accumulate(x, axis=d)
    hit = x == values  # x reaches (or ties) the running extreme here: it becomes the index
    if x.dtype.kind == "f":
        hit |= xp.isnan(x)
    positions = xp.arange(x.shape[d]).reshape((-1,) + (1,) * (x.ndim - d - 1))
    index = xp.maximum.accumulate(xp.where(hit, positions, 0), axis=d).astype(_INT64)
    if a._data.ndim == 0:
        return result(a * 1, _const(xp.zeros((), _INT64)))
    return result(gather(a, d, _const(index)), _const(index))


@tensor_method("cummax")
def cummax(a: Tensor, dim: int) -> Any:
    """(values, indices): the running maximum along ``dim`` and where it comes from."""
    return _cum_extreme(a, dim, False, "cummax", CummaxResult)


@tensor_method("cummin")
def cummin(a: Tensor, dim: int) -> Any:
    """(values, indices): the running minimum along ``dim`` and where it comes from."""
    return _cum_extreme(a, dim, True, "cummin", CumminResult)


# ----- diff, trapezoid, renorm, cdist ---------------------------------------------------------
def _slice_along(a: Tensor, d: int, start: Any, stop: Any) -> Tensor:
    return a[(slice(None),) * d + (slice(start, stop),)]


@tensor_method("diff")
def diff(a: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference a[i+1] - a[i] along ``dim``, after joining prepend and append
    to a along it (bool tensors: a[i+1] != a[i])."""
    a = _tensor_arg(a, "diff")
    if a._data.ndim == 0:
        raise RuntimeError("diff(): expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff(): order n must be non-negative but got {n}")
    d = wrap_dim(dim, a._data.ndim, "diff")
    if n == 0:  # PyTorch ignores prepend and append then
        return a
    if prepend is not None or append is not None:
        parts = [t if isinstance(t, Tensor) else Tensor(t) for t in (prepend, a, append)
                 if t is not None]
        for t in parts:
            if t._data.ndim != a._data.ndim:
                raise RuntimeError(f"diff(): prepend and append must have the same number of "
                                   f"dimensions as input {tuple(a.shape)}, got "
                                   f"{tuple(t.shape)}")
        a = cat(parts, d)
    for _ in range(n):
        hi, lo = _slice_along(a, d, 1, None), _slice_along(a, d, None, -1)
        a = _const(hi._data != lo._data) if a._data.dtype.kind == "b" else hi - lo
    return a


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: sum((x[i+1] - x[i]) (y[i+1] + y[i]) / 2), with the
    spacing dx (default 1) where x is not given. A 1-D x lies along ``dim``; 0 for no samples."""
    y = _tensor_arg(y, "trapezoid")
    if y._data.dtype.kind == "b":
        raise RuntimeError("trapezoid(): received a bool input for y, but bool is not supported")
    d = wrap_dim(dim, y._data.ndim, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid(): give either x or dx, not both")
    if y._data.shape[d] == 0:
        return Sum.apply(y, (d,), False) * 0.0
    if x is None:
        s = Sum.apply(y, (d,), False) - (_slice_along(y, d, 0, 1) + _slice_along(y, d, -1, None)
                                         ).reshape(_out_shape(y._data.shape, (d,), False)) * 0.5
        return s * (1 if dx is None else dx)
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"trapezoid(): there must be one x value for each sample point "
                               f"(x {tuple(x.shape)}, y {tuple(y.shape)}, dim {d})")
        x = x.reshape(tuple(-1 if i == d else 1 for i in range(y._data.ndim)))
    elif x._data.ndim < y._data.ndim:
        x = x.reshape((1,) * (y._data.ndim - x._data.ndim) + tuple(x.shape))
    spacing = _slice_along(x, d, 1, None) - _slice_along(x, d, None, -1)
    heights = _slice_along(y, d, 1, None) + _slice_along(y, d, None, -1)
    return sum(spacing * heights, d) / 2


trapz = trapezoid


@tensor_method("renorm")
def renorm(a: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice a.select(dim, i) whose p-norm exceeds maxnorm scaled to norm maxnorm:
    a * maxnorm / (norm + 1e-7) there (PyTorch's epsilon), a composition."""
    a = _tensor_arg(a, "renorm")
    _require_float(a, "renorm", "expected a floating point input")
    if p <= 0:
        raise RuntimeError(f"renorm(): non-positive norm p={p} is not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm(): expected maxnorm to be >= 0 but got {maxnorm}")
    if a._data.ndim < 2:
        raise RuntimeError(f"renorm(): input needs at least 2 dimensions, got shape "
                           f"{tuple(a.shape)}")
    d = wrap_dim(dim, a._data.ndim, "renorm")
    others = tuple(i for i in range(a._data.ndim) if i != d)
    n = _vector_norm(a, p, others, True, "renorm")
    factor = Where.apply(_const(data(n) > maxnorm), maxnorm / (n + 1e-7), 1.0)
    return a * factor


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """The p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): a
    (..., P, R) tensor, batch dims broadcast. Computed from the differences (never by the
    matrix-product expansion, which loses precision); the gradient at distance 0 is 0."""
    for t, name in ((x1, "X1"), (x2, "X2")):
        _tensor_arg(t, "cdist")
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist(): only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
        _require_float(t, "cdist", "only supports floating point dtypes")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"cdist(): X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist(): only supports non-negative p values, got {p}")
    diffs = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if x1._data.shape[-1] == 0:
        return Sum.apply(diffs, (diffs.ndim - 1,), False)
    # PyTorch's cdist rule gives each tie of an inf norm the whole gradient (split=False)
    return VectorNorm.apply(diffs, float(p), (diffs.ndim - 1,), False, False)


__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "cdist", "count_nonzero", "cummax",
    "cummin", "cumprod", "cumsum", "diff", "dist", "kthvalue", "log_softmax", "logcumsumexp",
    "logsumexp", "max", "mean", "median", "min", "mode", "nanmean", "nanmedian", "nansum", "norm",
    "prod", "renorm", "softmax", "std", "sum", "trapezoid", "trapz", "var",
]
