"""chainrule.nn.functional.linear: affine maps (linear, bilinear) and the vector helpers of
torch.nn.functional that act on a feature dimension (normalize, cosine_similarity,
pairwise_distance, pad)."""

from __future__ import annotations

import math
from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import data
from chainrule.tensor.ops.movement import pad
from chainrule.tensor.tensor import Tensor

__all__ = ["bilinear", "cosine_similarity", "linear", "normalize", "pad", "pairwise_distance"]


def _rows(a: Any) -> Any:
    """``a`` (an array or a Tensor) as a matrix of its last dim's vectors (not reshape(-1, n):
    ``a`` may have no elements)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def sum_rows(a: Any) -> Any:
    """The sum of ``a`` over every dim but the last (an array or a Tensor), as a product with a
    vector of ones: NumPy's sum over leading axes is slow for a short last axis (81 against 12 us
    for a float32 (100, 40, 18), the MNIST-1D GRU's input projection)."""
    rows = _rows(a)
    return xp.ones(rows.shape[0], data(a).dtype) @ rows


class Linear(Function):
    """y = x W^T + b over the last dimension of x (any leading dims). One primitive for speed
    (one node and one matrix product, not transpose + matmul + add): dx = g W,
    dW = g^T x (leading dims flattened), db = g summed over its leading dims."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, w: Tensor, b: Tensor | None = None) -> Any:
        needs = ctx.needs_input_grad
        if needs:
            ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
        xa = x._data
        out = _rows(xa) @ w._data.T
        if b is not None:
            out += b._data
        return out.reshape(*xa.shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, ...]:
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = g @ w if needs[0] else None
        gw = None
        if needs[1]:
            gw = _rows(g).mT @ _rows(x)
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (sum_rows(g) if needs[2] else None)


def _need_tensor(x: Any, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias: weight (out_features, in_features) acts on input's last
    dimension (input (..., in_features) -> (..., out_features))."""
    x = _need_tensor(input, "input", "linear")
    w = _need_tensor(weight, "weight", "linear")
    xd, wd = x._data, w._data
    if wd.ndim != 2 or xd.ndim == 0:
        if xd.ndim == 0 or wd.ndim not in (1, 2):
            raise RuntimeError(f"linear: input of shape {tuple(xd.shape)} and weight of shape "
                               f"{tuple(wd.shape)}: expected a weight of 1 or 2 dimensions and "
                               f"an input of at least 1")
        out = x.matmul(w.t())  # a 1-D weight: a dot product over the last dim
        return out if bias is None else out + bias
    if xd.shape[-1] != wd.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(xd.shape)} has last dimension {xd.shape[-1]}, but the "
            f"weight of shape {tuple(wd.shape)} expects {wd.shape[1]} (in_features)")
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"linear: input and weight must have the same dtype, got "
                           f"{x.dtype!r} and {w.dtype!r}")
    if bias is None:
        return Linear.apply(x, w)
    b = _need_tensor(bias, "bias", "linear")
    bd = b._data
    if bd.dtype != wd.dtype:
        raise RuntimeError(f"linear: bias and weight must have the same dtype, got {b.dtype!r} "
                           f"and {w.dtype!r}")
    if bd.ndim > 1 or (bd.ndim == 1 and bd.shape[0] not in (1, wd.shape[0])):
        raise RuntimeError(f"linear: bias of shape {tuple(bd.shape)} does not match "
                           f"out_features {wd.shape[0]}")
    return Linear.apply(x, w, b)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k: input1 (..., in1), input2 (..., in2) with the same leading
    dims, weight (out, in1, in2), bias (out,). A composition: (x1 A) reshaped, times x2,
    summed over in2."""
    x1 = _need_tensor(input1, "input1", "bilinear")
    x2 = _need_tensor(input2, "input2", "bilinear")
    w = _need_tensor(weight, "weight", "bilinear")
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional (out, in1, in2), got "
                           f"shape {tuple(w.shape)}")
    out, in1, in2 = w.shape
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[:-1] != x2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != in1 or x2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input sizes {x1.shape[-1]} and {x2.shape[-1]} do not "
                           f"match the weight's in1_features {in1} and in2_features {in2} "
                           f"(weight of shape {tuple(w.shape)})")
    lead = tuple(x1.shape[:-1])
    # (N, in1) @ (in1, out * in2) -> (N, out, in2), times x2 broadcast over out, summed over in2
    a = x1.reshape(-1, in1) @ w.permute(1, 0, 2).reshape(in1, out * in2)
    y = (a.reshape(-1, out, in2) * x2.reshape(-1, 1, in2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p over dim, eps)."""
    x = _need_tensor(input, "input", "normalize")
    denom = x.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(x)
    result = x / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum((x1 / ||x1||) (x2 / ||x2||), dim) after broadcasting x1 and x2, each norm clamped
    below at eps in value only (its gradient is the norm's, as PyTorch clamps it in place under
    no_grad)."""
    a = _need_tensor(x1, "x1", "cosine_similarity")
    b = _need_tensor(x2, "x2", "cosine_similarity")
    if a.shape != b.shape:
        try:
            a, b = a.broadcast_to(_broadcast(a, b)), b.broadcast_to(_broadcast(a, b))
        except (ValueError, RuntimeError):
            raise RuntimeError(f"cosine_similarity: the shapes {tuple(a.shape)} and "
                               f"{tuple(b.shape)} cannot be broadcast together") from None
    if a._data.dtype.kind != "f":
        a = a.to(_default_float())
    if b._data.dtype.kind != "f":
        b = b.to(_default_float())
    na = a.norm(2, dim, keepdim=True)
    nb = b.norm(2, dim, keepdim=True)
    na = na + (na.detach().clamp_min(eps) - na.detach())
    nb = nb + (nb.detach().clamp_min(eps) - nb.detach())
    return ((a / na) * (b / nb)).sum(dim)


def _broadcast(a: Tensor, b: Tensor) -> tuple[int, ...]:
    return xp.broadcast_shapes(a._data.shape, b._data.shape)


def _default_float() -> Any:
    return backend.dtype_of_np(backend.defaults.float)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension."""
    a = _need_tensor(x1, "x1", "pairwise_distance")
    b = _need_tensor(x2, "x2", "pairwise_distance")
    diff = a - b + eps
    dim = -1 if diff.ndim else None
    return diff.norm(p, dim, keepdim=keepdim)
