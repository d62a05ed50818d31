"""Ordering ops: sort, argsort, msort, topk, unique, unique_consecutive, searchsorted.

Sorting is stable everywhere (NumPy's stable sort; a descending sort keeps equal elements in
input order too), so indices on ties equal PyTorch's CPU results, whose sort is stable in
practice. NaN counts as the largest value (last ascending, first descending), as PyTorch.
Values are ``gather(input, dim, indices)``: their gradient goes to the selected elements and is
itself differentiable. unique and searchsorted have no gradient.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.ops._util import const as _const
from chainrule.tensor.ops._util import wrap_dim
from chainrule.tensor.ops.index import gather
from chainrule.tensor.ops.reduce import argsort_stable
from chainrule.tensor.tensor import Tensor, tensor_method

_INT64 = xp.dtype(xp.int64)

SortResult = namedtuple("sort", ["values", "indices"])
SortResult.__doc__ = "sort: (values, indices), as torch.return_types.sort."
TopkResult = namedtuple("topk", ["values", "indices"])
TopkResult.__doc__ = "topk: (values, indices), as torch.return_types.topk."


def _tensor_arg(a: Any, op: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(a).__name__}")
    return a


def _order(a: Tensor, dim: int, descending: bool, op: str) -> tuple[Any, int]:
    """The stable sorting permutation of a along dim (int64) and the wrapped dim."""
    a = _tensor_arg(a, op)
    d = wrap_dim(dim, a._data.ndim, op)
    if a._data.ndim == 0:
        return xp.zeros((), _INT64), d
    return argsort_stable(a._data, d, descending).astype(_INT64, copy=False), d


@tensor_method("sort")
def sort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """(values, indices): a sorted along ``dim`` (ascending unless descending) and where each
    value came from. Always stable (``stable`` is accepted for PyTorch's signature)."""
    index, d = _order(a, dim, descending, "sort")
    values = gather(a, d, _const(index)) if a._data.ndim else a * 1
    return SortResult(values, _const(index))


@tensor_method("argsort")
def argsort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
            ) -> Tensor:
    """The indices that sort a along ``dim`` (stable: equal elements keep their order)."""
    return _const(_order(a, dim, descending, "argsort")[0])


@tensor_method("msort")
def msort(a: Tensor) -> Tensor:
    """a sorted along its first dim: sort(a, dim=0).values."""
    return sort(a, 0).values


@tensor_method("topk")
def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """(values, indices) of the k largest (largest=False: smallest) elements along ``dim``,
    in sorted order (also for sorted=False). Among equal elements the earlier ones are taken;
    PyTorch does not specify which, so results may differ from its on ties."""
    a = _tensor_arg(a, "topk")
    d = wrap_dim(dim, a._data.ndim, "topk")
    n = a._data.shape[d] if a._data.ndim else 1
    if not isinstance(k, int | xp.integer) or not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for dimension {d} of "
                           f"size {n} (shape {tuple(a.shape)})")
    index, d = _order(a, dim, largest, "topk")
    if a._data.ndim == 0:
        return TopkResult(a * 1, _const(index))  # also for k = 0, as PyTorch
    index = xp.take(index, xp.arange(k), axis=d)
    return TopkResult(gather(a, d, _const(index)), _const(index))


def _unique_dim(x: Any, dim: int, op: str) -> int:
    """``dim`` wrapped; the errors of PyTorch's unique along a dim."""
    if x.ndim == 0:
        raise IndexError(f"{op}(): dim {dim} given for a 0-d tensor")
    d = wrap_dim(dim, x.ndim, op)
    if x.shape.count(0) > 1:
        raise RuntimeError(f"{op}(): more than one dimension of shape {tuple(x.shape)} has "
                           f"size zero, so unique cannot be applied")
    if x.size == 0 and x.shape[d] != 0:
        raise RuntimeError(f"{op}(): shape {tuple(x.shape)} has a size-zero dimension that is "
                           f"not dim {d}, so unique cannot be applied")
    return d


def _unique_result(out: Any, inverse: Any, counts: Any, return_inverse: bool,
                   return_counts: bool) -> Any:
    parts = [_const(out)]
    if return_inverse:
        parts.append(_const(inverse.astype(_INT64, copy=False)))
    if return_counts:
        parts.append(_const(counts.astype(_INT64, copy=False)))
    return parts[0] if len(parts) == 1 else tuple(parts)


@tensor_method("unique")
def unique(a: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements of a (dim: the distinct slices along dim), sorted; optionally
    the inverse indices (where each element went) and the counts. No gradient."""
    a = _tensor_arg(a, "unique")
    x = a._data
    if dim is None:
        out, inverse, counts = xp.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        return _unique_result(out, inverse.reshape(x.shape), counts, return_inverse,
                              return_counts)
    d = _unique_dim(x, dim, "unique")
    if x.size == 0:
        return _unique_result(x, xp.zeros(0, _INT64), xp.zeros(0, _INT64), return_inverse,
                              return_counts)
    out, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=d)
    return _unique_result(out, inverse.reshape(-1), counts, return_inverse, return_counts)


@tensor_method("bincount")
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """counts[k] = the number of elements of the 1-d non-negative integer ``input`` equal to k
    (with ``weights``: their sum of weights), for k < max(max(input) + 1, minlength). int64
    counts; float32 weights give float32 sums, others float64. No gradient."""
    a = _tensor_arg(input, "bincount")
    x = a._data
    if x.ndim != 1 or x.dtype.kind not in "iub" or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _const(xp.bincount(x, minlength=minlength).astype(_INT64, copy=False))
    w = _tensor_arg(weights, "bincount")._data
    if w.ndim != 1 or w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = xp.float32 if w.dtype == xp.float32 else xp.float64
    return _const(xp.bincount(x, weights=w, minlength=minlength).astype(dtype))


@tensor_method("unique_consecutive")
def unique_consecutive(a: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """The elements of a with each run of equal consecutive ones (dim: slices along dim) kept
    once; optionally the inverse indices and the run lengths. No gradient."""
    a = _tensor_arg(a, "unique_consecutive")
    x = a._data
    if dim is None:
        flat = x.reshape(-1)
        change = flat[1:] != flat[:-1]
        shape = x.shape
    else:
        d = _unique_dim(x, dim, "unique_consecutive")
        if x.size == 0:
            return _unique_result(x, xp.zeros(0, _INT64), xp.zeros(0, _INT64), return_inverse,
                                  return_counts)
        flat = xp.moveaxis(x, d, 0)
        slices = (flat[1:] != flat[:-1]).reshape(len(flat) - 1, math.prod(flat.shape[1:]))
        change = slices.any(axis=1)
        shape = (x.shape[d],)
    starts = xp.concatenate([xp.ones(min(len(flat), 1), bool), change])
    first = xp.flatnonzero(starts)
    out = flat[first] if dim is None else xp.moveaxis(flat[first], 0, d)
    inverse = (xp.cumsum(starts) - 1).reshape(shape)
    counts = xp.diff(xp.append(first, len(flat)))
    return _unique_result(out, inverse, counts, return_inverse, return_counts)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None
                 ) -> Tensor:
    """For each value, the index where it would be inserted into the last dim of
    sorted_sequence to keep it sorted: the number of elements < value (right or
    side='right': <= value). sorted_sequence is 1-D or matches input in all but the last dim.
    int64 result (int32 with out_int32); no gradient."""
    seq = _tensor_arg(sorted_sequence, "searchsorted")._data
    scalar = not isinstance(input, Tensor)
    v = xp.asarray(input._data if not scalar else input)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have at least one dimension")
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data if isinstance(sorter, Tensor)
                                 else xp.asarray(sorter), axis=-1)
    if seq.ndim > 1 and (scalar or seq.shape[:-1] != v.shape[:-1]):
        raise RuntimeError(
            f"searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {tuple(seq.shape)} and input value tensor {tuple(v.shape)}"
        )
    n = seq.shape[-1]
    rows = math.prod(seq.shape[:-1])
    s2 = seq.reshape(rows, n)
    v2 = v.reshape(rows, v.shape[-1]) if seq.ndim > 1 else v.reshape(1, v.size)
    m = v2.shape[1]
    # merge each row's sequence and values in one stable lexicographic sort by (row, value,
    # tag); a value's result is the number of sequence elements before it in its row. The tag
    # puts values before equal sequence elements (left) or after them (right).
    keys = xp.concatenate([s2, v2.astype(xp.result_type(s2, v2), copy=False)], axis=1)
    is_value = xp.zeros(keys.shape, bool)
    is_value[:, n:] = True
    tag = ~is_value if not right else is_value
    row = xp.broadcast_to(xp.arange(rows)[:, None], keys.shape)
    order = xp.lexsort((tag.reshape(-1), keys.reshape(-1), row.reshape(-1)))
    seq_before = xp.cumsum(~is_value.reshape(-1)[order]) - xp.repeat(xp.arange(rows) * n, n + m)
    result = xp.empty(keys.size, xp.int64)
    result[order] = seq_before
    out = result.reshape(rows, n + m)[:, n:].reshape(v.shape)
    return _const(out.astype(xp.int32 if out_int32 else _INT64))


__all__ = ["argsort", "bincount", "msort", "searchsorted", "sort", "topk", "unique",
           "unique_consecutive"]
