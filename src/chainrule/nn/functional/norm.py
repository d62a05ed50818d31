"""chainrule.nn.functional.norm: batch_norm, layer_norm, group_norm, instance_norm.

Every normalization is ``y = (x - mean) * rstd * weight + bias`` with ``rstd = 1 / sqrt(var +
eps)``, ``mean`` and the biased ``var`` taken over some axes of ``x`` (viewed in some shape):

- layer_norm: the last ``len(normalized_shape)`` axes; weight and bias of ``normalized_shape``;
- batch_norm (training): every axis but the channel axis 1; weight and bias per channel;
- group_norm: ``x`` viewed as (N, G, -1), its last axis; weight and bias per channel;
- instance_norm: the spatial axes (2, ...); weight and bias per channel.

One primitive, ``Normalize`` (a subclass per op names its node), does all four with x's own
statistics (fused for speed: layer_norm and batch_norm are on every model's hot path, and a
composition records about ten nodes). Its rule is written once, in NumPy's vocabulary (bare
arrays in a plain backward pass, Tensors under create_graph), from the saved normalized input
``xhat`` and ``rstd``: with ``h = g * weight`` and means over the normalized axes,

    dx = rstd * (h - mean(h) - xhat * mean(h * xhat)),  dweight = sum(g * xhat),  dbias = sum(g).

Under create_graph (a graph is recorded), ``xhat`` and ``rstd`` are recomputed from ``x`` with
differentiable ops, so the rule is differentiated again (second derivatives). batch_norm and
instance_norm with running statistics (eval) are compositions: an affine map of ``x``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chainrule.autograd.grad_mode import _GradMode, no_grad
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import const, data
from chainrule.tensor.tensor import Tensor

__all__: list[str] = ["batch_norm", "group_norm", "instance_norm", "layer_norm"]


# ----- the statistics -------------------------------------------------------------------------
def _reduce(x: Any, axes: tuple[int, ...], scale: float) -> Any:
    """scale * sum(x, axes) with kept dims, for an array or a Tensor alike (the forward's
    statistics, the rule's means and sums). NumPy reduces short contiguous axes slowly (37 us for
    the last axis of a (16, 64, 128) float32 array, 9 us as a matrix product), so the reductions
    the norms make are products with a constant vector: over trailing axes (layer_norm's
    statistics, group_norm's, instance_norm's), leading axes (layer_norm's weight and bias
    gradients), and every axis but 1 (batch_norm: trailing, then a sum over axis 0)."""
    shape = tuple(x.shape)
    nd = len(shape)
    k = len(axes)
    if k == 0:  # nothing to sum (a Tensor's sum over () would sum everything)
        return x * scale if scale != 1 else x
    if k < nd:
        if axes == tuple(range(nd - k, nd)):  # trailing axes
            n = math.prod(shape[nd - k:])
            s = x.reshape(-1, n) @ _fill(x, n, scale)
            return s.reshape(shape[: nd - k] + (1,) * k)
        if axes == tuple(range(k)):  # leading axes
            n = math.prod(shape[:k])
            s = _fill(x, n, scale) @ x.reshape(n, -1)
            return s.reshape((1,) * k + shape[k:])
        if nd > 2 and axes == (0, *range(2, nd)):  # every axis but the channels
            n = math.prod(shape[2:])
            s = (x.reshape(-1, n) @ _fill(x, n, scale)).reshape(shape[:2]).sum(0)
            return s.reshape((1, shape[1]) + (1,) * (nd - 2))
    s = x.sum(axis=axes, keepdims=True)
    return s * scale if scale != 1 else s


def _mean(x: Any, axes: tuple[int, ...]) -> Any:
    return _reduce(x, axes, 1 / math.prod(x.shape[d] for d in axes))


def _fill(x: Any, n: int, value: float) -> Any:
    """A vector of n values in x's dtype (an array: a constant in a product with a Tensor)."""
    return xp.full(n, value, data(x).dtype)


def _moments(xs: Any, red: tuple[int, ...]) -> tuple[Any, Any, Any, Any]:
    """mean, biased variance (both with kept dims), the centred x, and its square (a buffer the
    caller may reuse), of an array."""
    mu = _mean(xs, red)
    xc = xs - mu
    sq = xc * xc
    return mu, _mean(sq, red), xc, sq


class Normalize(Function):
    """(x - mean) * rstd * weight + bias, mean and rstd = 1/sqrt(var + eps) x's own statistics
    over the axes ``red`` of x viewed as ``gshape``; weight and bias (or None) viewed as
    ``wshape``; their gradients summed over the axes ``par`` of x. ``moments``: x's
    ``_moments``, if the caller took them already (batch_norm, for its running statistics). A
    primitive for speed (one node instead of about ten); its rule is in the module docstring."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, weight: Tensor | None, bias: Tensor | None,
                gshape: tuple[int, ...], red: tuple[int, ...], wshape: tuple[int, ...],
                par: tuple[int, ...], eps: float, moments: Any = None) -> Any:
        a = x._data
        _, var, xc, buf = moments or _moments(a.reshape(gshape), red)
        rstd = 1 / xp.sqrt(var + eps)
        xc *= rstd
        xhat = xc.reshape(a.shape)
        if ctx.needs_input_grad:  # saved tensors: freed once the rule has run
            ctx.save_for_backward(x, weight, const(xhat), const(rstd))
            ctx.gshape, ctx.red, ctx.wshape, ctx.par, ctx.eps = gshape, red, wshape, par, eps
            ctx.pshape = (weight if weight is not None else bias if bias is not None else
                          x)._data.shape
        if weight is None and bias is None:
            return xhat.copy() if ctx.needs_input_grad else xhat  # the rule keeps xhat
        y = buf.reshape(a.shape)  # the square's buffer, free now
        if weight is not None:
            xp.multiply(xhat, weight._data.reshape(wshape), out=y)
        else:
            y[...] = xhat
        if bias is not None:
            y += bias._data.reshape(wshape)
        return y

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        x, weight, xhat, rstd = ctx.saved_tensors
        shape, gshape, red, par = x.shape, ctx.gshape, ctx.red, ctx.par
        if _GradMode.enabled and x.requires_grad:  # create_graph: xhat and rstd as functions of x
            xs = x.reshape(gshape)
            xc = xs - _mean(xs, red)
            rstd = 1 / xp.sqrt(_mean(xc * xc, red) + ctx.eps)
            xhat = (xc * rstd).reshape(shape)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        # batch_norm takes its statistics over the axes its parameter gradients sum over, so the
        # rule's means are those sums / n: mean(h) = w sum(g) / n, mean(h xhat) = w sum(g xhat)
        # / n (PyTorch's batch_norm_backward), two reductions instead of four
        shared = par == red and gshape == shape
        gxh = g * xhat if need_w or (need_x and shared) else None
        sum_g = _reduce(g, par, 1) if need_b or (need_x and shared) else None
        sum_gxh = _reduce(gxh, par, 1) if gxh is not None else None
        gx = None
        if need_x and shared:
            n = math.prod(shape[d] for d in red)
            k = rstd if weight is None else rstd * weight.reshape(ctx.wshape)
            gx = (g - sum_g * (1 / n) - xhat * (sum_gxh * (1 / n))) * k
        elif need_x:
            h = g if weight is None else g * weight.reshape(ctx.wshape)
            if gshape != shape:
                h, xh = h.reshape(gshape), xhat.reshape(gshape)
            else:
                xh = xhat
            gx = (h - _mean(h, red) - xh * _mean(h * xh, red)) * rstd
            if gshape != shape:
                gx = gx.reshape(shape)
        gw = sum_gxh.reshape(ctx.pshape) if need_w else None
        gb = sum_g.reshape(ctx.pshape) if need_b else None
        return gx, gw, gb, None, None, None, None, None, None


class LayerNorm(Normalize):
    """layer_norm's node (grad_fn LayerNormBackward)."""


class BatchNorm(Normalize):
    """batch_norm's node in training (grad_fn BatchNormBackward)."""


class GroupNorm(Normalize):
    """group_norm's node (grad_fn GroupNormBackward)."""


class InstanceNorm(Normalize):
    """instance_norm's node (grad_fn InstanceNormBackward)."""


def _normalize(fn: type[Normalize], x: Tensor, weight: Tensor | None, bias: Tensor | None,
               gshape: tuple[int, ...], red: tuple[int, ...], wshape: tuple[int, ...],
               par: tuple[int, ...], eps: float, moments: Any = None) -> Tensor:
    if x._data.size == 0:  # no statistics to take: an empty result, still connected
        out = x * 0
        if weight is not None:
            out = out * weight.reshape(wshape)
        return out if bias is None else out + bias.reshape(wshape)
    return fn.apply(x, weight, bias, gshape, red, wshape, par, float(eps), moments)


# ----- argument checks ------------------------------------------------------------------------
def _tensor(x: Any, op: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def _floating(x: Tensor, op: str) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype!r} (expected a "
                                  f"floating point input)")


def _same_dtype(t: Tensor, x: Tensor, op: str, name: str) -> None:
    if t._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}: mixed dtypes: input is {x.dtype!r} but {name} is {t.dtype!r}")


def _per_channel(t: Tensor | None, c: int, x: Tensor, op: str, name: str) -> None:
    if t is None:
        return
    if tuple(_tensor(t, op, name)._data.shape) != (c,):
        raise RuntimeError(f"{op}: expected {name} of shape ({c},) (one per channel of the input "
                           f"of shape {tuple(x._data.shape)}), got shape {tuple(t.shape)}")
    _same_dtype(t, x, op, name)


def _channels_view(x: Tensor) -> tuple[int, ...]:
    """(C, 1, ..., 1): a per-channel tensor broadcast against x (N, C, ...)."""
    return (x._data.shape[1],) + (1,) * (x._data.ndim - 2)


def _affine_stats(x: Tensor, mean: Tensor, var: Tensor, weight: Tensor | None,
                  bias: Tensor | None, eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias with given per-channel statistics (a
    composition: eval mode has no statistics of x to differentiate)."""
    view = _channels_view(x)
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    y = (x - mean.reshape(view)) * scale.reshape(view)
    return y if bias is None else y + bias.reshape(view)


def _update_running(running: Tensor, batch: Any, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, in place, unrecorded."""
    with no_grad():
        running.mul_(1 - momentum).add_(const(batch.astype(running._data.dtype, copy=False)),
                                        alpha=momentum)


# ----- batch_norm -----------------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (axis 1) of ``input`` (N, C, ...) by its mean and biased variance
    over the batch and spatial axes (``training``) or by the running statistics (not training),
    then scale by ``weight`` and shift by ``bias`` (per channel).

    In training, given running statistics are updated in place (unrecorded):
    ``running = (1 - momentum) * running + momentum * batch_stat``, with the batch's UNBIASED
    variance (n / (n - 1) times the biased one used to normalize), as PyTorch."""
    op = "batch_norm"
    x = _tensor(input, op)
    _floating(x, op)
    shape = x._data.shape
    if x._data.ndim < 2:
        raise ValueError(f"{op}: expected an input of at least 2 dimensions (N, C, ...), got "
                         f"shape {tuple(shape)}")
    if momentum is None or not isinstance(momentum, int | float):
        raise TypeError(f"{op}(): argument 'momentum' must be float, not "
                        f"{type(momentum).__name__}")
    c = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _per_channel(t, c, x, op, name)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{op}: running_mean and running_var must be given in "
                               f"evaluation mode (training=False)")
        return _affine_stats(x, running_mean, running_var, weight, bias, eps)
    n = x._data.size // c if c else 0
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {tuple(shape)}")
    red = (0, *range(2, x._data.ndim))
    moments = None
    if (running_mean is not None or running_var is not None) and n > 0:
        moments = _moments(x._data, red)
        mu, var = moments[:2]
        if running_mean is not None:
            _update_running(running_mean, mu.reshape(c), momentum)
        if running_var is not None:
            _update_running(running_var, var.reshape(c) * (n / (n - 1)), momentum)
    return _normalize(BatchNorm, x, weight, bias, shape, red, _channels_view(x), red, eps,
                      moments)


# ----- layer_norm -----------------------------------------------------------------------------
def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` axes (mean and biased variance), then
    ``* weight + bias`` (each of ``normalized_shape``, elementwise)."""
    op = "layer_norm"
    x = _tensor(input, op)
    _floating(x, op)
    if isinstance(normalized_shape, int) or not isinstance(normalized_shape, Sequence):
        raise TypeError(f"{op}(): argument 'normalized_shape' must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    ns = tuple(int(n) for n in normalized_shape)
    shape = x._data.shape
    k = len(ns)
    if k == 0 or k > len(shape) or shape[len(shape) - k:] != ns:
        raise RuntimeError(f"{op}: given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if tuple(_tensor(t, op, name)._data.shape) != ns:
            raise RuntimeError(f"{op}: expected {name} of the same shape as normalized_shape "
                               f"{list(ns)}, got {name} of shape {list(t.shape)}")
        _same_dtype(t, x, op, name)
    nd = len(shape)
    red = tuple(range(nd - k, nd))
    return _normalize(LayerNorm, x, weight, bias, shape, red, ns, tuple(range(nd - k)), eps)


# ----- group_norm -----------------------------------------------------------------------------
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the C channels of ``input`` (N, C, ...) into ``num_groups`` groups and normalize each
    group of each sample over its channels and spatial axes; then ``* weight + bias`` per
    channel."""
    op = "group_norm"
    x = _tensor(input, op)
    _floating(x, op)
    shape = x._data.shape
    if x._data.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of at least 2 dimensions (N, C, ...), got "
                           f"shape {tuple(shape)}")
    c = shape[1]
    if type(num_groups) is not int or num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"{op}: expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {tuple(shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        _per_channel(t, c, x, op, name)
    nd = x._data.ndim
    gshape = (shape[0], num_groups, (c // num_groups) * math.prod(shape[2:]))
    return _normalize(GroupNorm, x, weight, bias, gshape, (2,), _channels_view(x),
                      (0, *range(2, nd)), eps)


# ----- instance_norm --------------------------------------------------------------------------
def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample of ``input`` (N, C, ...) over its spatial axes
    (``use_input_stats``; running statistics, if given, move towards the batch's average of the
    per-sample means and unbiased variances) or by the running statistics; then ``* weight +
    bias`` per channel."""
    op = "instance_norm"
    x = _tensor(input, op)
    _floating(x, op)
    shape = x._data.shape
    if x._data.ndim < 3:
        raise ValueError(f"{op}: expected an input of at least 3 dimensions (N, C, L, ...), got "
                         f"shape {tuple(shape)}")
    c = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _per_channel(t, c, x, op, name)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{op}: running_mean and running_var must be given when "
                               f"use_input_stats=False")
        return _affine_stats(x, running_mean, running_var, weight, bias, eps)
    n = math.prod(shape[2:])
    if n == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{tuple(shape)}")
    red = tuple(range(2, x._data.ndim))
    moments = None
    if (running_mean is not None or running_var is not None) and x._data.size:
        moments = _moments(x._data, red)
        mu, var = moments[:2]
        if running_mean is not None:
            _update_running(running_mean, mu.reshape(shape[:2]).mean(axis=0), momentum)
        if running_var is not None:
            _update_running(running_var, var.reshape(shape[:2]).mean(axis=0) * (n / (n - 1)),
                            momentum)
    return _normalize(InstanceNorm, x, weight, bias, shape, red, _channels_view(x), (0, *red),
                      eps, moments)
