"""The array backend: the only module of the tensor engine that imports the array library.

Ops call ``xp.<function>`` (NumPy's API). A GPU library with the same API (CuPy, say) can be
swapped in here without touching the ops.

It also holds the dtypes and PyTorch's type promotion, written once: :func:`result_type`,
:func:`promote_types`, :func:`can_cast`, and the default floating dtype. Every op that combines
operands asks these (NumPy's own promotion differs: int64 with float32 gives float64 there,
a 0-d array is not weaker than an n-d one, and Python ints out of a dtype's range raise).
"""

from __future__ import annotations

import builtins
import ctypes
import math
import os
import sys
from typing import Any

import numpy

xp = numpy
ndarray = numpy.ndarray
AxisError = numpy.exceptions.AxisError


# ----- the C heap ------------------------------------------------------------------------------
def _pad_heap_top() -> None:
    """Keep 64 MB at the top of glibc's heap when memory is freed (``mallopt(M_TOP_PAD)``, what
    the ``MALLOC_TOP_PAD_`` environment variable does). By default glibc hands freed memory at
    the heap's top back to the system, and a training step that frees its temporaries then
    page-faults them back in on the next step: measured on the Conv1d step of
    bench/bench_nn_conv.py (1 thread, torch loaded too), 6.1 ms -> 2.2 ms, and LayerNorm's
    forward 1.3 ms -> 0.2 ms. Left alone where the user set MALLOC_TOP_PAD_ or
    CHAINRULE_MALLOC_TOP_PAD=0, and off glibc."""
    if sys.platform != "linux" or "MALLOC_TOP_PAD_" in os.environ or \
            os.environ.get("CHAINRULE_MALLOC_TOP_PAD") == "0":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(-2, 64 << 20)  # M_TOP_PAD = -2 in glibc's malloc.h


_pad_heap_top()


# ----- NumPy's floating-point error state ------------------------------------------------------
# PyTorch gives inf and nan silently; NumPy warns. The engine silences NumPy in one place: around
# every op's forward (Function.apply) and around the backward pass, with quiet_on()/quiet_off(),
# and with ``quiet()`` around the few computations done outside a Function (in-place fast path,
# isclose, multinomial). NumPy keeps its error state in a context variable; setting it to a
# prepared "ignore all" value costs about 0.24 us against 1.2 us for ``numpy.errstate``.
try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")

    def quiet_on() -> Any:
        """Silence NumPy's floating-point warnings in this context; returns a token."""
        return _extobj_contextvar.set(_IGNORE_ALL)

    quiet_off = _extobj_contextvar.reset  # quiet_off(token): the error state before quiet_on
except ImportError:  # a NumPy without the context variable: its public errstate, slower

    def quiet_on() -> Any:
        """Silence NumPy's floating-point warnings in this context; returns a token."""
        state = numpy.errstate(all="ignore")
        state.__enter__()
        return state

    def quiet_off(token: Any) -> None:
        token.__exit__(None, None, None)


class quiet:  # lower case: used like numpy.errstate
    """``with quiet():`` NumPy's floating-point warnings off (inf and nan silently)."""

    __slots__ = ("token",)

    def __enter__(self) -> None:
        self.token = quiet_on()

    def __exit__(self, *exc: object) -> None:
        quiet_off(self.token)


class DType:
    """A tensor element type, printed PyTorch-style (``chainrule.float32``)."""

    __slots__ = ("is_floating_point", "is_signed", "itemsize", "name", "np")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = numpy.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = DType("float16", numpy.float16)
float32 = DType("float32", numpy.float32)
float64 = DType("float64", numpy.float64)
int8 = DType("int8", numpy.int8)
int16 = DType("int16", numpy.int16)
int32 = DType("int32", numpy.int32)
int64 = DType("int64", numpy.int64)
uint8 = DType("uint8", numpy.uint8)
uint16 = DType("uint16", numpy.uint16)
uint32 = DType("uint32", numpy.uint32)
uint64 = DType("uint64", numpy.uint64)
bool_ = DType("bool", numpy.bool_)

DTYPES = (bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32,
          float64)
# PyTorch's other names for them (``chainrule.float`` is float32, ``chainrule.long`` int64)
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
           "short": int16, "bool": bool_}
_BY_NP = {d.np: d for d in DTYPES}
_BOOL, _INT64 = bool_.np, int64.np
# uint16/32/64 have PyTorch's limited support: they promote only with themselves and floats
_BAREBONES = frozenset((uint16.np, uint32.np, uint64.np))


# ----- the default floating dtype --------------------------------------------------------------
class _Defaults:
    """The dtype of Python floats in new tensors and in promotion (PyTorch's default dtype).
    Process-wide, as PyTorch's."""

    __slots__ = ("float",)

    def __init__(self) -> None:
        self.float = numpy.dtype(numpy.float32)


defaults = _Defaults()


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (float16, float32 or float64) the dtype of Python floats in new tensors and of
    floating results of integer operands (``int_tensor / 2``, ``int_tensor + 0.5``)."""
    np_dtype = to_np_dtype(d)
    if np_dtype.kind != "f":
        raise TypeError(
            f"set_default_dtype: only floating-point types are supported as the default type, "
            f"got {dtype_of_np(np_dtype)!r}"
        )
    defaults.float = np_dtype


def get_default_dtype() -> DType:
    """The dtype Python floats become (float32 unless set_default_dtype changed it)."""
    return _BY_NP[defaults.float]


# ----- dtype conversion ------------------------------------------------------------------------
def dtype_of_np(np_dtype: Any) -> DType:
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise TypeError(f"unsupported dtype {np_dtype} (chainrule has no {np_dtype} tensors)") \
            from None


def dtype_of(array: Any) -> DType:
    """The chainrule dtype of an array; unsupported array dtypes raise TypeError."""
    return dtype_of_np(array.dtype)


def to_np_dtype(dtype: Any) -> Any:
    """Accept a chainrule DType, a NumPy dtype or a Python type (``float`` is float64, ``int``
    int64, as in PyTorch); return the NumPy dtype. Others (complex, str, object, datetime)
    raise TypeError naming them."""
    if dtype is None:
        return None
    if isinstance(dtype, DType):
        return dtype.np
    if dtype is builtins.bool:
        return _BOOL
    if dtype is builtins.float:
        return numpy.dtype(numpy.float64)
    if dtype is builtins.int:
        return _INT64
    try:
        np_dtype = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if np_dtype not in _BY_NP:
        raise TypeError(
            f"unsupported dtype {dtype!r} ({np_dtype.name}): chainrule tensors hold bool, "
            f"integer or floating-point numbers only"
        )
    return np_dtype


# ----- PyTorch's promotion -------------------------------------------------------------------
def _category(d: Any) -> int:
    """bool < integer < floating."""
    k = d.kind
    return 0 if k == "b" else 2 if k == "f" else 1


def _promote_pair(a: Any, b: Any) -> Any:
    """PyTorch's promote_types on NumPy dtypes, from its rule: the higher category wins; within
    one, the smallest type holding both (NumPy's answer there: uint8 with int8 is int16)."""
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if (a in _BAREBONES or b in _BAREBONES) and max(ca, cb) < 2:
        return None  # PyTorch refuses these
    if ca != cb:
        return a if ca > cb else b
    return numpy.promote_types(a, b)


_PROMOTE = {(a.np, b.np): _promote_pair(a.np, b.np) for a in DTYPES for b in DTYPES}


def promote_np(a: Any, b: Any) -> Any:
    """:func:`promote_types` on NumPy dtypes (the ops' form)."""
    r = _PROMOTE[a, b]
    if r is None:
        raise RuntimeError(
            f"Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
            f"{_BY_NP[a].name} and {_BY_NP[b].name}"
        )
    return r


def promote_types(type1: Any, type2: Any) -> DType:
    """The smallest dtype both ``type1`` and ``type2`` convert to without leaving their category
    (bool < integer < floating), PyTorch's table: int8 with uint8 gives int16, int64 with float16
    float16."""
    return _BY_NP[promote_np(to_np_dtype(type1), to_np_dtype(type2))]


def _combine(higher: Any, lower: Any) -> Any:
    """PyTorch's combine_categories: a tier of operands (``lower``) changes the result of the
    tiers above it (``higher``) only if it brings a higher category."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_np(higher, lower)
    return higher


def scalar_np_dtype(x: Any) -> Any:
    """The dtype a number stands for in promotion: Python and NumPy floats the default dtype,
    ints int64, bools bool. (A NumPy bool counts as a float, as PyTorch reads it.)"""
    t = type(x)
    if t is builtins.float:
        return defaults.float
    if t is builtins.int:
        return _INT64
    if t is builtins.bool:
        return _BOOL
    if isinstance(x, numpy.integer):
        return _INT64
    if isinstance(x, numpy.floating | numpy.bool_ | builtins.float):
        return defaults.float
    if isinstance(x, builtins.int):  # an int subclass (IntEnum)
        return _BOOL if isinstance(x, builtins.bool) else _INT64
    raise TypeError(f"result_type: unsupported operand type {t.__name__}")


def result_np(operands: Any) -> Any:
    """:func:`result_type` on NumPy dtypes; operands are Tensors, arrays and numbers."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "_data", x)
        if isinstance(d, ndarray):
            if d.ndim:
                dim = d.dtype if dim is None else promote_np(dim, d.dtype)
            else:
                zero = d.dtype if zero is None else promote_np(zero, d.dtype)
        elif x is not None:
            s = scalar_np_dtype(x)
            wrapped = s if wrapped is None else promote_np(wrapped, s)
    if dim is None and zero is None and wrapped is None:
        raise TypeError("result_type: needs at least one operand")
    return _combine(dim, _combine(zero, wrapped))


def result_type(*operands: Any) -> DType:
    """The dtype PyTorch gives an op on ``operands`` (Tensors and numbers).

    The result's category (bool < integer < floating) is the highest among all operands. Its
    dtype is the promotion of the highest tier holding an operand of that category: tensors
    with dimensions, then 0-d tensors, then numbers, which give only their category (a Python
    float: the default dtype; an int: int64). So ``float32 * tensor(2., dtype=float64)`` is
    float32 and ``uint8_tensor + 300`` is uint8.
    """
    return _BY_NP[result_np(operands)]


def can_cast_np(src: Any, dst: Any) -> bool:
    """PyTorch's canCast: no floating to integer or bool, no non-bool to bool."""
    if src.kind == "f":
        return dst.kind == "f"
    return src.kind == "b" or dst.kind != "b"


def can_cast(from_: Any, to: Any) -> bool:
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor (PyTorch's
    rule: not floating into integer or bool, not integer into bool; narrowing is allowed)."""
    return can_cast_np(to_np_dtype(from_), to_np_dtype(to))


def int_range(np_dtype: Any) -> tuple[int, int]:
    info = numpy.iinfo(np_dtype)
    return int(info.min), int(info.max)


def wrap_int(v: int, np_dtype: Any) -> Any:
    """A Python int as ``np_dtype``, wrapping modulo 2^bits as a C cast (PyTorch's)."""
    bits = 8 * np_dtype.itemsize
    v %= 1 << bits
    if np_dtype.kind == "i" and v >= 1 << (bits - 1):
        v -= 1 << bits
    return np_dtype.type(v)


def check_python_int(v: int, op: str) -> None:
    """PyTorch's Scalar holds an int64 or a uint64: anything beyond is an OverflowError."""
    if not -(1 << 63) <= v < (1 << 64):
        raise OverflowError(f"{op}: the Python int {v} is too big to convert (it fits neither "
                            f"int64 nor uint64)")


# ----- finfo / iinfo ---------------------------------------------------------------------------
class finfo:
    """Machine limits of a floating dtype (the default dtype if none), as ``torch.finfo``."""

    def __init__(self, type: Any = None) -> None:
        np_dtype = defaults.float if type is None else to_np_dtype(type)
        if np_dtype.kind != "f":
            raise TypeError(
                f"finfo() requires a floating point input type, got {_BY_NP[np_dtype]!r}; "
                f"use iinfo for integer types"
            )
        info = numpy.finfo(np_dtype)
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision
        self.dtype = _BY_NP[np_dtype].name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``min``, ``max``, ``bits``), as ``torch.iinfo``."""

    def __init__(self, type: Any) -> None:
        np_dtype = to_np_dtype(type)
        if np_dtype.kind == "b":
            raise TypeError("chainrule.bool is not supported by iinfo")
        if np_dtype.kind not in "iu":
            raise TypeError(
                f"iinfo() requires an integer input type, got {_BY_NP[np_dtype]!r}; use finfo "
                f"for floating-point types"
            )
        self.bits = 8 * np_dtype.itemsize
        self.min, self.max = int_range(np_dtype)
        self.dtype = _BY_NP[np_dtype].name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# ----- arrays ----------------------------------------------------------------------------------
def _nested_kinds(data: Any, seen: set[type]) -> None:
    if isinstance(data, list | tuple):
        for x in data:
            _nested_kinds(x, seen)
    else:
        seen.add(type(data))


def _holds_float64(data: Any) -> bool:
    """Whether nested lists hold a NumPy float64 (a number or an array): PyTorch keeps float64
    then, where Python floats alone give the default dtype."""
    if isinstance(data, numpy.ndarray):
        return data.dtype == numpy.float64
    if not isinstance(data, list | tuple):
        return type(data) is numpy.float64
    kinds = set(map(type, data))  # one C-level pass over a flat list
    if numpy.float64 in kinds:
        return True
    if kinds.isdisjoint((list, tuple, numpy.ndarray)):
        return False
    return any(_holds_float64(x) for x in data if isinstance(x, list | tuple | numpy.ndarray))


def asarray(data: Any, dtype: Any = None) -> Any:
    """An array from nested lists, scalars or arrays, with PyTorch's default dtypes.

    Python floats become the default dtype (float32), ints int64, bools bool; an existing array
    or a NumPy number keeps its dtype unless ``dtype`` is given. Ints beyond int64 are an
    error, as in PyTorch.
    """
    np_dtype = to_np_dtype(dtype)
    if isinstance(data, numpy.ndarray):
        array = data if np_dtype is None else data.astype(np_dtype, copy=False)
    elif isinstance(data, numpy.generic) and np_dtype is None:
        array = numpy.asarray(data)
    else:
        try:
            array = numpy.asarray(data, dtype=np_dtype)
        except OverflowError:  # a Python int out of range: name it, as PyTorch
            values = numpy.asarray(data, dtype=object)
            _check_values(values)
            lo, hi = int_range(np_dtype) if np_dtype.kind in "iu" else (0, -1)
            for v in values.reshape(-1):
                if type(v) is builtins.int and not lo <= v <= hi:
                    raise RuntimeError(f"tensor: value {v} cannot be converted to type "
                                       f"{_BY_NP[np_dtype].name} without overflow") from None
            raise
        if array.dtype.kind == "O":
            _check_values(array)
        elif array.dtype.kind in "US":
            leaves: set[type] = set()
            _nested_kinds(data, leaves)
            if isinstance(data, list | tuple) and leaves <= {str, bytes}:
                raise ValueError("tensor: too many dimensions 'str' (a string is a sequence of "
                                 "characters, not a number)")
            raise TypeError("tensor: invalid data type 'str': a tensor holds numbers only")
        if np_dtype is None:
            # Python numbers give NumPy float64, int64 or bool; any other dtype came from NumPy
            # numbers in the lists (np.int16, np.float32 ...), and PyTorch keeps it
            if array.dtype == numpy.float64 and not _holds_float64(data):
                if array.size and not isinstance(data, builtins.float) and \
                        numpy.abs(array).max() >= 2.0**63:  # [1, 2**63] reads as float64
                    _check_values(numpy.asarray(data, dtype=object))
                array = array.astype(defaults.float)
            elif array.dtype == numpy.uint64:
                if array.size and array.max() >= 1 << 63:
                    _check_values(array.astype(object))  # NumPy read [2**63] as uint64
                array = array.astype(numpy.int64)
    if array.dtype not in _BY_NP:
        if array.dtype.kind == "O":
            raise TypeError(
                "tensor: could not convert the data to numbers (nested lists of unequal lengths "
                "or non-numeric objects?)"
            )
        raise TypeError(f"tensor: unsupported dtype {array.dtype} (chainrule has no "
                        f"{array.dtype.name} tensors)")
    return array


def _check_values(array: Any) -> None:
    """The errors PyTorch gives for an object array: a Python int outside int64 (ValueError,
    as PyTorch's 'Overflow when unpacking long'), or a non-number (TypeError)."""
    for v in array.reshape(-1):
        if type(v) is builtins.int and not -(1 << 63) <= v < (1 << 63):
            raise ValueError(
                f"tensor: Overflow when unpacking long: the value {v} does not fit in int64"
            )
        if isinstance(v, str | bytes):
            raise TypeError(f"tensor: invalid data type '{type(v).__name__}' (value {v!r}): "
                            f"a tensor holds numbers only")


def is_array(x: Any) -> bool:
    return isinstance(x, numpy.ndarray)


def default_rng(seed: int | None = None) -> Any:
    return numpy.random.default_rng(seed)


_SAME_SIZE_INT = {numpy.dtype(t): i for t, i in ((numpy.float16, numpy.int16),
                                                 (numpy.float32, numpy.int32),
                                                 (numpy.float64, numpy.int64))}


def keep_where(mask: Any, g: Any, source: Any = None) -> Any:
    """``g`` where the bool ``mask`` (an array, or a NumPy bool) is set, else 0:
    ``where(mask, g, 0)``, an exact selection (a nan in ``g`` where ``mask`` is off gives 0;
    ``g * mask`` would give nan).

    A derivative rule's vocabulary helper. On arrays (a backward pass that records nothing) it
    is a speed trick: NumPy's ``where`` branches per element, 3-10x slower than ``g * mask`` on
    random masks (measured on 64x128 and 100x25x40 float32), while this ANDs the float's bits
    with all-ones or all-zeros, about 1.5x the product. On Tensors (create_graph) it is
    ``where(mask, g, 0)``, recorded; ``source``, if given, is the tensor the mask was taken from
    and the result is recorded as a function of it too, with derivative 0 (as PyTorch's
    threshold_backward for relu: the gradient requires grad even where ``g`` does not). This is
    the one type test: every rule calls it the same way."""
    if type(g) is not numpy.ndarray:  # a Tensor, or a NumPy scalar from a 0-d rule
        if source is None:
            return numpy.where(mask, g, 0)
        # the zeros taken from source (where(mask, source, 0) is 0 wherever they are selected)
        return numpy.where(mask, g, numpy.where(mask, source, 0))
    it = _SAME_SIZE_INT.get(g.dtype)
    if it is None:
        return numpy.where(mask, g, 0).astype(g.dtype, copy=False)
    bits = numpy.array(mask, dtype=it)  # an array even for a 0-d mask (NumPy gives scalars)
    numpy.negative(bits, out=bits)  # True -> -1: every bit set
    try:
        numpy.bitwise_and(bits, g.view(it), out=bits)
    except ValueError:  # g has more elements than mask (the mask broadcasts): NumPy's where
        return numpy.where(mask, g, 0)
    return bits.view(g.dtype)


# ----- rB: spreading a gradient over broadcast dims -------------------------------------------
_SMALL = 4096  # elements: below this a filled array is cheaper than numpy.broadcast_to's view


def broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
    """``numpy.broadcast_to(g, shape)`` for a gradient rule (a sum's rule spreads g over the
    summed dims). On an array (or a NumPy scalar) of at most 4096 result elements, a new filled
    array: numpy.broadcast_to's view costs about 3 us, filling 4096 float32 elements about 1.5.
    Anything else (a Tensor: its expand) goes to numpy.broadcast_to itself. The one type branch
    is this speed trick; the result is the same either way."""
    if (type(g) is not ndarray and not isinstance(g, numpy.generic)) or math.prod(shape) > _SMALL:
        return numpy.broadcast_to(g, shape)
    out = numpy.empty(shape, g.dtype)
    out[...] = g
    return out
