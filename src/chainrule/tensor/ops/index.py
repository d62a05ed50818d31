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
from chainrule.tensor.ops._util import data, primitive, wrap_dim
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
    """y = x[key] for a key with index arrays or masks (the result is a copy); dx = zeros with
    [key] += g: each read sends its gradient back to the element it read, repeated reads adding
    up (IndexGrad)."""

    @staticmethod
    def compute(a: Any, key: tuple[Any, ...], basic: bool, tensors: tuple[Tensor, ...] = ()
                ) -> Any:
        return a[key]

    @staticmethod
    def forward(ctx: Node, a: Tensor, key: tuple[Any, ...], basic: bool,
                tensors: tuple[Tensor, ...] = ()) -> Any:
        if ctx.needs_input_grad:
            ctx.in_shape = a._data.shape
            ctx.key = key
            ctx.basic = basic
            ctx.save_for_backward(*tensors)  # the key's index tensors: written later, an error
        return a._data[key]

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        ctx.saved_tensors  # noqa: B018 (the version check of the index tensors)
        return primitive(IndexGrad, ctx.in_shape, ctx.key, g, True, ctx.basic), None, None, None


class Slice(Index):
    """y = x[key] for a basic key (ints, slices, None, ...): a view of x."""

    is_view = True


def _index(a: Tensor, key: tuple[Any, ...], basic: bool, op: str,
           tensors: tuple[Tensor, ...] = ()) -> Tensor:
    try:
        if basic:
            return Slice.apply(a, key, basic)
        return Index.apply(a, key, basic, tensors)
    except IndexError as e:
        raise _index_error(e, a._data.shape, op) from None


@tensor_method("__getitem__")
def getitem(a: Tensor, key: Any) -> Tensor:
    """x[key] with PyTorch's (NumPy's) rules: ints, slices, None, ..., index tensors, masks."""
    k, basic = normalize_key(key, a._data.ndim)
    if not basic:
        tensors = tuple(e for e in (key if type(key) is tuple else (key,))
                        if isinstance(e, Tensor))
        split = _split_key(k)
        if split is not None:
            return _index(_index(a, split[0], True, "index"), split[1], False, "index", tensors)
        return _index(a, k, basic, "index", tensors)
    elif not any(e is Ellipsis for e in k):
        k = (*k, Ellipsis)  # NumPy gives a scalar copy for x[i] down to 0-d, a view with `...`
    return _index(a, k, basic, "index")


class IndexPut(Function):
    """y = x with y[key] = v (accumulate: y[key] += v, repeated positions adding up).
    dx = g with the overwritten positions zeroed (g itself when accumulating), dv = g[key]."""

    @staticmethod
    def compute(x: Any, key: tuple[Any, ...], v: Any, accumulate: bool, basic: bool,
                tensors: tuple[Tensor, ...] = ()) -> Any:
        return _put(x.copy(), key, v, accumulate, basic)

    @staticmethod
    def forward(ctx: Node, x: Tensor, key: tuple[Any, ...], v: Any, accumulate: bool,
                basic: bool, tensors: tuple[Tensor, ...] = ()) -> Any:
        ctx.key = key
        ctx.basic = basic
        ctx.accumulate = accumulate
        ctx.save_for_backward(*tensors)  # the key's index tensors: written later, an error
        return _put(x._data.copy(), key, data(v), accumulate, basic)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, None, Tensor | None, None, None]:
        gx = gv = None
        ctx.saved_tensors  # noqa: B018 (the version check of the index tensors)
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else primitive(IndexPut, g, ctx.key, 0.0, False, ctx.basic)
        if ctx.needs_input_grad[2]:
            gv = g[ctx.key]  # summed to v's shape by apply
        return gx, None, gv, None, None, None


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
    """zeros(shape) with [key] = v (or += v): IndexGrad's array."""
    return _put(xp.zeros(shape, v.dtype), key, v, accumulate, basic)


class IndexGrad(Function):
    """y = zeros(shape) with y[key] = v (accumulate: += v), Index's adjoint: IndexPut into zeros
    without a zero tensor to copy (its first argument is the shape). dv = g[key]."""

    compute = staticmethod(_put_into_zeros)

    @staticmethod
    def forward(ctx: Node, shape: tuple[int, ...], key: tuple[Any, ...], v: Tensor,
                accumulate: bool, basic: bool) -> Any:
        ctx.key = key
        return _put_into_zeros(shape, key, v._data, accumulate, basic)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[None, None, Tensor, None, None]:
        return None, None, g[ctx.key], None, None


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
    tensors = tuple(e for e in (index if type(index) is tuple else (index,))
                    if isinstance(e, Tensor))
    try:
        return IndexPut.apply(x, key, values, bool(accumulate), basic, tensors)
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
    return Index.apply(input, key, False, (index,) if isinstance(index, Tensor) else ())


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
    return _index(input, key, False, "index_select",
                  (index,) if isinstance(index, Tensor) else ())


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


# ----- index_add, index_copy, index_fill ------------------------------------------------------
def _vector_index(index: Any, op: str, error: type[Exception] = IndexError) -> Any:
    """An int32/int64 index tensor of at most one dimension, as a 1-D array."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    idx = index._data
    if idx.dtype not in (xp.int32, xp.int64):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype}")
    if idx.ndim > 1:
        raise error(f"{op}(): Index is supposed to be a vector (or a scalar), got shape "
                    f"{tuple(idx.shape)}")
    return idx.reshape(-1)


def _along(input: Tensor, dim: int, idx: Any, op: str, negative: bool,
           error: type[Exception] = RuntimeError) -> tuple[Any, ...]:
    """The key input[..., idx, ...] (idx at ``dim``), bounds checked (negative: wrapped)."""
    dim = wrap_dim(dim, input._data.ndim, op)
    n = input._data.shape[dim] if input._data.ndim else 1
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < (-n if negative else 0):
            bad = hi if hi >= n else lo
            raise error(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {n}")
    return (slice(None),) * dim + (idx % n if negative and idx.size else idx,)


def _source(input: Tensor, dim: int, idx: Any, source: Any, op: str) -> Tensor:
    """Check ``source`` against input and index: same dtype and number of dims, len(index) at
    dim, input's sizes elsewhere."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): source must be a Tensor, got {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have "
                           f"the same scalar type")
    ishape, sshape = input._data.shape, source._data.shape
    d = wrap_dim(dim, len(ishape), op)
    if max(len(sshape), 1) != max(len(ishape), 1) or any(
            a != b for k, (a, b) in enumerate(zip(ishape, sshape, strict=False)) if k != d):
        raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, excluding "
                           f"the specified dimension. Got self.shape = {list(ishape)} "
                           f"source.shape = {list(sshape)}")
    n = sshape[d] if sshape else 1
    if n != idx.size:
        raise RuntimeError(f"{op}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {dim}")
    return source


def _index_write(input: Tensor, dim: int, index: Tensor, source: Any, op: str,
                 accumulate: bool, negative: bool, error: type[Exception]) -> Tensor:
    idx = _vector_index(index, op)
    flat = input._data.ndim == 0  # a 0-d tensor is indexed as a 1-element vector
    x = input.reshape(1) if flat else input
    if isinstance(source, Tensor):
        source = _source(input, dim, idx, source, op)
        source = source.reshape(-1) if flat else source
    key = _along(x, dim, idx, op, negative, error)
    out = IndexPut.apply(x, key, source, accumulate, False)
    return out.reshape(()) if flat else out


@tensor_method("index_add")
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: float = 1) -> Tensor:
    """A copy of input with input[..., index[i], ...] += alpha * source[..., i, ...] along dim
    (repeated indices add up)."""
    if alpha != 1 and isinstance(source, Tensor):
        _source(input, dim, _vector_index(index, "index_add_"), source, "index_add_")
        source = source * alpha
    return _index_write(input, dim, index, source, "index_add_", True, False, RuntimeError)


@tensor_method("index_copy")
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with input[..., index[i], ...] = source[..., i, ...] along dim."""
    return _index_write(input, dim, index, source, "index_copy_", False, False, IndexError)


@tensor_method("index_fill")
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of input with the slices input[..., index[i], ...] along dim set to ``value`` (a
    number or a 0-d tensor; its gradient is the sum of g over the filled positions)."""
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    if not isinstance(value, Tensor | int | float | bool | xp.number | xp.bool_):
        raise TypeError(f"index_fill(): value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    if isinstance(index, Tensor) and index._data.ndim > 1:
        raise RuntimeError(f"index_fill(): Index has to be a vector/scalar, got shape "
                           f"{tuple(index.shape)}")
    idx = _vector_index(index, "index_fill")
    flat = input._data.ndim == 0
    x = input.reshape(1) if flat else input
    key = _along(x, dim, idx, "index_fill", True, IndexError)
    # each position once: a repeated index must not count value's gradient twice
    key = (*key[:-1], xp.unique(key[-1]))
    out = IndexPut.apply(x, key, value, False, False)
    return out.reshape(()) if flat else out


# ----- masks -------------------------------------------------------------------------------------
def _bool_mask(mask: Any, op: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: mask must be a Tensor, got {type(mask).__name__}")
    if mask._data.dtype != xp.bool_:
        raise RuntimeError(f"{op}: expected BoolTensor for mask, got {mask.dtype}")
    return mask


def _broadcast(op: str, *ts: Tensor) -> tuple[int, ...]:
    try:
        return xp.broadcast_shapes(*(t._data.shape for t in ts))
    except ValueError:
        shown = " and ".join(str(tuple(t.shape)) for t in ts)
        raise RuntimeError(f"{op}: shapes {shown} cannot be broadcast together") from None


@tensor_method("masked_select")
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where mask is True (both broadcast), as a 1-D tensor."""
    mask = _bool_mask(mask, "masked_select")
    shape = _broadcast("masked_select", input, mask)
    m = xp.broadcast_to(mask._data, shape)
    return Index.apply(input.expand(shape), (m,), False)


@tensor_method("masked_scatter")
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input (broadcast with mask) whose elements where mask is True are the first
    elements of source, in row-major order."""
    mask = _bool_mask(mask, "masked_scatter")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter: source must be a Tensor, got {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    shape = _broadcast("masked_scatter", input, mask)
    m = xp.broadcast_to(mask._data, shape)
    count = int(m.sum())
    if source._data.size < count:
        raise RuntimeError(f"masked_scatter: Number of elements of source ({source._data.size}, "
                           f"shape {tuple(source.shape)}) < number of ones in mask ({count})")
    values = Slice.apply(source.reshape(-1), (slice(0, count),), True)
    return IndexPut.apply(input.expand(shape), (m,), values, False, False)


@tensor_method("nonzero")
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an int64 (count, ndim) tensor, or (as_tuple) one
    1-D tensor per dimension (a 0-d input counts as 1-D there)."""
    a = input._data
    if as_tuple:
        return tuple(Tensor._make(i.astype(xp.int64), False, None)
                     for i in xp.nonzero(a.reshape(-1) if a.ndim == 0 else a))
    return Tensor._make(xp.argwhere(a).astype(xp.int64), False, None)


@tensor_method("argwhere")
def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, an int64 (count, ndim) tensor (nonzero's)."""
    return nonzero(input)


# ----- take --------------------------------------------------------------------------------------
def _long_index(index: Any, op: str) -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be a Tensor, got {type(index).__name__}")
    if index._data.dtype != xp.int64:
        raise RuntimeError(f"{op}: Expected a long tensor for index, but got {index.dtype}")
    return index._data


@tensor_method("take")
def take(input: Tensor, index: Tensor) -> Tensor:
    """input.flatten()[index], shaped like index (negative indices count from the end)."""
    idx = _long_index(index, "take()")
    n = input._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        raise IndexError(f"take(): out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")
    return Index.apply(input.reshape(-1), (idx,), False)


@tensor_method("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """out[..., i, ...] = input[..., indices[..., i, ...], ...] along dim, input and indices
    broadcast over the other dims (dim None: of the flattened input)."""
    idx = _long_index(indices, "take_along_dim()")
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    nd = input._data.ndim
    if idx.ndim != nd:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {nd} dimensions for input, and {idx.ndim} "
                           f"dimensions for indices")
    d = wrap_dim(dim, nd, "take_along_dim")
    if nd == 0:
        return take(input, indices)
    ishape = list(input._data.shape)
    jshape = list(idx.shape)
    ishape[d] = jshape[d] = 1
    try:
        common = list(xp.broadcast_shapes(tuple(ishape), tuple(jshape)))
    except ValueError:
        raise RuntimeError(f"take_along_dim(): input {tuple(input.shape)} and indices "
                           f"{tuple(idx.shape)} cannot be broadcast apart from dimension {d}"
                           ) from None
    n = input._data.shape[d]
    x = input.expand(*common[:d], n, *common[d + 1:])
    idx = xp.broadcast_to(idx, (*common[:d], idx.shape[d], *common[d + 1:]))
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        raise IndexError(f"take_along_dim(): index {bad} is out of bounds for dimension {d} "
                         f"with size {n}")
    return Index.apply(x, _along_dim_key(idx % max(n, 1), d), False)


# ----- scatter_reduce --------------------------------------------------------------------------
_REDUCE_UFUNC = {"sum": xp.add, "prod": xp.multiply, "mean": xp.add, "amax": xp.maximum,
                 "amin": xp.minimum}


def _identity(reduce: str, dtype: Any) -> Any:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = xp.inf if dtype.kind == "f" else (xp.iinfo(dtype).max if dtype.kind in "iu" else True)
    low = -xp.inf if dtype.kind == "f" else (xp.iinfo(dtype).min if dtype.kind in "iu" else False)
    return low if reduce == "amax" else big


class ScatterReduce(Function):
    """out = input with out[key_i] = reduce(input[key_i] (include_self), the src_j sent there),
    key_i from the index along dim (scatter's). Gradients as PyTorch's scatter_reduce_backward:
    sum: g and g[key]; mean: g / N; amax/amin: g split evenly among the elements (self and src)
    equal to the result; prod: g * result / x, with the zeros handled exactly."""

    save_output = True

    @staticmethod
    def compute(a: Any, v: Any, key: tuple[Any, ...], reduce: str, include_self: bool) -> Any:
        return _scatter_reduce(a, v, key, reduce, include_self)[0]

    @staticmethod
    def forward(ctx: Node, x: Tensor, src: Tensor, key: tuple[Any, ...], reduce: str,
                include_self: bool) -> Any:
        out, count = _scatter_reduce(x._data, src._data, key, reduce, include_self)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, src)
            ctx.key, ctx.reduce, ctx.include_self, ctx.count = key, reduce, include_self, count
        return out

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None, None, None, None]:
        x, src = ctx.saved_tensors
        key, reduce = ctx.key, ctx.reduce
        if reduce == "sum":
            gx, gs = g, g[key]
        elif reduce == "mean":
            gx = g / ctx.count
            gs = gx[key]
        elif reduce in ("amax", "amin"):
            out = data(ctx.output)
            self_is = (data(x) == out).astype(out.dtype)
            src_is = (data(src) == out[key]).astype(out.dtype)
            n = self_is.copy()
            xp.add.at(n, key, src_is)  # how many elements (self and src) attain the result
            split = g / n
            gx, gs = split * self_is, split[key] * src_is
        else:  # prod: d/dx_i of a product is the product of the others
            out = ctx.output
            x_zero, src_zero = data(x) == 0, data(src) == 0
            nonzero_x = xp.where(x_zero, 1, x)
            gx = g * primitive(ScatterReduce, nonzero_x, src, key, "prod", ctx.include_self) \
                / nonzero_x
            zeros = xp.zeros(x_zero.shape, data(out).dtype)
            xp.add.at(zeros, key, src_zero)
            single = src_zero & (zeros[key] == 1)  # the only zero sent to its position
            without = primitive(ScatterReduce, x, xp.where(single, 1, src), key, "prod",
                                ctx.include_self)
            gs = xp.where(single, (g * without)[key], (g * out)[key] / xp.where(src_zero, 1, src))
        if not ctx.include_self:  # the scattered positions never read self
            gx = primitive(IndexPut, gx, key, 0.0, False, False)
        return gx, gs, None, None, None


def _scatter_reduce(a: Any, v: Any, key: tuple[Any, ...], reduce: str, include_self: bool
                    ) -> tuple[Any, Any]:
    """ScatterReduce's array, and for 'mean' the count each position was divided by."""
    out = a.copy()
    if not include_self:
        out[key] = _identity(reduce, a.dtype)
    _REDUCE_UFUNC[reduce].at(out, key, v)
    count = None
    if reduce == "mean":
        count = xp.full(a.shape, 1 if include_self else 0, a.dtype)
        xp.add.at(count, key, 1)
        count[count == 0] = 1
        out = out / count if a.dtype.kind == "f" else out // count
    return out, count


def _scatter_reduce_key(input: Tensor, dim: int, index: Tensor, src: Tensor, op: str
                        ) -> tuple[Tensor, Tensor, tuple[Any, ...], bool]:
    """(input, src, key, flat): 0-d operands as 1-element vectors, src cut to index's shape."""
    idx = _index_array(index, op)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: src must be a Tensor, got {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}: Expected self.dtype to be equal to src.dtype, got "
                           f"{input.dtype} and {src.dtype}")
    flat = input._data.ndim == 0
    if flat or idx.ndim == 0 or src._data.ndim == 0:
        if max(input._data.ndim, 1) != max(idx.ndim, 1):
            _scatter_gather_key(input, dim, idx, op)  # raises the ndim error
        wrap_dim(dim, 1, op)
        input, src, idx, dim = _as_1d(input), _as_1d(src), idx.reshape(-1), 0
    if src._data.ndim != idx.ndim:
        raise RuntimeError(f"{op}: index {tuple(idx.shape)} and src {tuple(src.shape)} must "
                           f"have the same number of dimensions")
    key = _scatter_gather_key(input, dim, idx, op, src._data.shape)
    if src._data.shape != idx.shape:
        src = src[tuple(slice(0, n) for n in idx.shape)]  # only src[:index.shape] is read
    return input, src, key, flat


@tensor_method("scatter_reduce")
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of input where each position that index sends src elements to (along dim, as
    scatter) holds reduce('sum', 'prod', 'mean', 'amax' or 'amin') of them, and of its own
    value when include_self. Integer 'mean' rounds down."""
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, mean, "
                           f"amax or amin, got {reduce}")
    x, s, key, flat = _scatter_reduce_key(input, dim, index, src, "scatter_reduce")
    out = ScatterReduce.apply(x, s, key, reduce, bool(include_self))
    return out.reshape(()) if flat else out


__all__ = [
    "argwhere", "gather", "index_add", "index_copy", "index_fill", "index_put", "index_select",
    "masked_scatter", "masked_select", "nonzero", "one_hot", "scatter", "scatter_add",
    "scatter_reduce", "select", "take", "take_along_dim",
]
