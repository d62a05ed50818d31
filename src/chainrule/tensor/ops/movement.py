"""Shape and movement ops: reshape/view, expand, transpose/permute, squeeze/unsqueeze, cat, ...

Primitives (each with its rule): Reshape, Expand, Permute, Cat, Flip, Repeat; slicing is the
``Slice`` primitive of ops/index.py. The rest are compositions: transpose/T/mT/movedim are
permutes, squeeze/unsqueeze/flatten/unflatten reshapes, stack is unsqueeze + cat, split/chunk/
narrow/unbind are slices, pad writes x into a filled tensor (index_put) or reads it through
clamped/reflected indices (index_select).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import primitive, wrap_dim, wrap_dims
from chainrule.tensor.ops.elementwise import Where
from chainrule.tensor.ops.index import IndexPut, Slice, index_select
from chainrule.tensor.tensor import Tensor, tensor_method


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


class Reshape(Function):
    """y = x's elements in ``shape``, a view; dx = g in x's shape."""

    is_view = True

    @staticmethod
    def compute(a: Any, shape: tuple[int, ...]) -> Any:
        return a.reshape(shape)

    @staticmethod
    def forward(ctx: Node, a: Tensor, shape: tuple[int, ...]) -> Any:
        ctx.in_shape = a._data.shape
        return a._data.reshape(shape)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return g.reshape(ctx.in_shape), None


class ReshapeCopy(Reshape):
    """Reshape of an array whose strides allow no view (a transposed one, say): the result is a
    copy, as PyTorch's reshape gives then, so it is not marked a view."""

    is_view = False


def _reshape(a: Tensor, shape: tuple[int, ...], op: str = "reshape") -> Tensor:
    if a._data.flags.c_contiguous or xp.may_share_memory(a._data.reshape(shape), a._data):
        return Reshape.apply(a, shape)
    if op == "view":
        raise RuntimeError(
            f"view: shape {shape} is not compatible with the input's memory layout (shape "
            f"{tuple(a.shape)}, strides {a._data.strides}: not contiguous); use .reshape(...) "
            f"instead"
        )
    return ReshapeCopy.apply(a, shape)


class Expand(Function):
    """y = x broadcast to ``shape``, a view; dx = g summed over the broadcast dims (by apply)."""

    is_view = True

    @staticmethod
    def compute(a: Any, shape: tuple[int, ...]) -> Any:
        if shape == a.shape:
            return a.view()  # nothing repeated: writable, as PyTorch's
        return xp.broadcast_to(a, shape)

    @staticmethod
    def forward(ctx: Node, a: Tensor, shape: tuple[int, ...]) -> Any:
        return Expand.compute(a._data, shape)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return g, None  # summed back to the input's shape by Function.apply (sum_to)


def _check_shape(a: Tensor, shape: tuple[int, ...], op: str) -> None:
    n = a._data.size
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (shape.count(-1) == 0 and known != n) or (
        shape.count(-1) == 1 and (known == 0 or n % known)
    ):
        raise RuntimeError(
            f"{op}: shape {shape} is invalid for input of size {n} (shape {tuple(a.shape)})"
        )


@tensor_method("reshape")
def reshape(a: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one size may be -1: inferred); a view when the
    input's layout allows one, else a copy."""
    if not shape:
        raise TypeError("reshape() missing 1 required positional argument: 'shape'")
    shape = _shape_arg(shape)
    _check_shape(a, shape, "reshape")
    return _reshape(a, shape)  # a new tensor even for the same shape (its own grad_fn, hooks)


@tensor_method("view")
def view(a: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape, always a view (RuntimeError when the layout of a
    non-contiguous input allows none: use reshape)."""
    if not shape:
        raise TypeError("view() missing 1 required positional argument: 'size'")
    shape = _shape_arg(shape)
    _check_shape(a, shape, "view")
    return _reshape(a, shape, "view")


@tensor_method(["expand", "broadcast_to"])
def expand(a: Tensor, *shape: Any) -> Tensor:
    """A broadcast view of ``a`` with the given shape (-1 keeps a size)."""
    shape = _shape_arg(shape)
    lead = len(shape) - a._data.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({a._data.ndim}); shape {tuple(a.shape)}"
        )
    full = tuple(
        a._data.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(shape)
    )
    try:
        return Expand.apply(a, full)
    except ValueError:
        raise RuntimeError(
            f"expand: the expanded size {full} must match the existing size {tuple(a.shape)} at "
            f"each non-singleton dimension"
        ) from None


@tensor_method("view_as")
def view_as(a: Tensor, other: Tensor) -> Tensor:
    """``a`` viewed with ``other``'s shape."""
    return view(a, other._data.shape)


@tensor_method("reshape_as")
def reshape_as(a: Tensor, other: Tensor) -> Tensor:
    """``a`` reshaped to ``other``'s shape."""
    return reshape(a, other._data.shape)


@tensor_method("expand_as")
def expand_as(a: Tensor, other: Tensor) -> Tensor:
    """``a`` broadcast to ``other``'s shape."""
    return expand(a, other._data.shape)


@tensor_method("flatten")
def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one (a 0-d tensor becomes shape (1,))."""
    shape = a._data.shape
    if not shape:
        return Reshape.apply(a, (1,))
    s = wrap_dim(start_dim, len(shape), "flatten")
    e = wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                           f"({end_dim}) for a tensor of shape {tuple(shape)}")
    new = (*shape[:s], math.prod(shape[s:e + 1]), *shape[e + 1:])
    return a if new == shape else _reshape(a, new)


@tensor_method("unflatten")
def unflatten(a: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dimension ``dim`` split into ``sizes`` (one may be -1)."""
    d = wrap_dim(dim, a._data.ndim, "unflatten")
    shape = a._data.shape
    sizes = tuple(int(n) for n in sizes)
    n = shape[d]
    known = math.prod(s for s in sizes if s != -1)
    if not sizes or sizes.count(-1) > 1 or (-1 not in sizes and known != n) or (
        -1 in sizes and (known == 0 or n % known)
    ):
        raise RuntimeError(f"unflatten: sizes {sizes} don't multiply up to the size of dim {d} "
                           f"({n}) of the input of shape {tuple(shape)}")
    if -1 in sizes:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(a, (*shape[:d], *sizes, *shape[d + 1:]))


@tensor_method("squeeze")
def squeeze(a: Tensor, dim: Any = None) -> Tensor:
    """A view without the size-1 dimensions (those in ``dim`` only, an int or a tuple)."""
    shape = a._data.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = wrap_dims(dim, len(shape), "squeeze")
        new = tuple(n for i, n in enumerate(shape) if n != 1 or i not in dims)
    return Reshape.apply(a, new)


@tensor_method("unsqueeze")
def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """A view with a size-1 dimension inserted at ``dim`` (in [-ndim-1, ndim])."""
    shape = a._data.shape
    d = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return Reshape.apply(a, (*shape[:d], 1, *shape[d:]))


# ----- permutations --------------------------------------------------------------------------
class Permute(Function):
    """y = x with its dimensions reordered (y's dim i is x's dims[i]), a view; dx = g permuted
    back by the inverse permutation."""

    is_view = True

    @staticmethod
    def compute(a: Any, dims: tuple[int, ...]) -> Any:
        return a.transpose(dims)

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        return a._data.transpose(dims)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        dims = ctx.dims
        inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))  # argsort(dims)
        return xp.transpose(g, inverse), None


def _dims_arg(dims: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(dims) == 1 and isinstance(dims[0], tuple | list):
        return tuple(dims[0])
    return dims


@tensor_method("permute")
def permute(a: Tensor, *dims: Any) -> Tensor:
    """A view with the dimensions reordered: result dim i is input dim dims[i]."""
    dims = _dims_arg(dims)
    nd = a._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute: the number of dims ({len(dims)}: {dims}) does not match "
                           f"the tensor's ({nd}: shape {tuple(a.shape)})")
    w = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(w)) != nd:
        raise RuntimeError(f"permute: duplicate dims are not allowed, got {dims}")
    return Permute.apply(a, w)


@tensor_method(["transpose", "swapaxes", "swapdims"])
def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dimensions dim0 and dim1 swapped."""
    nd = a._data.ndim
    d0 = wrap_dim(dim0, nd, "transpose")
    d1 = wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    if nd:
        dims[d0], dims[d1] = d1, d0
    return Permute.apply(a, tuple(dims))


@tensor_method("movedim")
def movedim(a: Tensor, source: Any, destination: Any) -> Tensor:
    """A view with dimensions ``source`` moved to positions ``destination`` (others in order)."""
    nd = a._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: invalid source or destination dims: source ({src}) and "
                           f"destination ({dst}) must have the same number of elements")
    src = tuple(wrap_dim(d, nd, "movedim") for d in src)
    dst = tuple(wrap_dim(d, nd, "movedim") for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination "
                           f"{destination}")
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return permute(a, order)


def _T(a: Tensor) -> Tensor:
    """All dimensions reversed (PyTorch deprecates it for ndim != 2 but allows it)."""
    nd = a._data.ndim
    return Permute.apply(a, tuple(range(nd - 1, -1, -1)))


def _mT(a: Tensor) -> Tensor:
    """The last two dimensions swapped (a batch of matrices transposed)."""
    nd = a._data.ndim
    if nd < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices; got "
                           f"a {nd}-D tensor of shape {tuple(a.shape)}")
    return Permute.apply(a, (*range(nd - 2), nd - 1, nd - 2))


tensor_method("T")(property(_T, doc=_T.__doc__))
tensor_method("mT")(property(_mT, doc=_mT.__doc__))


# ----- joining -------------------------------------------------------------------------------
class Cat(Function):
    """y = the inputs joined along dim; each input's gradient is its own slab of g."""

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        dim = args[-1]
        arrays = [t._data for t in args[:-1]]
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.sizes = [x.shape[dim] for x in arrays]
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, ...]:
        grads: list[Tensor | None] = []
        start = 0
        lead = (slice(None),) * ctx.dim
        for needed, n in zip(ctx.needs_input_grad, ctx.sizes, strict=False):
            grads.append(g[(*lead, slice(start, start + n))] if needed else None)
            start += n
        return (*grads, None)


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a sequence of tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a sequence of tensors, got {type(t).__name__} at "
                            f"position {i}")
    return tensors


def _shapes(tensors: Sequence[Tensor]) -> str:
    shapes = [str(tuple(t.shape)) for t in tensors]
    return shapes[0] if len(shapes) == 1 else ", ".join(shapes[:-1]) + " and " + shapes[-1]


def _promote(tensors: list[Tensor]) -> list[Tensor]:
    """PyTorch's promotion for joined tensors: promote_types over all of them (bool < int <
    float, then the smallest type holding both; 0-d tensors are not weaker here)."""
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    target = functools.reduce(backend.promote_np, dtypes)
    return [t if t._data.dtype == target else t.to(dtype=target) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along ``dim`` (all other sizes equal)."""
    tensors = _tensor_list(tensors, "cat")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    # legacy PyTorch rule: a 1-D empty tensor is skipped, whatever the others' shapes
    kept = [t for t in tensors if t._data.shape != (0,)]
    if kept and len(kept) != len(tensors) and any(t._data.ndim != 1 for t in kept):
        tensors = kept
    d = wrap_dim(dim, tensors[0]._data.ndim, "cat")
    tensors = _promote(tensors)
    try:
        return Cat.apply(*tensors, d)
    except ValueError:
        if len({t._data.ndim for t in tensors}) > 1:
            raise RuntimeError(f"cat: tensors must have the same number of dimensions: got "
                               f"{_shapes(tensors)}") from None
        raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}: got "
                           f"{_shapes(tensors)}") from None


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got "
                               f"{tuple(shape)} at entry 0 and {tuple(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    new = (*shape[:d], 1, *shape[d:])
    return cat([Reshape.apply(t, new) for t in tensors], d)


# ----- splitting -----------------------------------------------------------------------------
def _slab(a: Tensor, dim: int, start: int, stop: int) -> Tensor:
    return Slice.apply(a, (*(slice(None),) * dim, slice(start, stop)), True)


@tensor_method("narrow")
def narrow(a: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of elements start..start+length-1 along ``dim``."""
    if a._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, a._data.ndim, "narrow")
    n = a._data.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-n}, {n}], "
                         f"but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}) of dim {d} (shape {tuple(a.shape)})")
    return _slab(a, d, start, start + length)


def _split_sizes(n: int, split_size: int, d: int, shape: tuple[int, ...]) -> list[int]:
    if split_size < 0:
        raise RuntimeError(f"split: split_size must be non-negative, got {split_size}")
    if split_size == 0:
        if n:
            raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0, but "
                               f"dim {d} of the tensor of shape {tuple(shape)} has size {n}")
        return [0]
    if n == 0:
        return [0]  # PyTorch: one empty piece
    return [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])


@tensor_method("split")
def split(a: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
          ) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: of size split_size (the last may be smaller)
    or of the given section sizes."""
    if a._data.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, a._data.ndim, "split")
    n = a._data.shape[d]
    if isinstance(split_size_or_sections, int | xp.integer):
        sizes = _split_sizes(n, int(split_size_or_sections), d, a._data.shape)
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(size of dim {d} of the tensor of shape {tuple(a.shape)}), but "
                               f"got split_sizes={sizes}")
    out = []
    start = 0
    for s in sizes:
        out.append(_slab(a, d, start, start + s))
        start += s
    return _several_views(out)


def _several_views(views: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """The views one call returned together (split, chunk, unbind): PyTorch refuses in-place
    writes into them while they require grad (Tensor._check_inplace)."""
    for v in views:
        v._multi_view = True
    return tuple(views)


@tensor_method("chunk")
def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of equal size ceil(n / chunks) along ``dim`` (last smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if a._data.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, a._data.ndim, "chunk")
    n = a._data.shape[d]
    if n == 0:  # PyTorch: ``chunks`` empty pieces
        return _several_views([_slab(a, d, 0, 0) for _ in range(chunks)])
    return split(a, -(-n // chunks), d)


@tensor_method("unbind")
def unbind(a: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of every slice along ``dim`` (that dimension removed)."""
    if a._data.ndim == 0:
        raise RuntimeError("unbind: dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, a._data.ndim, "unbind")
    lead = (slice(None),) * d
    return _several_views([Slice.apply(a, (*lead, i), True) for i in range(a._data.shape[d])])


# ----- flip, repeat, pad ---------------------------------------------------------------------
class Flip(Function):
    """y = x with the order of elements reversed along dims (a copy); dx = g flipped back."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, dims: tuple[int, ...]) -> Any:
        ctx.dims = dims
        return xp.flip(a._data, dims).copy()  # a copy, as PyTorch's: it must not alias a

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return xp.flip(g, ctx.dims), None  # a permutation of elements: its own inverse


@tensor_method("flip")
def flip(a: Tensor, *dims: Any) -> Tensor:
    """A copy with the order of elements reversed along ``dims``."""
    nd = a._data.ndim
    dims = tuple(d for d in wrap_dims(_dims_arg(dims), nd, "flip") if d < nd)
    return Flip.apply(a, dims)


class Repeat(Function):
    """y = x tiled sizes[i] times along dim i; dx = the sum of g's tiles."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, sizes: tuple[int, ...]) -> Any:
        ctx.in_shape = a._data.shape
        ctx.sizes = sizes
        return xp.tile(a._data, sizes)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        # out[r_0 s_0 + i_0, ...] = x[i_0, ...]: view g as (r_0, s_0, r_1, s_1, ...), sum the r's
        sizes = ctx.sizes
        shape = (1,) * (len(sizes) - len(ctx.in_shape)) + ctx.in_shape
        inter = tuple(n for pair in zip(sizes, shape, strict=True) for n in pair)
        # (.sum's first argument is the dims for arrays and Tensors alike)
        return g.reshape(inter).sum(tuple(range(0, len(inter), 2))).reshape(ctx.in_shape), None


@tensor_method("repeat")
def repeat(a: Tensor, *sizes: Any) -> Tensor:
    """``a`` tiled sizes[i] times along dim i (np.tile; leading sizes add new dims)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < a._data.ndim:
        raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}: "
                           f"{sizes}) can not be smaller than number of dimensions of tensor "
                           f"({a._data.ndim}: shape {tuple(a.shape)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeat sizes must be non-negative, got {sizes}")
    return Repeat.apply(a, sizes)


@tensor_method("tile")
def tile(a: Tensor, *dims: Any) -> Tensor:
    """``a`` tiled dims[i] times along dim i (missing leading dims count as 1)."""
    dims = _shape_arg(dims)
    return repeat(a, (1,) * (a._data.ndim - len(dims)) + dims)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(n: int, left: int, right: int, mode: str, d: int, shape: Any) -> Any:
    """Which input element each output position j in [-left, n + right) reads."""
    j = xp.arange(-left, n + right)
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(f"pad: padding size should be less than the corresponding input "
                               f"dimension, but got padding ({left}, {right}) at dimension {d} "
                               f"of input of shape {tuple(shape)}")
        return (n - 1) - xp.abs((n - 1) - xp.abs(j))
    if n == 0:
        raise RuntimeError(f"pad: {mode} padding of the empty dimension {d} of an input of "
                           f"shape {tuple(shape)}")
    if mode == "replicate":
        return xp.clip(j, 0, n - 1)
    if left > n or right > n:
        raise RuntimeError(f"pad: padding ({left}, {right}) at dimension {d} of input of shape "
                           f"{tuple(shape)} would wrap around more than once (circular)")
    return j % n


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """torch.nn.functional.pad: pad = (left, right) for the last dim, then the one before, ...;
    negative pads crop. Modes: constant (fill ``value``), reflect, replicate, circular (these
    three for any number of padded dims, a superset of PyTorch's)."""
    pad = tuple(int(p) for p in pad)
    shape = input._data.shape
    nd = len(shape)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {pad}")
    if len(pad) // 2 > nd:
        raise RuntimeError(f"pad: padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"shape {tuple(shape)}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}; expected one of "
                                  f"{', '.join(_PAD_MODES)}")
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for d, (left, right) in enumerate(widths):
        if min(left, right) < -shape[d]:
            raise RuntimeError(f"pad: negative padding ({left}, {right}) crops more than the "
                               f"size {shape[d]} of dimension {d} of the input of shape "
                               f"{tuple(shape)}")
        if shape[d] + left + right < 0:
            raise RuntimeError(f"pad: the input size {shape[d]}, plus negative padding {left} "
                               f"and {right} resulted in a negative output size, which is "
                               f"invalid. Check dimension {d} of your input of shape "
                               f"{tuple(shape)}")
    if mode != "constant":
        if value not in (None, 0, 0.0):
            raise ValueError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
        x = input
        for d, (left, right) in enumerate(widths):
            if left or right:
                idx = _pad_index(shape[d], left, right, mode, d, shape)
                x = index_select(x, d, Tensor._make(idx, False, None))
        return x if x is not input else input.clone()
    # constant: crop the negative pads, then write x into a tensor filled with value
    crop = tuple(slice(max(-left, 0), n - max(-right, 0))
                 for n, (left, right) in zip(shape, widths, strict=True))
    x = input
    if any(left < 0 or right < 0 for left, right in widths):
        x = Slice.apply(input, crop, True)
    if not any(left > 0 or right > 0 for left, right in widths):
        return x.clone()
    out_shape = tuple(n + left + right for n, (left, right) in zip(shape, widths, strict=True))
    filled = Tensor._make(xp.full(out_shape, 0 if value is None else value, input._data.dtype),
                          False, None)
    at = tuple(slice(max(left, 0), max(left, 0) + n)
               for n, (left, _) in zip(x._data.shape, widths, strict=True))
    return IndexPut.apply(filled, at, x, False, True)


# ----- diagonals, triangles ------------------------------------------------------------------
def _diagonal_view(a: Any, offset: int, d1: int, d2: int) -> Any:
    """The diagonal a[..., i, ..., i + offset, ...] of dims d1, d2 as the last dim of a strided
    view of ``a`` (writable when ``a`` is, unlike NumPy's read-only ``diagonal``)."""
    shape, strides = a.shape, a.strides
    n1, n2 = shape[d1], shape[d2]
    length = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
    rest = [k for k in range(a.ndim) if k not in (d1, d2)]
    start = a
    if length:  # step to the diagonal's first element
        first = [slice(None)] * a.ndim
        first[d2 if offset >= 0 else d1] = slice(abs(offset), None)
        start = a[tuple(first)]
    return xp.lib.stride_tricks.as_strided(
        start, (*(shape[k] for k in rest), length),
        (*(strides[k] for k in rest), strides[d1] + strides[d2]),
        writeable=a.flags.writeable)


class Diagonal(Function):
    """y[..., i] = x[..., i, ..., i + offset, ...] (dims d1, d2): a view of x. Its adjoint
    writes g back on the diagonal of zeros (DiagonalEmbed)."""

    is_view = True

    compute = staticmethod(_diagonal_view)

    @staticmethod
    def forward(ctx: Node, a: Tensor, offset: int, d1: int, d2: int) -> Any:
        ctx.in_shape = a._data.shape
        ctx.diag = (offset, d1, d2)
        return _diagonal_view(a._data, offset, d1, d2)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        return primitive(DiagonalEmbed, g, ctx.in_shape, *ctx.diag), None, None, None


class DiagonalEmbed(Function):
    """y = zeros(shape) with its diagonal (offset, d1, d2) = v; dv = the diagonal of g."""

    @staticmethod
    def compute(v: Any, shape: tuple[int, ...], offset: int, d1: int, d2: int) -> Any:
        out = xp.zeros(shape, v.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = v
        return out

    @staticmethod
    def forward(ctx: Node, v: Tensor, shape: tuple[int, ...], offset: int, d1: int,
                d2: int) -> Any:
        ctx.diag = (offset, d1, d2)
        return DiagonalEmbed.compute(v._data, shape, offset, d1, d2)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None, None]:
        return xp.diagonal(g, *ctx.diag), None, None, None, None


def _diag_dims(dim1: int, dim2: int, ndim: int, op: str) -> tuple[int, int]:
    d1, d2 = wrap_dim(dim1, ndim, op), wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@tensor_method("diagonal")
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal input[..., i, ..., i + offset, ...] of dims dim1 and dim2, as the
    last dimension (offset > 0: above the main diagonal)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor with at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    d1, d2 = _diag_dims(dim1, dim2, input._data.ndim, "diagonal")
    return Diagonal.apply(input, int(offset), d1, d2)


@tensor_method("diag_embed")
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros whose diagonal (offset, dims dim1 and dim2 of the result) holds input's last
    dimension: diagonal(diag_embed(x, o, d1, d2), o, d1, d2) == x."""
    nd = input._data.ndim + 1
    d1, d2 = _diag_dims(dim1, dim2, nd, "diag_embed")
    offset = int(offset)
    lead = input._data.shape[:-1] if input._data.ndim else ()
    n = (input._data.shape[-1] if input._data.ndim else 1) + abs(offset)
    rest = iter(lead)
    shape = tuple(n if k in (d1, d2) else next(rest) for k in range(nd))
    return DiagonalEmbed.apply(input if input._data.ndim else input.reshape(1), shape, offset, d1,
                               d2)


@tensor_method("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: the square matrix with input on its ``diagonal``-th diagonal; 2-D input: a copy
    of that diagonal."""
    nd = input._data.ndim
    if nd == 1:
        return diag_embed(input, diagonal, 0, 1)
    if nd == 2:
        return Diagonal.apply(input, int(diagonal), 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D (shape "
                       f"{tuple(input.shape)})")


def _triangle(input: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(shape)}")
    n, m = shape[-2:]
    keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1, dtype=bool)
    # a selection, not a product with the mask: inf and nan outside the triangle become 0
    return Where.apply(Tensor._make(keep, False, None), input, xp.zeros((), input._data.dtype))


@tensor_method("tril")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims: x[..., i, j] where j <= i + diagonal, else 0."""
    return _triangle(input, int(diagonal), True, "tril")


@tensor_method("triu")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims: x[..., i, j] where j >= i + diagonal, else 0."""
    return _triangle(input, int(diagonal), False, "triu")


# ----- flips, rotations, rolls ---------------------------------------------------------------
@tensor_method("fliplr")
def fliplr(input: Tensor) -> Tensor:
    """A copy with dim 1 reversed (left/right)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(input.shape)}")
    return Flip.apply(input, (1,))


@tensor_method("flipud")
def flipud(input: Tensor) -> Tensor:
    """A copy with dim 0 reversed (up/down)."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
    return Flip.apply(input, (0,))


class _PermuteOwned(Permute):
    """A permutation of a fresh intermediate that only the result uses: not a view (as the
    in-place transpose_ that PyTorch's rot90 applies to its flip)."""

    is_view = False


@tensor_method("rot90")
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """A copy rotated by k * 90 degrees in the plane of ``dims``, from dims[0] towards dims[1]."""
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd, "rot90"), wrap_dim(dims[1], nd, "rot90")
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    k = int(k) % 4
    if k == 0:
        return input.clone()
    if k == 2:
        return Flip.apply(input, tuple(sorted((d0, d1))))
    order = list(range(nd))
    order[d0], order[d1] = d1, d0
    return _PermuteOwned.apply(Flip.apply(input, (d1 if k == 1 else d0,)), tuple(order))


@tensor_method("roll")
def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
         ) -> Tensor:
    """A copy with elements shifted cyclically: out[(i + shift) % n] = x[i] along each dim (all
    elements in flattened order when dims is None)."""
    shifts_t = (shifts,) if isinstance(shifts, int | xp.integer) else tuple(shifts)
    dims_t = () if dims is None else (dims,) if isinstance(dims, int | xp.integer) else tuple(dims)
    if len(shifts_t) != len(dims_t) and not (dims is None and len(shifts_t) == 1):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, "
                           f"dims:{len(dims_t)}")
    if dims is None:
        return roll(input.flatten(), shifts_t[0], 0).view(input._data.shape)
    out = input
    for s, d in zip(shifts_t, dims_t, strict=True):
        d = wrap_dim(d, input._data.ndim, "roll")
        n = input._data.shape[d] if input._data.ndim else 1
        s = int(s) % n if n else 0
        if s:  # the last s elements move to the front
            out = cat([_slab(out, d, n - s, n), _slab(out, d, 0, n - s)], d)
    return out.clone() if out is input else out


@tensor_method("repeat_interleave")
def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each slice along ``dim`` repeated repeats[i] times in place (dim None: of the flattened
    input). With a single integer tensor argument: arange(n) repeated input[i] times."""
    if repeats is None:  # repeat_interleave(repeats): the indices, repeated
        counts = input
        input = Tensor._make(xp.arange(counts._data.shape[0] if counts._data.ndim else 1,
                                       dtype=xp.int64), False, None)
        repeats, dim = counts, 0
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim(dim, input._data.ndim, "repeat_interleave")
    n = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got "
                               f"{repeats.dtype}")
        if r.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got "
                               f"shape {tuple(r.shape)}")
        if r.ndim == 1 and r.shape[0] not in (1, n):
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                               f"along dim, but got repeats.size(0) = {r.shape[0]} and "
                               f"input.size({dim}) = {n}")
        if r.size and r.min() < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        r = r.reshape(-1)
    else:
        r = int(repeats)
        if r < 0:
            raise RuntimeError(f"repeat_interleave: Repeats must be non-negative, got {r}")
    idx = xp.repeat(xp.arange(n), r)
    if output_size is not None and output_size != idx.size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {idx.size} but "
                           f"got {output_size}")
    if input._data.ndim == 0:
        input = input.reshape(1)
    return index_select(input, d, Tensor._make(idx, False, None))


# ----- windows -------------------------------------------------------------------------------
class Unfold(Function):
    """y[..., j, ..., k] = x[..., j * step + k, ...] (windows of ``size`` along dim, k last):
    a strided view of x. Its adjoint adds each window's gradient back (UnfoldBackward)."""

    is_view = True

    @staticmethod
    def compute(x: Any, dim: int, size: int, step: int) -> Any:
        shape = list(x.shape)
        shape[dim] = (shape[dim] - size) // step + 1
        strides = list(x.strides)
        strides[dim] *= step
        return xp.lib.stride_tricks.as_strided(
            x, (*shape, size), (*strides, x.strides[dim]), writeable=x.flags.writeable)

    @staticmethod
    def forward(ctx: Node, a: Tensor, dim: int, size: int, step: int) -> Any:
        ctx.in_shape = a._data.shape
        ctx.window = (dim, size, step)
        return Unfold.compute(a._data, dim, size, step)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None]:
        return primitive(UnfoldBackward, g, ctx.in_shape, *ctx.window), None, None, None


class UnfoldBackward(Function):
    """y = zeros(shape) with y[..., j * step + k, ...] += v[..., j, ..., k]: overlapping windows
    add up. Its adjoint is Unfold."""

    @staticmethod
    def compute(v: Any, shape: tuple[int, ...], dim: int, size: int, step: int) -> Any:
        out = xp.zeros(shape, v.dtype)
        count = v.shape[dim]
        lead = (slice(None),) * dim
        for k in range(size):  # window offset k: positions k, k + step, ..., one per window
            out[(*lead, slice(k, k + step * (count - 1) + 1, step))] += v[..., k]
        return out

    @staticmethod
    def forward(ctx: Node, v: Tensor, shape: tuple[int, ...], dim: int, size: int,
                step: int) -> Any:
        ctx.window = (dim, size, step)
        return UnfoldBackward.compute(v._data, shape, dim, size, step)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None, None]:
        return primitive(Unfold, g, *ctx.window), None, None, None, None


def _unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of every window of ``size`` elements along ``dimension``, ``step`` apart, as a new
    last dimension (Tensor.unfold)."""
    size, step = int(size), int(step)
    if input._data.ndim == 0:
        wrap_dim(dimension, 0, "unfold")
        if size > 1:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension 0 is 1 but size is "
                               f"{size}")
        return _unfold(input.reshape(1), 0, size, step).reshape(size)
    d = wrap_dim(dimension, input._data.ndim, "unfold")
    n = input._data.shape[d]
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is "
                           f"{size} (shape {tuple(input.shape)})")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    return Unfold.apply(input, d, size, step)


tensor_method("unfold")(_unfold)


# ----- stacking ------------------------------------------------------------------------------
def _atleast(ndim: int, tensors: tuple[Any, ...]) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = [tensors[0]] if single else list(
        tensors[0] if len(tensors) == 1 and isinstance(tensors[0], Sequence) else tensors)
    out = []
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"atleast_{ndim}d: expected Tensors, got {type(t).__name__}")
        shape = t._data.shape
        if len(shape) < ndim:
            if not shape:
                shape = (1,) * ndim
            elif len(shape) == 1:  # a vector is a row, or stands in the middle (3-D), as NumPy's
                shape = (1, *shape, 1) if ndim == 3 else (1, *shape)
            else:
                shape = (*shape, 1)
            t = Reshape.apply(t, shape)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 1 dimension (0-d becomes shape (1,))."""
    return _atleast(1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 2 dimensions ((n,) becomes (1, n))."""
    return _atleast(2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 3 dimensions ((n,) becomes (1, n, 1), (m, n) (m, n, 1))."""
    return _atleast(3, tensors)


def _stack_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Sequence) and not isinstance(tensors, Tensor) and not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return _tensor_list(tensors, op)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors (at least 1-D) joined along dim 1, or dim 0 when they are all 1-D."""
    ts = _atleast(1, (_stack_list(tensors, "hstack"),))
    if len({t._data.ndim for t in ts}) > 1:
        raise RuntimeError(f"hstack: tensors must have the same number of dimensions: got "
                           f"{_shapes(ts)}")
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors (at least 2-D: (n,) becomes (1, n)) joined along dim 0."""
    return cat(_atleast(2, (_stack_list(tensors, "vstack"),)), 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors (at least 3-D) joined along dim 2."""
    return cat(_atleast(3, (_stack_list(tensors, "dstack"),)), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined along dim 1, 0-d and 1-D ones first made columns (n, 1)."""
    ts = _stack_list(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t._data.ndim < 2 else t for t in ts], 1)


__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "cat", "chunk", "column_stack",
    "concat", "concatenate", "diag", "diag_embed", "diagonal", "dstack", "expand", "expand_as",
    "flatten", "flip", "fliplr", "flipud", "hstack", "movedim", "narrow", "pad", "permute",
    "repeat", "repeat_interleave", "reshape", "roll", "rot90", "row_stack", "split", "squeeze",
    "stack", "swapaxes", "swapdims", "tile", "transpose", "tril", "triu", "unbind", "unflatten",
    "unsqueeze", "vstack",
]
broadcast_to = expand
swapaxes = swapdims = transpose
