"""chainrule.nn.functional.loss: the losses of torch.nn.functional, with PyTorch's reductions.

Each takes ``reduction='mean'|'sum'|'none'`` (and the deprecated ``size_average``/``reduce``
where PyTorch still does). Compositions of differentiable ops, except:

- ``cross_entropy`` with class indices, the hot path of every classifier: one primitive
  (``CrossEntropy``: log_softmax and the pick of the target's entry fused, stable for huge
  logits, one node instead of five);
- ``binary_cross_entropy``: a primitive for PyTorch's numerics at 0 and 1 (logs clamped at
  -100, the gradient's denominator ``x (1 - x)`` clamped at 1e-12), which a composition of
  log and clamp cannot give (its gradient would be 0 or NaN there).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule.autograd.grad_mode import _GradMode
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import const, data, primitive
from chainrule.tensor.ops.elementwise import softplus, where, xlogy
from chainrule.tensor.ops.reduce import Softmax, log_softmax
from chainrule.tensor.tensor import Tensor

__all__: list[str] = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss",
    "kl_div", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss",
]


# ----- arguments and reductions ---------------------------------------------------------------
def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """PyTorch's mapping of the deprecated size_average/reduce flags to a reduction."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def _reduction(reduction: str, size_average: bool | None = None, reduce: bool | None = None,
               allowed: tuple[str, ...] = ("none", "mean", "sum")) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x: Any, op: str, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def _floating(x: Tensor, op: str, name: str = "input") -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {name} of dtype {x.dtype!r} "
                                  f"(expected a floating point tensor)")


def _pair(input: Any, target: Any, op: str) -> tuple[Tensor, Tensor]:
    """input and target of an elementwise loss: tensors, floating, broadcastable (PyTorch warns
    when their shapes differ, as here)."""
    x, t = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    _floating(t, op, "target")
    if x._data.shape != t._data.shape:
        warnings.warn(f"Using a target size ({t.shape}) that is different to the input size "
                      f"({x.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
        try:
            xp.broadcast_shapes(x._data.shape, t._data.shape)
        except ValueError:
            raise RuntimeError(f"{op}: the input of shape {tuple(x.shape)} and the target of "
                               f"shape {tuple(t.shape)} cannot be broadcast together") from None
    return x, t


def _sample_weight(weight: Tensor | None, x: Tensor, op: str) -> Tensor | None:
    if weight is not None and _tensor(weight, op, "weight")._data.shape != x._data.shape:
        raise ValueError(f"{op}: weights and input must have the same size (weight "
                         f"{tuple(weight.shape)}, input {tuple(x.shape)})")
    return weight


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str,
              mean_by_weight: bool = True) -> Tensor:
    """loss * weight, reduced; a weighted mean divides by sum(weight) (mse, l1) or by the count
    (huber), as PyTorch."""
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _constant_weight(weight: Tensor | None, op: str, name: str = "weight") -> None:
    if weight is not None and weight.requires_grad:
        raise RuntimeError(f"{op}: the loss is not differentiable with respect to '{name}', "
                           f"which cannot require grad (as in PyTorch)")


# ----- regression losses ----------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)^2 elementwise (times ``weight``), reduced."""
    x, t = _pair(input, target, "mse_loss")
    reduction = _reduction(reduction, size_average, reduce)
    d = x - t
    return _weighted(d * d, _sample_weight(weight, x, "mse_loss"), reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target| elementwise (times ``weight``), reduced."""
    x, t = _pair(input, target, "l1_loss")
    reduction = _reduction(reduction, size_average, reduce)
    return _weighted((x - t).abs(), _sample_weight(weight, x, "l1_loss"), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); l1 for
    beta = 0."""
    x, t = _pair(input, target, "smooth_l1_loss")
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = x - t
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target), times
    ``weight``, reduced (a weighted mean divides by the count, as PyTorch)."""
    x, t = _pair(input, target, "huber_loss")
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = x - t
    ad = d.abs()
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted(loss, _sample_weight(weight, x, "huber_loss"), reduction,
                     mean_by_weight=False)


# ----- classification: class indices ---------------------------------------------------------
def _class_targets(x: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                   op: str) -> tuple[Any, Any, Any]:
    """Checks input (N, C, d1, ...) or (C,) against target (N, d1, ...) or (): the target's
    array, the mask of targets not ignored, and the classes with ignored ones set to 0."""
    if x._data.ndim < 1:
        raise ValueError(f"{op}: expected an input of 1 or more dimensions (got 0)")
    t = target._data
    if t.dtype != xp.int64 and t.dtype != xp.uint8:
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte (int64 or uint8), "
                           f"but got {target.dtype}")
    shape = x._data.shape
    if x._data.ndim == 1:
        if t.ndim != 0:
            raise RuntimeError(f"{op}: for an input of shape {tuple(shape)} (one sample), the "
                               f"target must be 0-d, got shape {tuple(t.shape)}")
    elif t.ndim == 0 or t.shape[0] != shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 1}).")
    elif t.shape[1:] != shape[2:]:
        raise RuntimeError(f"{op}: expected target size {[shape[0], *shape[2:]]}, got "
                           f"{list(t.shape)} (input of shape {tuple(shape)})")
    c = shape[0] if x._data.ndim == 1 else shape[1]
    if weight is not None and _tensor(weight, op, "weight")._data.shape != (c,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    _constant_weight(weight, op)
    keep = t != ignore_index
    cls = xp.where(keep, t, 0)
    if cls.size and (cls.min() < 0 or cls.max() >= c):
        bad = int(cls.min() if cls.min() < 0 else cls.max())
        raise IndexError(f"{op}: target {bad} is out of bounds for {c} classes")
    return t, keep, cls


def _target_weights(weight: Tensor | None, keep: Any, cls: Any, dtype: Any) -> Any:
    """w[target] for the targets not ignored, 0 for the ignored ones."""
    if weight is None:
        return keep.astype(dtype)
    return xp.where(keep, weight._data.astype(dtype, copy=False)[cls], 0)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w[t] * input[t] per sample (class axis 1; targets equal to ``ignore_index`` count 0);
    'mean' divides by the sum of w[t] over the targets not ignored (NaN if none)."""
    op = "nll_loss"
    x, target = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    reduction = _reduction(reduction, size_average, reduce)
    _, keep, cls = _class_targets(x, target, weight, ignore_index, op)
    w = _target_weights(weight, keep, cls, x._data.dtype)
    if x._data.ndim == 1:
        picked = x.gather(0, const(cls.reshape(1))).reshape(())
    else:
        picked = x.gather(1, const(cls[:, None])).squeeze(1)
    if reduction == "none":
        return picked * const(-w)
    if reduction == "sum":
        return (picked * const(-w)).sum()
    total = w.sum()
    if total == 0:  # every target ignored (or weighted 0): NaN, with zero gradient (PyTorch)
        return (picked * const(xp.zeros_like(w))).sum() + math.nan
    return (picked * const(w / -total)).sum()


class CrossEntropy(Function):
    """Cross-entropy of logits x (N, C, d1, ...) with class indices t, class axis 1, label
    smoothing ls, class weights w (W = sum w, C without weights), per sample

        loss = -(1 - ls) w_t log p_t - (ls / C) sum_c w_c log p_c,   p = softmax(x),

    0 for ignored targets; 'mean' divides the sum by the sum of w_t over the targets not
    ignored. Fused for speed and stability (log p = x - log sum exp(x), see _exp_shifted).
    Rule, for an upstream gradient s per sample (p's rows sum to 1):

        dx = s * (A p - B onehot(t) - D w),  A = (1 - ls) w_t + ls W / C,  B = (1 - ls) w_t,
        D = ls / C  (all 0 for ignored targets; divided by the weight sum for 'mean')."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, cls: Any, keep: Any, weight: Any, reduction: str,
                ls: float) -> Any:
        a = x._data
        c = a.shape[1]
        e, total, lse = _exp_shifted(a)
        idx = cls[:, None]
        logp_t = (xp.take_along_axis(a, idx, axis=1) - lse)[:, 0]  # inf - inf: NaN, as PyTorch
        wt = keep.astype(a.dtype) if weight is None else xp.where(keep, weight[cls], 0)
        coef_b = (1 - ls) * wt  # B
        loss = -coef_b * logp_t
        coef_a = coef_b
        if ls:
            big_w = c if weight is None else weight.sum()
            # sum_c w_c log p_c = sum_c w_c x_c - W lse
            smooth = (_class_sum(a, weight) - big_w * lse)[:, 0]
            coef_d = (ls / c) * keep
            loss = loss - coef_d * smooth
            coef_a = coef_b + coef_d * big_w
        if reduction == "mean":
            denom = wt.sum()
            out = loss.sum() / denom if denom else xp.asarray(xp.nan, a.dtype)
            scale = 1 / denom if denom else 0.0  # all ignored: zero gradient, as PyTorch
        else:
            out = loss.sum() if reduction == "sum" else loss
            scale = 1.0
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, const(e), const(total))  # p = e / total
            ctx.idx, ctx.ls = idx, ls
            ctx.a, ctx.b = (coef_a * scale)[:, None], (coef_b * scale)[:, None]
            if ls:
                wv = xp.ones(c, a.dtype) if weight is None else weight
                ctx.d = (coef_d * scale)[:, None]
                ctx.w = wv.reshape((1, c) + (1,) * (a.ndim - 2))
        return xp.asarray(out, a.dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        x, num, total = ctx.saved_tensors
        # p = num / den: softmax(x) itself under create_graph; else the forward's e / total,
        # the division folded into the per-sample coefficients (a pass fewer)
        if _GradMode.enabled and x.requires_grad:
            num, den = primitive(Softmax, x, (1,)), 1.0
        else:
            den = data(total)
        scaled = xp.zeros_like(data(x))  # den * onehot(t): a constant, as the coefficients
        xp.put_along_axis(scaled, ctx.idx, den, axis=1)
        s = g[:, None] if g.ndim else g  # per sample, beside the class axis
        if not ctx.ls:  # A = B, D = 0
            return (num - scaled) * (s * (ctx.a / den)), None, None, None, None, None
        gx = num * (s * (ctx.a / den)) - scaled * (s * (ctx.b / den)) - ctx.w * (s * ctx.d)
        return gx, None, None, None, None, None


def _exp_shifted(a: Any) -> tuple[Any, Any, Any]:
    """exp(a - s), its sum over the class axis 1 and log sum exp(a) (all with the class axis
    kept), s a shift per sample. log-sum-exp is shift-invariant, so any s works for which
    exp(max - s) does not overflow: the mean over the classes (a matrix product; NumPy's max
    along a short axis costs 14x as much), and the max only where that overflowed (a spread
    max - mean over ~88 in float32, ~709 in float64) or the logits hold inf or NaN."""
    # (CrossEntropy's forward calls it: apply runs it with NumPy's warnings off, so overflow,
    # inf - inf and log 0 come silently, as in PyTorch)
    s = _class_sum(a, None) * (1 / a.shape[1])
    e = xp.exp(a - s)
    total = _class_sum(e, None)
    if not xp.isfinite(total).all():
        s = a.max(axis=1, keepdims=True)
        s[~xp.isfinite(s)] = 0  # rows with inf or NaN: NaN as PyTorch
        e = xp.exp(a - s)
        total = _class_sum(e, None)
    return e, total, xp.log(total) + s


def _class_sum(a: Any, weight: Any) -> Any:
    """sum over the class axis 1 (weighted by ``weight``), kept: a matrix product for a 2-D
    array (NumPy's sum along a short last axis is slow)."""
    c = a.shape[1]
    v = xp.ones(c, a.dtype) if weight is None else weight
    if a.ndim == 2:
        return (a @ v)[:, None]
    return (a * v.reshape((1, c) + (1,) * (a.ndim - 2))).sum(axis=1, keepdims=True)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """-log softmax(input)[target] per sample, class axis 1 (input (N, C, d1, ...) or (C,)).

    ``target``: class indices (int64, shape (N, d1, ...) or ()), or class probabilities (float,
    input's shape). ``weight`` per class; ``ignore_index`` (indices only) counts 0 and is left
    out of the mean; ``label_smoothing`` mixes the target with the uniform distribution. A
    weighted 'mean' with indices divides by the sum of the target weights, as PyTorch."""
    op = "cross_entropy"
    x, target = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    reduction = _reduction(reduction, size_average, reduce)
    ls = float(label_smoothing)
    if not 0.0 <= ls <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")
    if x._data.ndim >= 1 and target._data.shape == x._data.shape:
        return _cross_entropy_probs(x, target, weight, ignore_index, reduction, ls)
    _, keep, cls = _class_targets(x, target, weight, ignore_index, op)
    w = None if weight is None else weight._data.astype(x._data.dtype, copy=False)
    if x._data.ndim == 1:  # one sample (C,) with a 0-d target
        out = CrossEntropy.apply(x.unsqueeze(0), cls.reshape(1), keep.reshape(1), w,
                                  reduction, ls)
        return out.reshape(()) if reduction == "none" else out
    return CrossEntropy.apply(x, cls, keep, w, reduction, ls)


def _cross_entropy_probs(x: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                         reduction: str, ls: float) -> Tensor:
    """-sum_c w_c t_c log softmax(x)_c per sample (a composition); 'mean' divides by N."""
    op = "cross_entropy"
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected floating point type for target with class "
                           f"probabilities, got {target.dtype}")
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    dim = 0 if x._data.ndim == 1 else 1
    c = x._data.shape[dim]
    if weight is not None and _tensor(weight, op, "weight")._data.shape != (c,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    t = target * (1 - ls) + ls / c if ls else target
    terms = log_softmax(x, dim) * t
    if weight is not None:
        terms = terms * weight.reshape((c,) + (1,) * (x._data.ndim - dim - 1))
    loss = -terms.sum(dim)
    if reduction == "mean":
        n = x._data.size // c if c else 0
        return loss.sum() / n if n else loss.sum() * math.nan
    return _reduce(loss, reduction)


# ----- binary classification ------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """-w (t log x + (1 - t) log(1 - x)) with each log clamped at -100 (PyTorch's numerics at 0
    and 1; a primitive because a composition's gradient there would be 0 or NaN). Rule, as
    PyTorch's: dx = g w (x - t) / max(x (1 - x), 1e-12), dt = -g w logit(x) (unclamped)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, t: Tensor, weight: Any) -> Any:
        a, b = x._data, t._data
        lx = xp.maximum(xp.log(a), -100)  # log 0 = -inf (silently: apply's forward), clamped
        l1x = xp.maximum(xp.log1p(-a), -100)
        loss = (b - 1) * l1x - b * lx
        if weight is not None:
            loss = loss * weight
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, t, None if weight is None else const(weight))
        return loss

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        x, t, weight = ctx.saved_tensors
        if weight is not None:
            g = g * weight
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - t) / xp.clip(x * (1 - x), 1e-12, None)
        if ctx.needs_input_grad[1]:
            gt = g * (xp.log1p(-x) - xp.log(x))  # -logit(x)
        return gx, gt, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 (x probabilities
    in [0, 1], target of x's shape, weight broadcast to it), reduced."""
    op = "binary_cross_entropy"
    x, t = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    _floating(t, op, "target")
    reduction = _reduction(reduction, size_average, reduce)
    if t._data.shape != x._data.shape:
        raise ValueError(f"Using a target size ({t.shape}) that is different to the input size "
                         f"({x.shape}) is deprecated. Please ensure they have the same size.")
    a = x._data
    if not ((a >= 0) & (a <= 1)).all():
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        _constant_weight(_tensor(weight, op, "weight"), op)
        try:
            w = xp.broadcast_to(weight._data.astype(a.dtype, copy=False), a.shape)
        except ValueError:
            raise RuntimeError(f"{op}: weight of shape {tuple(weight.shape)} does not broadcast "
                               f"to the input's shape {tuple(x.shape)}") from None
    return _reduce(BinaryCrossEntropy.apply(x, t, w), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits:
    (1 - t) x + (1 + (pos_weight - 1) t) log(1 + e^-x), times weight, reduced."""
    op = "binary_cross_entropy_with_logits"
    x, t = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    _floating(t, op, "target")
    reduction = _reduction(reduction, size_average, reduce)
    if t._data.shape != x._data.shape:
        raise ValueError(f"Target size ({t.shape}) must be the same as input size ({x.shape})")
    for name, v in (("weight", weight), ("pos_weight", pos_weight)):
        if v is not None:
            _constant_weight(_tensor(v, op, name), op, name)
    # log(1 + e^-x) = softplus(-x), with no linear cut-off (exact, and stable by itself)
    sp = softplus(-x, 1, math.inf)
    if pos_weight is not None:
        sp = sp * ((pos_weight - 1) * t + 1)
    loss = (1 - t) * x + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ----- kl_div ---------------------------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """Pointwise KL divergence with ``input`` log-probabilities: t (log t - input), or
    e^t (t - input) with ``log_target``; 'batchmean' divides the sum by the batch size."""
    op = "kl_div"
    x, t = _tensor(input, op, "input"), _tensor(target, op, "target")
    _floating(x, op)
    _floating(t, op, "target")
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    loss = t.exp() * (t - x) if log_target else xlogy(t, t) - t * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / x._data.shape[0] if x._data.ndim else total
    return _reduce(loss, reduction)
