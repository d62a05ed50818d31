"""Attention: scaled dot-product attention and the multi-head attention forward, as PyTorch's
``torch.nn.functional.scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Both are compositions of differentiable ops (matmul, masked_fill, softmax), so gradients and
second derivatives come from those ops' rules; masks are constants.
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.nn.functional.dropout import dropout
from chainrule.nn.functional.linear import linear as _linear
from chainrule.tensor.backend import xp
from chainrule.tensor.ops.movement import cat
from chainrule.tensor.tensor import Tensor, zeros

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _const(a: Any) -> Tensor:
    return Tensor._make(a, False, None)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + M) V over the last two dimensions (..., L, E), (..., S, E),
    (..., S, Ev) -> (..., L, Ev); scale defaults to 1/sqrt(E).

    ``attn_mask``: bool (keep where True) or float (added to the scores), broadcast to (..., L, S).
    ``is_causal``: query i sees keys j <= i (the lower triangle of an (L, S) matrix, aligned top
    left); not with attn_mask (an error, as PyTorch's). A query that sees no key gets zeros
    (PyTorch's safe softmax), with zero gradient. ``enable_gqa``: key/value with fewer heads
    (dim -3) than query are repeated to match. ``dropout_p`` drops attention weights (always:
    pass 0 in eval mode).
    """
    q, k, v = query, key, value
    for name, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a Tensor, got "
                            f"{type(t).__name__}")
    if q.dim() < 2 or k.dim() < 2 or v.dim() < 2:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value to be "
                           f"at least 2-D, got shapes {tuple(q.shape)}, {tuple(k.shape)} and "
                           f"{tuple(v.shape)}")
    if not (q._data.dtype == k._data.dtype == v._data.dtype):
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value to "
                           f"have the same dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query (..., L, E) {tuple(q.shape)}, "
                           f"key (..., S, E) {tuple(k.shape)} and value (..., S, Ev) "
                           f"{tuple(v.shape)} do not fit")
    if enable_gqa and q.dim() >= 3 and k.shape[-3] != q.shape[-3]:
        if q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]:
            raise RuntimeError(f"scaled_dot_product_attention: with enable_gqa, the query's "
                               f"heads {q.shape[-3]} must be a multiple of the key's "
                               f"{k.shape[-3]} and the value's {v.shape[-3]}")
        k = k.repeat_interleave(q.shape[-3] // k.shape[-3], dim=-3)
        v = v.repeat_interleave(q.shape[-3] // v.shape[-3], dim=-3)
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    n_q, n_k = q.shape[-2], k.shape[-2]
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q * s) @ k.transpose(-2, -1)
    keep = None  # bool (..., L, S): where a query may look
    if is_causal:
        keep = xp.tri(n_q, n_k, dtype=bool)
    if attn_mask is not None:
        m = attn_mask._data if isinstance(attn_mask, Tensor) else xp.asarray(attn_mask)
        if m.dtype.kind == "b":
            keep = m
        elif m.dtype != q._data.dtype:
            raise RuntimeError(f"scaled_dot_product_attention: expected attn_mask dtype to be "
                               f"bool or float or to match query dtype, got {attn_mask.dtype} "
                               f"and query dtype {q.dtype}")
        try:
            xp.broadcast_shapes(m.shape, scores._data.shape)
        except ValueError:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape "
                               f"{tuple(m.shape)} does not broadcast to the scores' shape "
                               f"{tuple(scores.shape)} (..., L, S)") from None
        if m.dtype.kind != "b":
            scores = scores + attn_mask
    dead = None  # rows that see no key: their -inf scores would make softmax NaN
    if keep is not None:  # added as 0 / -inf: its rule passes g through, no select
        scores = scores + _const(xp.where(keep, 0, -xp.inf).astype(q._data.dtype))
        dead = ~keep.any(-1, keepdims=True)
    if attn_mask is not None and attn_mask._data.dtype.kind == "f":
        d = xp.isneginf(attn_mask._data).all(-1, keepdims=True)
        dead = d if dead is None else dead | d
    if dead is not None and dead.any():
        dead = _const(dead)
        p = scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
    else:
        p = scores.softmax(-1)
    if dropout_p > 0:
        p = dropout(p, dropout_p)
    return p @ v


def _bool_or_float(mask: Tensor | None, name: str, dtype: Any) -> Tensor | None:
    """A mask as an additive float mask (True: -inf, masked out), as PyTorch's _canonical_mask."""
    if mask is None:
        return None
    m = mask._data
    if m.dtype.kind == "b":
        return _const(xp.where(m, -xp.inf, 0).astype(dtype))
    if m.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Tensor | None = None,
    need_weights: bool = True, attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None, static_v: Tensor | None = None,
    average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on (L, N, E) query and (S, N, E) key/value (unbatched: no N):
    heads_i = attention(Q W_qi^T + b_qi, K W_ki^T + b_ki, V W_vi^T + b_vi), output
    concat(heads) W_o^T + b_o. Masks: bool True = masked out, float added; ``key_padding_mask``
    (N, S), ``attn_mask`` (L, S) or (N*heads, L, S). Returns (output, weights (N, L, S) averaged
    over heads, or (N, heads, L, S), or None if not need_weights), as PyTorch's.
    """
    batched = query.dim() == 3
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {'batched (3-D)' if batched else 'unbatched (2-D)'} `query`, "
                             f"expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    dtype = query._data.dtype
    key_padding_mask = _bool_or_float(key_padding_mask, "key_padding_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint is used instead of the mask, as PyTorch
    else:
        attn_mask = _bool_or_float(attn_mask, "attn_mask", dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q = _linear(query, q_proj_weight, b_q)
        k = _linear(key, k_proj_weight, b_k)
        v = _linear(value, v_proj_weight, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        w, b = in_proj_weight, in_proj_bias
        if query is key and key is value:  # self-attention: one product
            q, k, v = _linear(query, w, b).chunk(3, -1)
        else:
            e = embed_dim
            q = _linear(query, w[:e], None if b is None else b[:e])
            if key is value:  # encoder-decoder attention: one product for keys and values
                k, v = _linear(key, w[e:], None if b is None else b[e:]).chunk(2, -1)
            else:
                k = _linear(key, w[e:2 * e], None if b is None else b[e:2 * e])
                v = _linear(value, w[2 * e:], None if b is None else b[2 * e:])
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    # heads: (L, N, E) -> (N*heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None
         else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None
         else static_v)
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], 1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"Expected key_padding_mask of shape {(bsz, src_len)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if dropout_p > 0:
            weights = dropout(weights, dropout_p)
        out = weights @ v
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None


def _pad_last(mask: Tensor) -> Tensor:
    """A float mask with one more key position, not masked (0)."""
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)
