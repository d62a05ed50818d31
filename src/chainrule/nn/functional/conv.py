"""Convolutions (torch.nn.functional): conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold.

Every convolution here is one of three bilinear maps of an input x (N, C, *n) and a weight w
(O, C/groups, *k), written through the window (im2col) matrix of the zero-padded input:

    cols[(c, j), (b, i)] = xpad[b, c, i*stride + j*dilation]   (j: kernel offset, i: output)
    conv               y = w @ cols                                        (N, O, *o)
    conv input grad    the adjoint in x:  col2im(w^T @ g)   = conv_transpose(g, w)
    conv weight grad   the adjoint in w:  g @ cols^T

cols is a strided window view of the padded input copied once into the layout the product
reads; each map is then ONE matrix product (batched over the batch and the groups), with no
Python loop over positions or batch. The input gradient is, for stride 1, the "full"
correlation of g with the flipped weight (the same window view and product); otherwise col2im,
which adds each kernel offset's slab into place: a loop over the prod(k) kernel offsets, each a
vectorised add over every batch element, channel and output position.

The three maps are primitive Functions (fused for measured speed: a composition of unfold,
reshape and matmul records several nodes and copies), and each one's derivative is written with
the other two, so gradients of gradients work. A rule calls them through ``primitive``: their
``compute`` (the array function) on the bare arrays of a plain backward pass, the Function under
create_graph.

    d conv            : gx = input_grad(g, w),  gw = weight_grad(x, g)
    d input_grad(g, w): dg = conv(h, w),        dw = weight_grad(h, g)
    d weight_grad(x,g): dx = input_grad(g, h),  dg = conv(x, h)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import primitive
from chainrule.tensor.ops.movement import pad as _pad
from chainrule.tensor.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "fold", "unfold"]

_as_strided = xp.lib.stride_tricks.as_strided


class _Geometry(NamedTuple):
    """Where each window of a convolution lies, per spatial dim: x of spatial size ``size`` is
    zero-padded with ``pad`` elements before it into a buffer of size ``padded``; output
    position i reads the buffer at i*stride + j*dilation, j < kernel, for i < ``out``."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pad: tuple[int, ...]
    size: tuple[int, ...]
    padded: tuple[int, ...]
    out: tuple[int, ...]
    groups: int


# ----- arrays ----------------------------------------------------------------------------------
def _padded(x: Any, geo: _Geometry) -> Any:
    """x (N, C, *size) placed ``pad`` elements into a zero buffer (N, C, *padded) (a negative
    pad, or a buffer ending early, crops); x itself when the buffer would equal it."""
    if geo.padded == x.shape[2:] and not any(geo.pad):
        return x
    buf = xp.zeros((*x.shape[:2], *geo.padded), x.dtype)
    src, dst = [], []
    for p, n, m in zip(geo.pad, geo.size, geo.padded, strict=True):
        lo, hi = max(0, -p), min(n, m - p)
        src.append(slice(lo, max(lo, hi)))
        dst.append(slice(lo + p, max(lo, hi) + p))
    buf[(..., *dst)] = x[(..., *src)]
    return buf


def _window_view(xpad: Any, geo: _Geometry, writeable: bool = False) -> Any:
    """The view (N, C, *kernel, *out) of the padded input: [b, c, j, i] = xpad[b, c, i*s + j*d]
    (no copy)."""
    st = xpad.strides
    sp = st[2:]
    return _as_strided(
        xpad, (*xpad.shape[:2], *geo.kernel, *geo.out),
        (st[0], st[1], *(a * d for a, d in zip(sp, geo.dilation, strict=True)),
         *(a * s for a, s in zip(sp, geo.stride, strict=True))),
        writeable=writeable)


def _im2col(x: Any, geo: _Geometry) -> Any:
    """The window matrices (N, C*prod(k), prod(o)) of x (N, C, *size): the strided window view
    copied once into the layout a batched product reads (rows (channel, kernel offset), channel
    major, so a grouped product splits them without a copy)."""
    n, c = x.shape[:2]
    return _window_view(_padded(x, geo), geo).reshape(n, c * math.prod(geo.kernel),
                                                      math.prod(geo.out))


def _col2im(cols: Any, geo: _Geometry) -> Any:
    """The adjoint of _im2col: x (N, C, *size) with x[b, c, i*s + j*d - pad] += cols[b, (c, j),
    i], overlapping windows adding up. One add per kernel offset j, over every b, c and i."""
    n = cols.shape[0]
    kk = math.prod(geo.kernel)
    c = cols.shape[1] // kk
    d = cols.reshape(n, c, kk, *geo.out)
    buf = xp.zeros((n, c, *geo.padded), cols.dtype)
    for j, offset in enumerate(xp.ndindex(*geo.kernel)):
        at = tuple(slice(jj * dd, jj * dd + ss * (oo - 1) + 1, ss) for jj, dd, ss, oo in
                   zip(offset, geo.dilation, geo.stride, geo.out, strict=True))
        buf[(slice(None), slice(None), *at)] += d[:, :, j]
    if geo.padded == geo.size:
        return buf
    crop = tuple(slice(p, p + m) for p, m in zip(geo.pad, geo.size, strict=True))
    return xp.ascontiguousarray(buf[(slice(None), slice(None), *crop)])


def _grouped(a: Any, groups: int) -> Any:
    """(..., G*p, q) as (..., G, p, q): the groups' row blocks (a view)."""
    if groups == 1:
        return a
    return a.reshape(*a.shape[:-2], groups, a.shape[-2] // groups, a.shape[-1])


def _conv_array(x: Any, w: Any, b: Any, geo: _Geometry, cols: Any = None) -> Any:
    """y[b, o, i] = sum_{c, j} w[o, c, j] xpad[b, c, i*s + j*d] (+ bias[o]), per group: one
    product of the weight matrix with each batch element's window matrix."""
    n, o = x.shape[0], w.shape[0]
    if cols is None:
        cols = _im2col(x, geo)
    g = geo.groups
    y = (_grouped(w.reshape(o, -1), g) @ _grouped(cols, g)).reshape(n, o, *geo.out)
    if b is not None:
        y += b.reshape(o, *(1,) * len(geo.out))
    return y


def _input_grad_array(g: Any, w: Any, geo: _Geometry) -> Any:
    """x-shaped: the adjoint of conv in x (conv_transpose of g with w), per group.

    Stride 1 and no more output than input channels: the "full" correlation of g (padded by
    dilation*(k-1) - pad before) with w flipped in space and transposed in channels, one product
    as in the forward; its window matrix is at most twice col2im's, and it needs no scatter
    (measured 1.5-2x faster). Otherwise col2im(w^T @ g)."""
    n, o = g.shape[:2]
    groups = geo.groups
    c = w.shape[1] * groups
    if all(s == 1 for s in geo.stride) and o <= 2 * c:
        k = geo.kernel
        og = o // groups
        wf = w.reshape(groups, og, w.shape[1], *k).swapaxes(1, 2).reshape(c, og, *k)
        wf = wf[(..., *(slice(None, None, -1),) * len(k))]
        before = tuple((kk - 1) * d - p for kk, d, p in zip(k, geo.dilation, geo.pad,
                                                              strict=True))
        padded = tuple(m + (kk - 1) * d for m, kk, d in zip(geo.size, k, geo.dilation,
                                                          strict=True))
        full = _Geometry(k, geo.stride, geo.dilation, before, geo.out, padded, geo.size,
                         groups)
        return _conv_array(g, wf, None, full)
    wt = _grouped(w.reshape(o, -1), groups).swapaxes(-1, -2)
    cols = wt @ _grouped(g.reshape(n, o, math.prod(geo.out)), groups)
    return _col2im(cols.reshape(n, c * math.prod(geo.kernel), cols.shape[-1]), geo)


def _weight_grad_array(x: Any, g: Any, geo: _Geometry, cols: Any = None) -> Any:
    """w-shaped: sum over the batch of g @ cols^T, per group (computed transposed, cols @ g^T:
    measured faster for a short output)."""
    if cols is None:
        cols = _im2col(x, geo)
    n, o = g.shape[:2]
    groups = geo.groups
    gw = _grouped(cols, groups) @ _grouped(g.reshape(n, o, math.prod(geo.out)),
                                           groups).swapaxes(-1, -2)
    gw = gw.sum(axis=0).swapaxes(-1, -2)  # (G, o/G, C/G * prod(k))
    return gw.reshape(o, -1, *geo.kernel)


# ----- the three primitives ----------------------------------------------------------------
class _Conv(Function):
    """y = conv(x, w) + b (cross-correlation, PyTorch's convolution), as one product."""

    compute = staticmethod(_conv_array)

    @staticmethod
    def forward(ctx: Node, x: Tensor, w: Tensor, b: Tensor | None, geo: _Geometry) -> Any:
        cols = _im2col(x._data, geo)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geo = geo
            # gx reads w, gw reads x (and the window matrix, kept: it costs no second im2col)
            ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None,
                                  cols if needs[1] else None)
        return _conv_array(x._data, w._data, None if b is None else b._data, geo, cols)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, ...]:
        x, w, cols = ctx.saved_tensors
        needs = ctx.needs_input_grad
        geo = ctx.geo
        gx = primitive(_ConvInputGrad, g, w, geo) if needs[0] else None
        gw = primitive(_ConvWeightGrad, x, g, geo, cols) if needs[1] else None
        # the batch first, then the positions: NumPy sums (0, 2) of (N, O, L) 5x slower
        gb = g.sum(axis=0).sum(axis=tuple(range(1, g.ndim - 1))) if needs[2] else None
        return gx, gw, gb, None


class _ConvInputGrad(Function):
    """x = conv_transpose(g, w): the adjoint of conv in its input, col2im(w^T @ g)."""

    compute = staticmethod(_input_grad_array)

    @staticmethod
    def forward(ctx: Node, g: Tensor, w: Tensor, geo: _Geometry) -> Any:
        needs = ctx.needs_input_grad
        if needs:
            ctx.geo = geo
            ctx.save_for_backward(g if needs[1] else None, w if needs[0] else None)
        return _input_grad_array(g._data, w._data, geo)

    @staticmethod
    def backward(ctx: Node, h: Tensor) -> tuple[Tensor | None, ...]:
        # <h, input_grad(g, w)> = <conv(h, w), g> = <weight_grad(h, g), w>
        g, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        geo = ctx.geo
        dg = primitive(_Conv, h, w, None, geo) if needs[0] else None
        dw = primitive(_ConvWeightGrad, h, g, geo, None) if needs[1] else None
        return dg, dw, None


class _ConvWeightGrad(Function):
    """w = weight_grad(x, g): the adjoint of conv in its weight, g @ cols(x)^T. ``cols``: the
    window matrix of x if the caller has it (conv's forward made it), else None."""

    compute = staticmethod(_weight_grad_array)

    @staticmethod
    def forward(ctx: Node, x: Tensor, g: Tensor, geo: _Geometry, cols: Any) -> Any:
        needs = ctx.needs_input_grad
        if needs:
            ctx.geo = geo
            ctx.save_for_backward(x if needs[1] else None, g if needs[0] else None)
        return _weight_grad_array(x._data, g._data, geo, cols)

    @staticmethod
    def backward(ctx: Node, h: Tensor) -> tuple[Tensor | None, ...]:
        # <h, weight_grad(x, g)> = <conv(x, h), g> = <input_grad(g, h), x>
        x, g = ctx.saved_tensors
        needs = ctx.needs_input_grad
        geo = ctx.geo
        dx = primitive(_ConvInputGrad, g, h, geo) if needs[0] else None
        dg = primitive(_Conv, x, h, None, geo) if needs[1] else None
        return dx, dg, None, None


# ----- arguments -------------------------------------------------------------------------------
def _ints(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of 1 or n ints, as n ints (PyTorch's expansion of conv arguments)."""
    if isinstance(value, bool) or not isinstance(value, int | Sequence | xp.integer):
        raise TypeError(f"{op}: argument '{name}' must be an int or a tuple of ints, not "
                        f"{type(value).__name__}")
    vals = (value,) if not isinstance(value, Sequence) else tuple(value)
    if any(isinstance(v, bool) or not isinstance(v, int | xp.integer) for v in vals):
        raise TypeError(f"{op}: argument '{name}' must be an int or a tuple of ints, got "
                        f"{value!r}")
    if len(vals) == 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{n} values to match the convolution dimensions, but got "
                           f"{name}={list(vals)}")
    return tuple(int(v) for v in vals)


def _tensor(x: Any, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x._data.shape)


_DIMS = {1: "L", 2: "H, W", 3: "D, H, W"}


def _batched(input: Tensor, d: int, op: str) -> tuple[Tensor, bool]:
    """input with a batch dim (unbatched (C, *n) input gains one), and whether it had one."""
    nd = input._data.ndim
    if nd == d + 2:
        return input, True
    if nd == d + 1:
        return input.unsqueeze(0), False
    raise RuntimeError(f"{op}: expected {d + 1}D (unbatched) or {d + 2}D (batched) input, but "
                       f"got input of shape {_shape(input)}")


def _check_operands(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, d: int,
                    transposed: bool, op: str, given: tuple[int, ...]) -> int:
    """PyTorch's checks on the weight, groups, channels, bias and dtypes of a batched input
    (``given``: the caller's shape); returns the output channel count."""
    ws = _shape(weight)
    if weight._data.ndim != d + 2:
        raise RuntimeError(f"{op}: expected a {d + 2}D weight (out_channels, in_channels/groups,"
                           f" *kernel_size), got weight of shape {ws}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if ws[0] % groups:
        raise RuntimeError(f"{op}: given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of shape {ws}")
    need = ws[0] if transposed else ws[1] * groups
    if input._data.shape[1] != need:
        raise RuntimeError(f"{op}: expected input of shape (N, {need}, {_DIMS[d]}) or unbatched "
                           f"({need}, {_DIMS[d]}), with {need} channels for weight of shape {ws} "
                           f"and groups={groups}, but got input of shape {given}")
    out_channels = ws[1] * groups if transposed else ws[0]
    if bias is not None and _shape(bias) != (out_channels,):
        raise RuntimeError(f"{op}: expected bias of shape ({out_channels},) for weight of shape "
                           f"{ws}, but got bias of shape {_shape(bias)}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}: input ({input.dtype}) and {name} ({t.dtype}) must have "
                               f"the same dtype")
    if input._data.dtype.kind not in "fiu":
        raise NotImplementedError(f"{op}: not implemented for dtype {input.dtype}")
    return out_channels


def _positive(values: tuple[int, ...], name: str, op: str) -> None:
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: non-positive {name} is not supported, got {name}={values}")


def _windows(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...], before: tuple[int, ...], after: tuple[int, ...],
             groups: int, op: str) -> _Geometry:
    """The geometry of a convolution of an input of spatial ``size`` padded ``before`` and
    ``after``: out = (padded - dilation*(kernel-1) - 1) // stride + 1 per dim."""
    padded = tuple(n + a + b for n, a, b in zip(size, before, after, strict=True))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if any(p < s for p, s in zip(padded, span, strict=True)):
        raise RuntimeError(f"{op}: padded input size per channel {padded} is smaller than the "
                           f"(dilated) kernel size {span}: kernel size can't be greater than "
                           f"actual input size (input spatial size {size}, kernel {kernel}, "
                           f"dilation {dilation}, padding {before}, {after})")
    out = tuple((p - s) // st + 1 for p, s, st in zip(padded, span, stride, strict=True))
    return _Geometry(kernel, stride, dilation, before, size, padded, out, groups)


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, d: int, op: str, padding_mode: str = "zeros") -> Tensor:
    """conv{d}d; ``op`` names the caller in errors (the function or the module). A module's
    padding_mode other than 'zeros' pads with F.pad first (as PyTorch's)."""
    input = _tensor(input, "input", op)
    weight = _tensor(weight, "weight", op)
    if bias is not None:
        bias = _tensor(bias, "bias", op)
    x, batched = _batched(input, d, op)
    _check_operands(x, weight, bias, groups, d, False, op, _shape(input))
    stride = _ints(stride, d, "stride", op)
    dilation = _ints(dilation, d, "dilation", op)
    _positive(stride, "stride", op)
    _positive(dilation, "dilation", op)
    kernel = _shape(weight)[2:]
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * d
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                                   f"convolutions (stride={stride})")
            # total dilation*(k-1); the odd element goes after, as PyTorch's
            total = tuple(dd * (k - 1) for k, dd in zip(kernel, dilation, strict=True))
            before = tuple(t // 2 for t in total)
            after = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"{op}: invalid padding string {padding!r}; expected 'same' or "
                               f"'valid'")
    else:
        before = after = _ints(padding, d, "padding", op)
        if any(p < 0 for p in before):
            raise RuntimeError(f"{op}: negative padding is not supported, got "
                               f"padding={before}")
    if padding_mode != "zeros":
        pads = [p for b, a in zip(reversed(before), reversed(after), strict=True) for p in (b, a)]
        x = _pad(x, pads, mode=padding_mode)
        before = after = (0,) * d
    geo = _windows(_shape(x)[2:], kernel, stride, dilation, before, after, groups, op)
    out = _Conv.apply(x, weight, bias, geo)
    return out if batched else out.squeeze(0)


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any, d: int,
                    op: str) -> Tensor:
    """conv_transpose{d}d: the adjoint of conv{d}d in its input (the weight is the conv's,
    (in_channels, out_channels/groups, *k)); ``op`` names the caller in errors."""
    input = _tensor(input, "input", op)
    weight = _tensor(weight, "weight", op)
    if bias is not None:
        bias = _tensor(bias, "bias", op)
    if isinstance(padding, str):
        raise TypeError(f"{op}: argument 'padding' must be a tuple of ints, not str")
    g, batched = _batched(input, d, op)
    _check_operands(g, weight, bias, groups, d, True, op, _shape(input))
    stride = _ints(stride, d, "stride", op)
    padding = _ints(padding, d, "padding", op)
    output_padding = _ints(output_padding, d, "output_padding", op)
    dilation = _ints(dilation, d, "dilation", op)
    _positive(stride, "stride", op)
    _positive(dilation, "dilation", op)
    if any(p < 0 for p in padding + output_padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}, "
                           f"output_padding={output_padding}")
    if any(p >= max(s, dd) for p, s, dd in zip(output_padding, stride, dilation, strict=True)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={output_padding}, "
                           f"stride={stride}, dilation={dilation}")
    kernel = _shape(weight)[2:]
    o = _shape(g)[2:]
    # the conv this is the adjoint of maps the result (size n) back to g (size o)
    size = tuple((oo - 1) * s - 2 * p + dd * (k - 1) + op_ + 1 for oo, s, p, dd, k, op_ in
                 zip(o, stride, padding, dilation, kernel, output_padding, strict=True))
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: given input of shape {_shape(input)}, the calculated output "
                           f"size per channel {size} is too small")
    padded = tuple(n + 2 * p for n, p in zip(size, padding, strict=True))
    geo = _Geometry(kernel, stride, dilation, padding, size, padded, o, groups)
    out = _ConvInputGrad.apply(g, weight, geo)
    if bias is not None:
        out = out + bias.reshape(-1, *(1,) * d)
    return out if batched else out.squeeze(0)


# ----- public functions ----------------------------------------------------------------------
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: y[b, o, i] = bias[o] + sum_{c, j} w[o, c, j] x[b, c, i*s + j*d - p]
    over the channels c of o's group; input (N, C, L) or (C, L), weight (O, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (as conv1d, over two spatial dims); input (N, C, H, W) or
    (C, H, W), weight (O, C/groups, kh, kw); padding an int, a pair, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation (as conv1d, over three spatial dims)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """The adjoint of conv1d in its input ("deconvolution"): every input element adds w times
    itself into its window, x[b, c, i*s + j*d - p] += w[o, c, j] g[b, o, i]; weight
    (in_channels, out_channels/groups, k); output length (L-1)s - 2p + d(k-1) + output_padding
    + 1."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d in its input (as conv_transpose1d, over two spatial dims)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """The adjoint of conv3d in its input (as conv_transpose1d, over three spatial dims)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")


# ----- unfold / fold: the window matrix itself --------------------------------------------------
def _unfold_array(x: Any, geo: _Geometry) -> Any:
    """_im2col(x), never a view of x (a 1x1 kernel with stride 1 and no padding gives one, read
    only): a result of its own, as PyTorch's."""
    cols = _im2col(x, geo)
    return cols.copy() if xp.may_share_memory(cols, x) else cols


class _Unfold(Function):
    """cols (N, C*prod(k), L) of x (N, C, *n): im2col per batch element; its adjoint is fold."""

    compute = staticmethod(_unfold_array)

    @staticmethod
    def forward(ctx: Node, x: Tensor, geo: _Geometry) -> Any:
        ctx.geo = geo
        return _unfold_array(x._data, geo)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return primitive(_Fold, g, ctx.geo), None


class _Fold(Function):
    """x (N, C, *n) from windows (N, C*prod(k), L), overlapping ones adding up: col2im per
    batch element; its adjoint is unfold."""

    compute = staticmethod(_col2im)

    @staticmethod
    def forward(ctx: Node, cols: Tensor, geo: _Geometry) -> Any:
        ctx.geo = geo
        return _col2im(cols._data, geo)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return primitive(_Unfold, g, ctx.geo), None


def _block_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str
                ) -> tuple[tuple[int, ...], ...]:
    kernel, dilation, padding, stride = (_ints(v, 2, name, op) for v, name in (
        (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    _positive(kernel, "kernel_size", op)
    _positive(dilation, "dilation", op)
    _positive(stride, "stride", op)
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    args = (kernel, dilation, padding, stride)
    return args


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """The sliding blocks of a batched (N, C, H, W) or unbatched (C, H, W) input as columns:
    out[b, (c, j), i] = xpad[b, c, i*s + j*d] (N, C*kh*kw, L), L the number of blocks."""
    op = "unfold"
    input = _tensor(input, "input", op)
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride, op)
    x, batched = _batched(input, 2, op)
    size = _shape(x)[2:]
    padded = tuple(n + 2 * p for n, p in zip(size, padding, strict=True))
    out = tuple((p - d * (k - 1) - 1) // s + 1 for p, k, d, s in
                zip(padded, kernel, dilation, stride, strict=True))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: given input with spatial size {size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, the calculated shape of "
                           f"the array of sliding blocks is {out}, but its components must be "
                           f"at least one")
    geo = _Geometry(kernel, stride, dilation, padding, size, padded, out, 1)
    cols = _Unfold.apply(x, geo)
    return cols if batched else cols.squeeze(0)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """The adjoint of unfold: columns (N, C*kh*kw, L) or (C*kh*kw, L) summed back into an
    image of ``output_size``, overlapping blocks adding up."""
    op = "fold"
    input = _tensor(input, "input", op)
    size = _ints(output_size, 2, "output_size", op)
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride, op)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"{op}: expected 2D (unbatched) or 3D (batched) input, but got "
                           f"input of shape {_shape(input)}")
    cols = input if nd == 3 else input.unsqueeze(0)
    kk = math.prod(kernel)
    if cols._data.shape[1] % kk:
        raise RuntimeError(f"{op}: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size {kernel}, but got input of shape "
                           f"{_shape(input)}")
    padded = tuple(n + 2 * p for n, p in zip(size, padding, strict=True))
    out = tuple((p - d * (k - 1) - 1) // s + 1 for p, k, d, s in
                zip(padded, kernel, dilation, stride, strict=True))
    if any(o < 1 for o in out) or math.prod(out) != cols._data.shape[2]:
        raise RuntimeError(f"{op}: given output_size={size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, expected "
                           f"size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {' * '.join(map(str, out))} = {math.prod(out)}, but "
                           f"got input of shape {_shape(input)}")
    geo = _Geometry(kernel, stride, dilation, padding, size, padded, out, 1)
    x = _Fold.apply(cols, geo)
    return x if nd == 3 else x.squeeze(0)
