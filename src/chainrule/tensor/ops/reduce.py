"""Reductions: sum, mean, prod, amax/amin, max/min, var/std, logsumexp, softmax, log_softmax,
argmax/argmin, all/any.

Primitives with rules: sum, prod, amax/amin, max/min along a dim (a selection), softmax and
log_softmax (fused for speed: one node each instead of five or six, and a short exact rule).
Compositions: mean (sum / n), var (sum of squared deviations / (n - correction)), std (a guarded
square root of var), logsumexp (m + log(sum(exp(x - m))) with the max m detached).

``dim`` follows PyTorch: None (or an empty tuple, as torch.sum) reduces every dimension, negative
dims count from the end, and a 0-d tensor accepts dim 0 or -1 (reducing nothing).
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Any

from chainrule.tensor.backend import keep_where, xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import data, wrap_dim
from chainrule.tensor.ops.elementwise import Where, log, maximum, minimum, where
from chainrule.tensor.tensor import Tensor, tensor_method

_INT64 = xp.dtype(xp.int64)
_FLOAT32 = xp.dtype(xp.float32)
_ALL = [tuple(range(n)) for n in range(65)]


def _const(array: Any) -> Tensor:
    return Tensor._make(array, False, None)


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
class Sum(Function):
    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool) -> Any:
        ctx.in_shape, ctx.dims = a._data.shape, dims
        return a._data.sum(axis=dims, keepdims=keepdim)

    array_rule = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        # d(sum x)/dx_i = 1: every element receives the gradient of its sum
        if not isinstance(g, Tensor):
            return _spread(g, ctx.in_shape, ctx.dims), None, None
        return SumBackward.apply(g, ctx.in_shape, ctx.dims), None, None


def _spread(g: Any, shape: tuple[int, ...], dims: tuple[int, ...]) -> Any:
    """The array g with the summed dims re-inserted, broadcast to ``shape``; small results are
    materialized, as np.broadcast_to alone costs more than filling a few thousand elements."""
    # g with the summed dims back as size 1 (already so with keepdim; a 0-d g broadcasts as is)
    kept = g if g.ndim == len(shape) or g.ndim == 0 else g.reshape(_kept_shape(shape, dims))
    if math.prod(shape) > 4096:
        return xp.broadcast_to(kept, shape)
    out = xp.empty(shape, g.dtype)
    out[...] = kept
    return out


class SumBackward(Function):
    """Spread g over the summed dims: g with those dims re-inserted, broadcast to the input's
    shape. One op instead of reshape + expand (fused for measured speed); small results are
    materialized, as np.broadcast_to alone costs more than filling a few thousand elements.
    Its own rule is the sum again."""

    array_rule = True

    @staticmethod
    def forward(ctx: Node, g: Tensor, shape: tuple[int, ...], dims: tuple[int, ...]) -> Any:
        ctx.dims, ctx.keepdim = dims, g._data.ndim == len(shape)
        return _spread(g._data, shape, dims)

    @staticmethod
    def backward(ctx: Node, h: Tensor) -> tuple[Tensor, None, None]:
        if not isinstance(h, Tensor):
            return h.sum(axis=ctx.dims, keepdims=ctx.keepdim), None, None
        return Sum.apply(h, ctx.dims, ctx.keepdim), None, None


class Mean(Function):
    """sum(x, dims) / n, n the number of elements reduced (NaN for none). One op, not Sum then
    Div: a node fewer in each pass. d(mean x)/dx_i = 1/n: g / n spread over the reduced dims;
    that rule is linear in g, so its own derivative is the mean's again (as Sum and SumBackward).
    """

    array_rule = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...], keepdim: bool) -> Any:
        shape = a._data.shape
        n = _count(shape, dims)
        ctx.in_shape, ctx.dims, ctx.n = shape, dims, n
        total = a._data.sum(axis=dims, keepdims=keepdim)
        if n:
            return total / n
        with xp.errstate(invalid="ignore"):  # 0 / 0: NaN, silently (PyTorch: no warning)
            return total / n

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        n = ctx.n or 1  # n = 0: the input has no elements, the spread g is empty anyway
        if not isinstance(g, Tensor):
            return _spread(g / n, ctx.in_shape, ctx.dims), None, None
        return SumBackward.apply(g / n, ctx.in_shape, ctx.dims), None, None


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

    array_rule = True
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
        m = zero.sum(axis=dims, keepdims=True) - zero
        if not isinstance(g, Tensor):
            # the value alone: prod(x') / x'_i where no other element is zero, else 0 (as W_i)
            x1 = xp.where(zero, 1, a)
            return g * xp.where(m == 0, x1.prod(axis=dims, keepdims=True) / x1, 0), None, None
        x1 = Where.apply(_const(zero), 1, a)  # the zeros are constants 1: no derivative there
        others = Prod.apply(x1, dims, True) / x1
        if (m == 1).any():
            zs = Where.apply(_const(zero), a, 0)  # the zero elements, still differentiable
            other_zero = Sum.apply(zs, dims, True) - zs  # the zero among the others (m == 1)
            w = Where.apply(_const(m == 0), 1, Where.apply(_const(m == 1), other_zero, 0))
            others = others * w
        else:
            others = Where.apply(_const(m == 0), others, 0)
        return g * others, None, None


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

    array_rule = True

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
            ctx.save_for_backward(mask / mask.sum(axis=dims, keepdims=True).astype(x.dtype))
            ctx.kept = out.shape
        return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        (scale,) = ctx.saved_tensors
        scale = scale.astype(data(g).dtype, copy=False)
        if isinstance(g, Tensor):
            scale = _const(scale)
        return g.reshape(ctx.kept) * scale, None, None, None


class MaxAll(Amax):
    """max() and min() of every element: amax's rule, but a selection, as PyTorch's: a nan in g
    reaches only the selected elements (amax's product spreads it to all)."""

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        (scale,) = ctx.saved_tensors
        selected = data(scale) > 0
        ga = Amax.backward(ctx, g)[0]
        if isinstance(g, Tensor):
            return where(_const(selected), ga, 0.0), None, None, None
        return keep_where(selected, ga), None, None, None


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

    array_rule = True

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
        if not isinstance(g, Tensor):
            return xp.where(chosen, g.reshape(ctx.kept), 0), None, None, None
        return Where.apply(_const(chosen), g.reshape(ctx.kept), 0), None, None, None


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

    array_rule = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, v: Tensor) -> Any:
        return xp.sqrt(v._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        if not isinstance(g, Tensor):
            with xp.errstate(divide="ignore", invalid="ignore"):
                return xp.where(y == 0, 0, g / (2 * y))
        return Where.apply(_const(y._data == 0), 0, g / (2 * y))


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
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        x = a._data
        with xp.errstate(invalid="ignore"):
            e = xp.exp(x - _max_keepdims(x, dims))
            e /= e.sum(axis=dims, keepdims=True)
        return e

    array_rule = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        y = ctx.output
        gy = g * y
        if not isinstance(g, Tensor):
            return gy - y * gy.sum(axis=ctx.dims, keepdims=True), None
        return gy - y * Sum.apply(gy, ctx.dims, True), None


class LogSoftmax(Function):
    """x - logsumexp(x, dim), computed with the max subtracted. Fused for stability and speed;
    rule: dx = g - exp(y) * sum(g, dim). Slices holding +inf or only -inf give NaN (PyTorch)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        x = a._data
        m = _max_keepdims(x, dims)
        if not xp.isfinite(m).all():  # rows with +inf, or only -inf: NaN, as PyTorch, silently
            with xp.errstate(invalid="ignore", divide="ignore"):
                shifted = x - m
                return shifted - xp.log(xp.exp(shifted).sum(axis=dims, keepdims=True))
        shifted = x - m
        return shifted - xp.log(xp.exp(shifted).sum(axis=dims, keepdims=True))

    array_rule = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        y = ctx.output
        if not isinstance(g, Tensor):
            return g - xp.exp(y) * g.sum(axis=ctx.dims, keepdims=True), None
        return g - y.exp() * Sum.apply(g, ctx.dims, True), None


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


__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "log_softmax", "logsumexp", "max", "mean",
    "min", "prod", "softmax", "std", "sum", "var",
]
