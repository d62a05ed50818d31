"""Pooling (torch.nn.functional): max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d,
adaptive_max_pool1d/2d.

Max pooling looks at the windows through a strided view of the input padded with -inf (the same
window view as convolution's): each kernel offset's slab of the view is one array over every
window, so the maxima and where they lie (PyTorch's ``indices``: the flat position in each
(n, c) plane) take a few elementwise passes per kernel offset, with no loop over windows. The
gradient is g scattered to those positions, a primitive whose own derivative gathers at them
again. Average pooling is a linear map: each window's sum (one add per kernel offset) over its
divisor; its adjoint spreads g over the windows (col2im, one add per kernel offset), and each is
the other's derivative. Each of these rules calls its adjoint through ``primitive``: the
``compute`` on the bare arrays of a plain backward pass, the Function under create_graph.
Adaptive average pooling is a product with a constant averaging matrix per pooled dim (plain
matmuls); adaptive max pooling gathers its uneven windows by indexing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chainrule.autograd.grad_mode import is_grad_enabled
from chainrule.nn.functional.conv import _ints
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import primitive
from chainrule.tensor.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]

_as_strided = xp.lib.stride_tricks.as_strided


# ----- windows ---------------------------------------------------------------------------------
class _Pool:
    """The windows of a pooling over the last d dims of an input of spatial ``size``: window i
    reads positions i*stride - pad + j*dilation, j < kernel, of which those outside
    [0, size) are padding. ``padded``: the buffer holding every window, input at ``pad``."""

    def __init__(self, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                 pad: tuple[int, ...], dilation: tuple[int, ...], out: tuple[int, ...]) -> None:
        self.size, self.kernel, self.stride = size, kernel, stride
        self.pad, self.dilation, self.out = pad, dilation, out
        self.padded = tuple(max(p + n, (o - 1) * s + d * (k - 1) + 1) for p, n, o, s, d, k in
                            zip(pad, size, out, stride, dilation, kernel, strict=True))

    def buffer(self, x: Any, fill: Any) -> Any:
        """x (..., *size) inside a buffer (..., *padded) filled with ``fill``."""
        if self.padded == self.size:
            return x
        lead = x.shape[:-len(self.size)]
        buf = xp.full((*lead, *self.padded), fill, x.dtype)
        buf[(..., *(slice(p, p + n) for p, n in zip(self.pad, self.size, strict=True)))] = x
        return buf

    def view(self, buf: Any) -> Any:
        """The windows of a buffer (..., *padded) as a view (..., *out, *kernel)."""
        d = len(self.size)
        st = buf.strides
        lead, sp = st[:-d], st[-d:]
        return _as_strided(
            buf, (*buf.shape[:-d], *self.out, *self.kernel),
            (*lead, *(a * s for a, s in zip(sp, self.stride, strict=True)),
             *(a * dd for a, dd in zip(sp, self.dilation, strict=True))), writeable=False)

    def positions(self) -> Any:
        """The flat input position each window offset reads, (*out, prod(kernel)); -1 where it
        reads padding."""
        flat = xp.zeros((), xp.int64)
        inside = xp.ones((), bool)
        d = len(self.size)
        for i, (n, k, s, p, dd, o) in enumerate(zip(self.size, self.kernel, self.stride,
                                                    self.pad, self.dilation, self.out,
                                                    strict=True)):
            pos = xp.arange(o)[:, None] * s - p + xp.arange(k)[None, :] * dd  # (o, k)
            shape = [1] * (2 * d)
            shape[i], shape[d + i] = o, k
            flat = flat * n + pos.reshape(shape)
            inside = inside & ((pos >= 0) & (pos < n)).reshape(shape)
        flat = xp.broadcast_to(flat, (*self.out, *self.kernel))
        return xp.where(inside, flat, -1).reshape(*self.out, -1)


def _pool_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size: floor (or ceil) of (n + 2p - d(k-1) - 1) / s, plus one;
    with ceil_mode, a last window that would start in the right padding is dropped."""
    span = n + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil_mode else 0)
    o = span // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _batched(input: Any, d: int, op: str) -> tuple[Tensor, bool]:
    """input as (N, C, *spatial) (an unbatched (C, *spatial) one gains a batch dim)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: argument 'input' must be a Tensor, not {type(input).__name__}")
    nd = input._data.ndim
    shape = tuple(input._data.shape)
    if nd not in (d + 1, d + 2):
        raise RuntimeError(f"{op}: expected {d + 1}D (unbatched) or {d + 2}D (batched) input, "
                           f"but got input of shape {shape}")
    if any(n == 0 for n in shape[nd - d - 1:]):
        raise RuntimeError(f"{op}: expected input with non-zero channel and spatial sizes, but "
                           f"got input of shape {shape}")
    return (input, True) if nd == d + 2 else (input.unsqueeze(0), False)


def _window_args(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool, d: int, op: str) -> _Pool:
    """PyTorch's checks on a pooling's arguments; the windows of ``input`` (N, C, *size)."""
    kernel = _ints(kernel_size, d, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, Sequence) and not stride) else \
        _ints(stride, d, "stride", op)
    padding = _ints(padding, d, "padding", op)
    dilation = _ints(dilation, d, "dilation", op)
    for vals, name in ((kernel, "kernel_size"), (stride, "stride"), (dilation, "dilation")):
        if any(v <= 0 for v in vals):
            raise RuntimeError(f"{op}: {name} must be greater than zero, but got {vals}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise RuntimeError(f"{op}: padding should be at least 0 and at most half of kernel "
                           f"size, but got padding={padding} and kernel_size={kernel}")
    size = tuple(input._data.shape[2:])
    out = tuple(_pool_size(n, k, s, p, dd, ceil_mode) for n, k, s, p, dd in
                zip(size, kernel, stride, padding, dilation, strict=True))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: given input of shape {tuple(input.shape)}, kernel_size="
                           f"{kernel}, stride={stride}, padding={padding}, dilation={dilation}, "
                           f"the computed output size {out} is too small (invalid)")
    return _Pool(size, kernel, stride, padding, dilation, out)


# ----- max: select, scatter, gather --------------------------------------------------------------
def _window_max(slices: list[Any], table: Any, positions: bool) -> tuple[Any, Any]:
    """Each window's maximum and (if ``positions``) its flat input position. slices: per kernel
    offset j, the array (N, C, *out) of what window i reads there; table: (*out, K) the
    positions they read (-1: padding). Elementwise over the windows, a few passes per offset:
    numpy's argmax over a short last axis, or a masked copy per offset, is ~10x slower.
    Ties: the first in window order; a NaN wins, the last NaN of the window (as PyTorch); a
    window whose maximum is the padding's lowest value takes its first in-bounds position (as
    PyTorch)."""
    m = slices[0].copy()
    for v in slices[1:]:
        xp.maximum(m, v, out=m)
    if not positions:
        return m, None
    k = len(slices)
    itype = xp.int8 if k < 128 else xp.int64
    first = xp.zeros(m.shape, itype)  # the first offset holding the maximum
    seen = slices[0] == m
    for j in range(1, k):
        eq = slices[j] == m
        first += xp.greater(eq, seen).astype(itype) * itype(j)  # eq and not seen
        seen |= eq
    if m.dtype.kind == "f" and xp.isnan(m).any():  # NaN == NaN is false: the NaN windows
        for j, v in enumerate(slices):
            first = xp.where(xp.isnan(v), itype(j), first)
    window = xp.arange(table.size // k).reshape(table.shape[:-1]) * k
    pos = table.reshape(-1).take(window + first)
    if (pos < 0).any():  # the padding was picked: the window holds nothing above its value
        inside = xp.take_along_axis(table, (table >= 0).argmax(axis=-1)[..., None], -1)
        pos = xp.where(pos < 0, inside[..., 0], pos)
    return m, pos


def _planes(a: Any) -> Any:
    """(N, C, *spatial) as (N, C, prod(spatial))."""
    return a.reshape(*a.shape[:2], math.prod(a.shape[2:]))


class _PlaneScatter(Function):
    """x (N, C, *size) = 0, then x[b, c, flat position p[b, c, i]] += g[b, c, i]: positions read
    more than once add up (``unique``: none is, so a plain assignment does). Its adjoint gathers
    at the positions (_PlaneGather)."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, positions: Any, size: tuple[int, ...],
                unique: bool) -> Any:
        ctx.positions, ctx.unique = positions, unique
        return _PlaneScatter.compute(g._data, positions, size, unique)

    @staticmethod
    def compute(ga: Any, positions: Any, size: tuple[int, ...], unique: bool) -> Any:
        n, c = ga.shape[:2]
        plane = math.prod(size)
        # one global position per element
        at = (_planes(positions) + (xp.arange(n * c) * plane).reshape(n, c, 1)).ravel()
        if unique:
            out = xp.zeros(n * c * plane, ga.dtype)
            out[at] = _planes(ga).ravel()
        else:  # bincount sums repeats in one pass (in float64)
            out = xp.bincount(at, weights=_planes(ga).ravel(), minlength=n * c * plane)
            out = out.astype(ga.dtype, copy=False)
        return out.reshape(n, c, *size)

    @staticmethod
    def backward(ctx: Node, h: Tensor) -> tuple[Tensor, None, None, None]:
        return primitive(_PlaneGather, h, ctx.positions, ctx.unique, None), None, None, None


class _PlaneGather(Function):
    """y[b, c, i] = x[b, c, flat position p[b, c, i]] (``values``: these, if the caller has
    them); its adjoint scatters back."""

    @staticmethod
    def compute(x: Any, positions: Any, unique: bool, values: Any) -> Any:
        if values is not None:
            return values
        return xp.take_along_axis(_planes(x), _planes(positions), axis=-1).reshape(
            positions.shape)

    @staticmethod
    def forward(ctx: Node, x: Tensor, positions: Any, unique: bool, values: Any) -> Any:
        ctx.positions, ctx.size, ctx.unique = positions, x._data.shape[2:], unique
        return _PlaneGather.compute(x._data, positions, unique, values)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        return primitive(_PlaneScatter, g, ctx.positions, ctx.size, ctx.unique), None, None, None


def _lowest(dtype: Any) -> Any:
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _tracked(x: Tensor, return_indices: bool) -> bool:
    """Whether a max pooling needs the maxima's positions: for the indices or a gradient."""
    return return_indices or (x.requires_grad and is_grad_enabled())


def _max_result(x: Tensor, values: Any, positions: Any, unique: bool, batched: bool,
                return_indices: bool) -> Any:
    """The maxima (x at their positions: differentiable) and, if asked, the indices."""
    if positions is None:  # no gradient will be taken, no indices asked for
        out = Tensor._make(values, False, None)
        return out if batched else out.squeeze(0)
    out = _PlaneGather.apply(x, positions, unique, values)
    if not batched:
        out, positions = out.squeeze(0), positions[0]
    if return_indices:
        return out, Tensor._make(positions, False, None)
    return out


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, d: int, op: str) -> Any:
    x, batched = _batched(input, d, op)
    if x._data.dtype.kind not in "fiu" or (d == 1 and x._data.dtype.kind != "f"):
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype}")
    pool = _window_args(x, kernel_size, stride, padding, dilation, ceil_mode, d, op)
    xa = x._data
    view = pool.view(pool.buffer(xa, _lowest(xa.dtype)))
    values, positions = _window_max([view[(..., *j)] for j in xp.ndindex(*pool.kernel)],
                                    pool.positions(), _tracked(x, return_indices))
    # windows that share no input position: each position is picked at most once
    unique = all(s >= dd * (k - 1) + 1 for s, dd, k in zip(pool.stride, pool.dilation,
                                                           pool.kernel, strict=True))
    return _max_result(x, values, positions, unique, batched, return_indices)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum over each window x[..., i*s - p + j*d], j < kernel_size (stride defaults to
    kernel_size; padding counts as -inf); (values, indices) with return_indices."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1,
                     "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """max_pool1d over two spatial dims; indices are flat positions h*W + w in each plane."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     "max_pool2d")


# ----- average: a window sum and its adjoint -----------------------------------------------------
class _AvgPool(Function):
    """y[i] = sum_j xpad[i*s + j] / divisor[i]; its adjoint is _AvgPoolT."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, pool: _Pool, divisor: Any) -> Any:
        ctx.pool, ctx.divisor = pool, divisor
        return _AvgPool.compute(x._data, pool, divisor)

    @staticmethod
    def compute(xa: Any, pool: _Pool, divisor: Any) -> Any:
        view = pool.view(pool.buffer(xa, 0))
        total = None
        for j in xp.ndindex(*pool.kernel):  # one add per kernel offset (a short-axis sum is slow)
            total = view[(..., *j)].copy() if total is None else xp.add(total, view[(..., *j)],
                                                                        out=total)
        if xa.dtype.kind != "f":  # integers: PyTorch truncates the quotient toward zero
            return (xp.abs(total) // divisor) * xp.sign(total)
        return total / divisor

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        return primitive(_AvgPoolT, g, ctx.pool, ctx.divisor), None, None


class _AvgPoolT(Function):
    """x = 0, then x[i*s + j - p] += g[i] / divisor[i] for every window i and offset j (one add
    per kernel offset); its adjoint is _AvgPool."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, pool: _Pool, divisor: Any) -> Any:
        ctx.pool, ctx.divisor = pool, divisor
        return _AvgPoolT.compute(g._data, pool, divisor)

    @staticmethod
    def compute(ga: Any, pool: _Pool, divisor: Any) -> Any:
        gs = ga / divisor
        buf = xp.zeros((*ga.shape[:-len(pool.size)], *pool.padded), ga.dtype)
        for offset in xp.ndindex(*pool.kernel):
            at = tuple(slice(j * dd, j * dd + s * (o - 1) + 1, s) for j, dd, s, o in
                       zip(offset, pool.dilation, pool.stride, pool.out, strict=True))
            buf[(..., *at)] += gs
        if pool.padded == pool.size:
            return buf
        crop = tuple(slice(p, p + n) for p, n in zip(pool.pad, pool.size, strict=True))
        return xp.ascontiguousarray(buf[(..., *crop)])

    @staticmethod
    def backward(ctx: Node, h: Tensor) -> tuple[Tensor, None, None]:
        return primitive(_AvgPool, h, ctx.pool, ctx.divisor), None, None


def _avg_divisor(pool: _Pool, count_include_pad: bool, divisor_override: Any,
                 dtype: Any) -> Any:
    """The divisor of each output position (*out), in the input's dtype: PyTorch's is the
    window's size clipped to the padded input (count_include_pad) or to the input itself, or
    divisor_override."""
    if divisor_override is not None:
        return xp.asarray(divisor_override, dtype)
    counts = xp.ones((), xp.int64)
    d = len(pool.size)
    for i, (n, k, s, p, o) in enumerate(zip(pool.size, pool.kernel, pool.stride, pool.pad,
                                            pool.out, strict=True)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        shape = [1] * d
        shape[i] = o
        counts = counts * (end - start).reshape(shape)
    return counts.astype(dtype)


def _avg_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: Any, d: int, op: str) -> Tensor:
    x, batched = _batched(input, d, op)
    if x._data.dtype.kind not in "fiu":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    pool = _window_args(x, kernel_size, stride, padding, 1, ceil_mode, d, op)
    divisor = _avg_divisor(pool, count_include_pad, divisor_override, x._data.dtype)
    out = _AvgPool.apply(x, pool, divisor)
    return out if batched else out.squeeze(0)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean over each window x[..., i*s - p + j], j < kernel_size (stride defaults to
    kernel_size): the window's sum over its size counting the zero padding
    (count_include_pad) or over its in-bounds elements."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                     "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """avg_pool1d over two spatial dims; divisor_override replaces every window's divisor."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


# ----- adaptive -----------------------------------------------------------------------------
def _adaptive_size(output_size: Any, size: tuple[int, ...], d: int, op: str) -> tuple[int, ...]:
    """output_size as d ints (None keeps the input's size there)."""
    vals = output_size if isinstance(output_size, Sequence) else (output_size,)
    vals = tuple(vals) * (d if len(vals) == 1 else 1)
    if len(vals) != d:
        raise RuntimeError(f"{op}: output_size must be an int or a tuple of {d} ints, got "
                           f"{output_size!r}")
    out = tuple(n if v is None else v for v, n in zip(vals, size, strict=True))
    if any(isinstance(v, bool) or not isinstance(v, int | xp.integer) for v in out):
        raise TypeError(f"{op}: output_size must hold ints, got {output_size!r}")
    if any(v < 0 for v in out):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0, "
                           f"got {output_size!r}")
    return tuple(int(v) for v in out)


def _bins(n: int, o: int) -> tuple[Any, Any]:
    """PyTorch's adaptive windows of n inputs into o outputs: [floor(i n/o), ceil((i+1) n/o))."""
    i = xp.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _averaging(n: int, o: int, dtype: Any) -> Any:
    """The (n, o) matrix whose column i averages window i of the adaptive pooling."""
    start, end = _bins(n, o)
    j = xp.arange(n)[:, None]
    inside = (j >= start) & (j < end)
    return (inside / (end - start)).astype(dtype)


def _adaptive_avg_pool(input: Tensor, output_size: Any, d: int, op: str) -> Tensor:
    x, batched = _batched(input, d, op)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype}")
    size = tuple(x._data.shape[2:])
    out = _adaptive_size(output_size, size, d, op)
    dtype = x._data.dtype
    y = x
    # pool one dim at a time: y @ A (last dim), then A^T @ y (the one before), as matmuls
    if d == 1:
        y = y @ Tensor._make(_averaging(size[0], out[0], dtype), False, None)
    else:
        a_h = Tensor._make(xp.ascontiguousarray(_averaging(size[0], out[0], dtype).T), False,
                           None)
        a_w = Tensor._make(_averaging(size[1], out[1], dtype), False, None)
        (h, w), (oh, ow) = size, out
        # the cheaper order of the two products (multiply-adds per plane)
        y = a_h @ (y @ a_w) if h * w * ow + oh * h * ow <= oh * h * w + oh * w * ow else \
            (a_h @ y) @ a_w
    return y if batched else y.squeeze(0)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """The mean over output_size windows [floor(i L/o), ceil((i+1) L/o)) of the last dim."""
    return _adaptive_avg_pool(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """adaptive_avg_pool1d over the last two dims (output_size an int, a pair, None keeps)."""
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


def _adaptive_max_pool(input: Tensor, output_size: Any, return_indices: bool, d: int,
                       op: str) -> Any:
    x, batched = _batched(input, d, op)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype}")
    size = tuple(x._data.shape[2:])
    out = _adaptive_size(output_size, size, d, op)
    xa = x._data
    if 0 in out:
        empty = xp.zeros((*xa.shape[:2], *out), xp.int64)
        return _max_result(x, None, empty, True, batched, return_indices)
    # each dim's windows as index arrays (o, kmax), short windows repeating their last index
    # (a repeat never wins over its first occurrence); windows then gathered by indexing
    index, flat = [], xp.zeros((), xp.int64)
    for i, (n, o) in enumerate(zip(size, out, strict=True)):
        start, end = _bins(n, o)
        idx = xp.minimum(start[:, None] + xp.arange(int((end - start).max()))[None, :],
                         end[:, None] - 1)
        shape = [1] * (2 * d)
        shape[i], shape[d + i] = idx.shape
        index.append(idx.reshape(shape))
        flat = flat * n + idx.reshape(shape)
    win = xa[(slice(None), slice(None), *index)]  # (N, C, *out, *kmax): a copy
    where = xp.broadcast_to(flat, win.shape[2:]).reshape(*out, -1)
    win = win.reshape(*win.shape[:2 + d], where.shape[-1])
    values, positions = _window_max([win[..., j] for j in range(where.shape[-1])], where,
                                    _tracked(x, return_indices))
    unique = all(n % o == 0 for n, o in zip(size, out, strict=True))  # windows do not overlap
    return _max_result(x, values, positions, unique, batched, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum over output_size adaptive windows of the last dim (as adaptive_avg_pool1d's);
    (values, indices) with return_indices."""
    return _adaptive_max_pool(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """adaptive_max_pool1d over the last two dims; indices flat positions h*W + w."""
    return _adaptive_max_pool(input, output_size, return_indices, 2, "adaptive_max_pool2d")
