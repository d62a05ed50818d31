"""chainrule.nn.functional.embedding: table lookup (embedding) and one_hot."""

from __future__ import annotations

from typing import Any

from chainrule.autograd import no_grad
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import data, primitive
from chainrule.tensor.ops.index import one_hot
from chainrule.tensor.tensor import Tensor

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """out[...] = weight[idx[...]]: the rows of weight at the indices (a constant). Its rule is
    EmbeddingBackward: each row's gradient added back into a zero table, the padding row's left
    out and, with ``scale_grad_by_freq``, each divided by its index's count in the batch."""

    @staticmethod
    def compute(weight: Any, idx: Any, padding_idx: int, by_freq: bool) -> Any:
        return weight[idx]

    @staticmethod
    def forward(ctx: Node, weight: Tensor, idx: Any, padding_idx: int, by_freq: bool) -> Any:
        ctx.idx, ctx.padding_idx, ctx.by_freq = idx, padding_idx, by_freq
        ctx.num = weight._data.shape[0]
        return weight._data[idx]

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        flat = ctx.idx.reshape(-1)
        scale = None
        if ctx.by_freq:
            counts = xp.bincount(flat, minlength=ctx.num)
            scale = 1.0 / counts[flat]
        if ctx.padding_idx >= 0:
            keep = (flat != ctx.padding_idx).astype(xp.float64)
            scale = keep if scale is None else scale * keep
        if scale is not None:
            scale = scale.astype(data(g).dtype)
        return primitive(EmbeddingBackward, g, ctx.idx, ctx.num, scale), None, None, None


class EmbeddingBackward(Function):
    """table[i] = sum of scale[k] g[k] over the positions k with idx[k] == i (zero elsewhere):
    embedding's gradient as an op of g, linear in g; its own rule gathers: gg[idx] * scale.
    A primitive for speed: rows sorted by index and summed by one reduceat (np.add.at, which
    index_add uses, is several times slower)."""

    @staticmethod
    def compute(g: Any, idx: Any, num: int, scale: Any) -> Any:
        flat = idx.reshape(-1)
        row_shape = g.shape[idx.ndim:]
        rows = g.reshape(flat.size, -1)
        if scale is not None:
            rows = rows * scale[:, None]
        table = xp.zeros((num, rows.shape[1]), dtype=rows.dtype)
        if flat.size:
            order = xp.argsort(flat, kind="stable")
            ordered = flat[order]
            starts = xp.flatnonzero(xp.r_[True, ordered[1:] != ordered[:-1]])
            table[ordered[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
        return table.reshape(num, *row_shape)

    @staticmethod
    def forward(ctx: Node, g: Tensor, idx: Any, num: int, scale: Any) -> Any:
        ctx.idx, ctx.scale = idx, scale
        return EmbeddingBackward.compute(g._data, idx, num, scale)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor, None, None, None]:
        rows = primitive(Embedding, gg, ctx.idx, -1, False)
        if ctx.scale is not None:
            extra = rows.ndim - ctx.idx.ndim
            rows = rows * ctx.scale.reshape(*ctx.idx.shape, *([1] * extra))  # a constant
        return rows, None, None, None


def _renorm_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    """Scale the referenced rows whose norm exceeds max_norm down to it (in place, untracked)."""
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    sub = w[rows].reshape(len(rows), -1)
    if norm_type == float("inf"):
        norms = xp.abs(sub).max(axis=1)
    else:
        norms = (xp.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        with no_grad():
            w[rows[over]] *= scale.reshape(-1, *([1] * (w.ndim - 1)))
            weight._version_counter.value += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]: the rows of the table ``weight`` (num_embeddings, dim) picked by the
    integer tensor ``input`` (any shape; the result has shape input.shape + (dim,)). The row
    ``padding_idx`` gets no gradient; ``max_norm`` first rescales (in place) every picked row
    whose ``norm_type``-norm exceeds it."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"embedding(): expected Tensors for input and weight, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    idx = input._data
    if idx.dtype not in (xp.int64, xp.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.dtype!r} instead "
                           f"(while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= num or padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    else:
        padding_idx = -1
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"embedding: index out of range in self (index {bad} for a table of "
                         f"{num} embeddings)")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported (chainrule has "
                                  "no sparse tensors); use sparse=False")
    if max_norm is not None:
        _renorm_(weight, idx, float(max_norm), float(norm_type))
    return Embedding.apply(weight, idx, padding_idx, bool(scale_grad_by_freq))
