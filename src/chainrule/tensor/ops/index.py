"""Indexing: ``x[key]``, index_put, gather/scatter, index_select, select, one_hot.

Two primitives carry every rule here, and they are each other's adjoints:

- ``Index``: y = x[key] (``Slice`` is the same op for basic keys, whose result is a view);
  dx = index_put(zeros_like(x), key, g, accumulate=True) (``IndexGrad``): each read sends its
  gradient back to the element it read, so an element read twice receives the sum (NumPy's
  ``add.at``).
- ``IndexPut``: y = x with y[key] = v (or += v); dx = g with the written positions zeroed
  (or g itself when accumulating), dv = g[key].

Keys follow PyTorch where it differs from NumPy: a negative slice step is refused, a 0-d
integer tensor is an int, a uint8 tensor is a mask, and a key mixing ints with index arrays
applies the ints first (see ``_split_key``).

gather, scatter, scatter_add and index_select are these two with a key built from the index
tensor, so their gradients (of any order) come for free.
"""

from __future__ import annotations

from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import data, wrap_dim
from chainrule.tensor.tensor import Tensor, tensor_method

_BASIC = (int, slice, type(None), type(Ellipsis))


def _index_error(e: Exception, shape: tuple[int, ...], op: str) -> IndexError:
    """NumPy's IndexError in PyTorch's words, with the indexed tensor's shape."""
    msg = str(e).replace("axis", "dimension").replace("arrays", "tensors").replace(
        "array", "tensor")
    return IndexError(f"{msg} ({op} on a tensor of shape {tuple(shape)})")


def _entry(k: Any) -> tuple[Any, bool]:
    """One key entry as NumPy takes it, and whether it is basic (its result a view)."""
    t = type(k)
    if t in _BASIC:
        if t is slice and k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
        return k, True
    if isinstance(k, Tensor):
        k = k._data
    elif t is bool or isinstance(k, xp.bool_):
        return k, False
    elif isinstance(k, xp.integer):
        return int(k), True
    elif isinstance(k, list | tuple):
        k = xp.asarray(k)
        if k.size == 0:
            k = k.astype(xp.int64)
    if isinstance(k, xp.ndarray) and k.dtype.kind in "iub":
        if k.dtype == xp.uint8:
            k = k.astype(xp.bool_)  # PyTorch takes a uint8 (byte) tensor as a mask
        if k.ndim == 0 and k.dtype.kind != "b":
            return int(k), True  # PyTorch takes a 0-d integer tensor as an int
        return k, False
    what = k.dtype if isinstance(k, xp.ndarray) else type(k).__name__
    raise IndexError(
        f"only integers, slices (`:`), ellipsis (`...`), None and integer or boolean tensors "
        f"are valid indices (got {what})"
    )


def normalize_key(key: Any, ndim: int | None = None) -> tuple[Any, bool]:
    """A ``__getitem__`` key as a NumPy key, and True when it is basic (no index arrays).

    Tensors become their arrays, lists index arrays (or masks); a negative slice step is a
    ValueError and a non-integer index an IndexError, as in PyTorch. Given the tensor's ``ndim``,
    an ellipsis in a key with index arrays is spelled out (see _expand_ellipsis).
    """
    if type(key) is not tuple:
        k, basic = _entry(key)
        return (k,), basic
    out = []
    basic = True
    for e in key:
        k, b = _entry(e)
        out.append(k)
        basic = basic and b
    if not basic and ndim is not None and any(k is Ellipsis for k in out):
        out = _expand_ellipsis(out, ndim)
    return tuple(out), basic


def _expand_ellipsis(key: list[Any], ndim: int) -> list[Any]:
    """``...`` as the slices it stands for. PyTorch places index arrays by the dimensions they
    index, so an ellipsis spanning no dimension does not separate two of them; NumPy would
    count it as a separator and move the indexed dimensions to the front."""
    used = 0
    for k in key:
        if isinstance(k, xp.ndarray):
            used += k.ndim if k.dtype.kind == "b" else 1
        elif k is not None and k is not Ellipsis and type(k) is not bool \
                and not isinstance(k, xp.bool_):
            used += 1
    i = next(i for i, k in enumerate(key) if k is Ellipsis)
    return key[:i] + [slice(None)] * max(ndim - used, 0) + key[i + 1:]


def _split_key(key: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """PyTorch's order for a key mixing ints with index arrays: ints, slices and None first (a
    view), then the index arrays on that view. NumPy would take the ints as index arrays too,
    which places the result's dimensions differently (x[0, :, [0, 1]]: (3, 2) in PyTorch, (2, 3)
    in NumPy for x of shape (2, 3, 4)). None when the key needs no split."""
    if not any(type(k) is int for k in key):
        return None
    basic: list[Any] = []
    advanced: list[Any] = []
    for k in key:
        if type(k) is int:
            basic.append(k)
        elif isinstance(k, xp.ndarray):
            basic.extend([slice(None)] * (k.ndim if k.dtype.kind == "b" else 1))
            advanced.append(k)
        elif type(k) is bool or isinstance(k, xp.bool_):
            advanced.append(k)
        elif k is None:
            basic.append(None)
            advanced.append(slice(None))
        else:
            basic.append(k)
            advanced.append(k if k is Ellipsis else slice(None))
    return tuple(basic), tuple(advanced)


class Index(Function):
    """y = x[key] for a key with index arrays or masks (the result is a copy)."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, key: tuple[Any, ...], basic: bool) -> Any:
        if ctx.needs_input_grad:
            ctx.in_shape = a._data.shape
            ctx.key = key
            ctx.basic = basic
        return a._data[key]

    array_rule = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        # d x[key] / dx scatters g back to the positions read; repeated reads add up
        if not isinstance(g, Tensor):
            return _put_into_zeros(ctx.in_shape, ctx.key, g, True, ctx.basic), None, None
        return IndexGrad.apply(ctx.in_shape, ctx.key, g, True, ctx.basic), None, None


class Slice(Index):
    """y = x[key] for a basic key (ints, slices, None, ...): a view of x."""

    is_view = True


def _index(a: Tensor, key: tuple[Any, ...], basic: bool, op: str) -> Tensor:
    try:
        return (Slice if basic else Index).apply(a, key, basic)
    except IndexError as e:
        raise _index_error(e, a._data.shape, op) from None


@tensor_method("__getitem__")
def getitem(a: Tensor, key: Any) -> Tensor:
    """x[key] with PyTorch's (NumPy's) rules: ints, slices, None, ..., index tensors, masks."""
    k, basic = normalize_key(key, a._data.ndim)
    if not basic:
        split = _split_key(k)
        if split is not None:
            return _index(_index(a, split[0], True, "index"), split[1], False, "index")
    elif not any(e is Ellipsis for e in k):
        k = (*k, Ellipsis)  # NumPy gives a scalar copy for x[i] down to 0-d, a view with `...`
    return _index(a, k, basic, "index")


class IndexPut(Function):
    """y = x with y[key] = v (accumulate: y[key] += v, repeated positions adding up)."""

    array_rule = True

    @staticmethod
    def forward(ctx: Node, x: Tensor, key: tuple[Any, ...], v: Any, accumulate: bool,
                basic: bool) -> Any:
        ctx.key = key
        ctx.basic = basic
        ctx.accumulate = accumulate
        return _put(x._data.copy(), key, data(v), accumulate, basic)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, None, Tensor | None, None, None]:
        gx = gv = None
        if not isinstance(g, Tensor):
            if ctx.needs_input_grad[0]:
                gx = g if ctx.accumulate else _put(g.copy(), ctx.key, 0.0, False, ctx.basic)
            if ctx.needs_input_grad[2]:
                gv = g[ctx.key]
            return gx, None, gv, None, None
        if ctx.needs_input_grad[0]:
            # overwritten positions no longer depend on x; accumulated ones pass g through
            gx = g if ctx.accumulate else IndexPut.apply(g, ctx.key, 0.0, False, ctx.basic)
        if ctx.needs_input_grad[2]:
            gv = _index(g, ctx.key, ctx.basic, "index_put")  # summed to v's shape by apply
        return gx, None, gv, None, None


def _put(out: Any, key: tuple[Any, ...], v: Any, accumulate: bool, basic: bool) -> Any:
    if not accumulate:
        out[key] = v
    elif basic:
        out[key] += v  # a basic key names each position once
    else:
        xp.add.at(out, key, v)
    return out


def _put_into_zeros(shape: tuple[int, ...], key: tuple[Any, ...], v: Any, accumulate: bool,
                    basic: bool) -> Any:
    """zeros(shape) with [key] = v (or += v): the array form of IndexGrad."""
    return _put(xp.zeros(shape, v.dtype), key, v, accumulate, basic)


class IndexGrad(IndexPut):
    """zeros(shape) with [key] += g: Index's backward. IndexPut's rule, without copying a zero
    tensor: its first argument is the shape, so no gradient flows there."""

    @staticmethod
    def forward(ctx: Node, shape: tuple[int, ...], key: tuple[Any, ...], v: Tensor,
                accumulate: bool, basic: bool) -> Any:
        ctx.key = key
        ctx.basic = basic
        ctx.accumulate = accumulate
        return _put_into_zeros(shape, key, v._data, accumulate, basic)


@tensor_method("index_put")
def index_put(x: Tensor, index: Any, values: Any, accumulate: bool = False) -> Tensor:
    """A copy of x with x[index] = values (accumulate: += values, repeated indices adding up)."""
    key, basic = normalize_key(index, x._data.ndim)
    if not isinstance(values, Tensor) and not isinstance(values, int | float | bool | xp.number):
        values = Tensor(values, dtype=x.dtype)
    split = None if basic else _split_key(key)
    if split is not None:  # write into the slab the ints select, then the slab into x
        slab = _index(x, split[0], True, "index_put")
        return IndexPut.apply(x, split[0], index_put(slab, split[1], values, accumulate), False,
                              True)
    try:
        return IndexPut.apply(x, key, values, bool(accumulate), basic)
    except IndexError as e:
        raise _index_error(e, x._data.shape, "index_put") from None
    except ValueError:
        try:
            target = x._data[key].shape
        except IndexError as e:
            raise _index_error(e, x._data.shape, "index_put") from None
        shape = tuple(values.shape) if isinstance(values, Tensor) else ()
        raise RuntimeError(
            f"index_put: shape mismatch: values of shape {shape} cannot be broadcast to the "
            f"indexed shape {tuple(target)} (tensor of shape {tuple(x.shape)})"
        ) from None
    except TypeError:
        raise RuntimeError(
            f"index_put: values of dtype "
            f"{values.dtype if isinstance(values, Tensor) else type(values)}"
            f" cannot be written into a tensor of dtype {x.dtype}"
        ) from None


def _index_array(index: Any, op: str) -> Any:
    if not isinstance(index, Tensor):
        index = Tensor(index)
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): expected an integer (int64) index tensor, got {index.dtype}")
    return index._data


def _along_dim_key(idx: Any, dim: int) -> tuple[Any, ...]:
    """The key reading x[i_0, ..., idx[i], ..., i_n] for every position i of idx (torch.gather)."""
    nd = idx.ndim
    key = []
    for d, n in enumerate(idx.shape):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * nd
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _check_bounds(idx: Any, n: int, dim: int, op: str) -> None:
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= n:
            bad = int(lo if lo < 0 else hi)
            raise RuntimeError(f"{op}: index {bad} is out of bounds for dimension {dim} with "
                               f"size {n}")


def _scatter_gather_key(x: Tensor, dim: int, idx: Any, op: str, src: Any = None) -> tuple:
    """Check torch.gather/scatter's shape rules and build the key for ``idx`` along ``dim``."""
    nd = x._data.ndim
    if idx.ndim != nd:
        raise RuntimeError(
            f"{op}: index tensor must have the same number of dimensions as the input tensor; "
            f"got index {tuple(idx.shape)} and input {tuple(x.shape)}"
        )
    dim = wrap_dim(dim, nd, op)
    xs, ishape = x._data.shape, idx.shape
    if any(i > n for d, (i, n) in enumerate(zip(ishape, xs, strict=True)) if d != dim) or (
        src is not None and any(i > n for i, n in zip(ishape, src, strict=True))
    ):
        with_src = "" if src is None else f" and no larger than src {tuple(src)}"
        raise RuntimeError(
            f"{op}: expected index {tuple(ishape)} to be no larger than input {tuple(xs)} "
            f"apart from dimension {dim}{with_src}"
        )
    _check_bounds(idx, xs[dim], dim, op)
    return _along_dim_key(idx, dim)


def _as_1d(x: Any) -> Any:
    return x.reshape(1) if isinstance(x, Tensor) and x._data.ndim == 0 else x


@tensor_method("gather")
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = input[index[i][j]][j] (dim=0), etc.; its gradient is scatter_add of g."""
    idx = _index_array(index, "gather")
    if input._data.ndim == 0 or idx.ndim == 0:  # torch takes a 0-d tensor as a 1-element one
        if max(input._data.ndim, 1) != max(idx.ndim, 1):
            _scatter_gather_key(input, dim, idx, "gather")  # raises the ndim error
        wrap_dim(dim, 1, "gather")
        return gather(_as_1d(input), 0, idx.reshape(-1)).reshape(idx.shape)
    key = _scatter_gather_key(input, dim, idx, "gather")
    return Index.apply(input, key, False)


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, accumulate: bool,
             op: str) -> Tensor:
    idx = _index_array(index, op)
    is_tensor = isinstance(src, Tensor)
    if input._data.ndim == 0 or idx.ndim == 0 or (is_tensor and src._data.ndim == 0):
        if max(input._data.ndim, 1) != max(idx.ndim, 1):
            _scatter_gather_key(input, dim, idx, op)  # raises the ndim error
        wrap_dim(dim, 1, op)
        out = _scatter(_as_1d(input), 0, idx.reshape(-1), _as_1d(src), accumulate, op)
        return out.reshape(input._data.shape)
    if is_tensor and src._data.ndim != idx.ndim:
        raise RuntimeError(f"{op}: index {tuple(idx.shape)} and src {tuple(src.shape)} must "
                           f"have the same number of dimensions")
    key = _scatter_gather_key(input, dim, idx, op, src._data.shape if is_tensor else None)
    if is_tensor and src._data.shape != idx.shape:
        src = src[tuple(slice(0, n) for n in idx.shape)]  # torch reads only src[:index.shape]
    return IndexPut.apply(input, key, src, accumulate, False)


@tensor_method("scatter_add")
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with input[index[i][j]][j] += src[i][j] (dim=0); duplicates add up."""
    return _scatter(input, dim, index, src, True, "scatter_add")


@tensor_method("scatter")
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None) -> Tensor:
    """A copy of input with input[index[i][j]][j] = src[i][j] (dim=0), or = value."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    return _scatter(input, dim, index, src, False, "scatter")


@tensor_method("index_select")
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices input[..., index[i], ...] along dim, stacked in order."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError(f"index_select(): index is supposed to be a vector, got shape "
                         f"{tuple(idx.shape)}")
    dim = wrap_dim(dim, input._data.ndim, "index_select")
    n = input._data.shape[dim] if input._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"index_select(): index {bad} is out of range for dimension {dim} with "
                         f"size {n}")
    if input._data.ndim == 0:
        return _index(input.reshape(1), (idx.reshape(-1),), False, "index_select").reshape(
            idx.shape)
    key = (slice(None),) * dim + (idx.reshape(-1),)
    return _index(input, key, False, "index_select")


@tensor_method("select")
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (that dimension removed): a view."""
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, input._data.ndim, "select")
    n = input._data.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{tuple(input.shape)} at dimension {dim}")
    return _index(input, (slice(None),) * dim + (int(index),), True, "select")


@tensor_method("__iter__")
def _iter(a: Tensor) -> Any:
    if a._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (_index(a, (i,), True, "index") for i in range(a._data.shape[0]))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """out[..., c] = 1 if tensor[...] == c else 0 (int64; not differentiable)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot: expected a Tensor, got {type(tensor).__name__}")
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors (int64), got "
                           f"{tensor.dtype}")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(a.max()) + 1
    if a.size and a.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(a.min())}")
    if a.size and a.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes}), got {int(a.max())}")
    out = (a[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out, False, None)


__all__ = [
    "gather", "index_put", "index_select", "one_hot", "scatter", "scatter_add", "select",
]
