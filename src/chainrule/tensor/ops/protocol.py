"""NumPy's functions on Tensors: ``__array_ufunc__`` and ``__array_function__``.

This is what lets a built-in derivative rule be written once, in NumPy's vocabulary: in a
backward pass that records nothing the rule runs on bare arrays (NumPy's speed), and under
``create_graph`` the same text runs on Tensors, where ``xp.exp(y)``, ``xp.where(m, g, 0)`` or
``xp.broadcast_to(g, shape)`` dispatch here to chainrule's differentiable ops. Users get the same:
``numpy.exp(t)`` is ``chainrule.exp(t)``, a Tensor with its graph.

The tables map NumPy's names to chainrule's (most are equal). Plain NumPy arrays among the
arguments become constants (no graph). A NumPy function with no
entry here runs as before on the tensors' arrays (``__array__``), and a ufunc with no entry, or
called with ``out=`` or as ``reduce``/``at``, raises TypeError naming it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.ops._util import const
from chainrule.tensor.tensor import Tensor

# NumPy's ufunc names where chainrule's differ; every other ufunc is looked up by its own name
_UFUNC_NAMES = {
    "subtract": "sub", "multiply": "mul", "true_divide": "div", "divide": "div",
    "negative": "neg", "power": "pow", "absolute": "abs", "fabs": "abs", "arctan2": "atan2",
    "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "equal": "eq",
    "not_equal": "ne", "rint": "round", "conjugate": "positive", "conj": "positive",
}


_REFLECTED = {
    "add": "__radd__", "subtract": "__rsub__", "multiply": "__rmul__",
    "true_divide": "__rtruediv__", "divide": "__rtruediv__", "power": "__rpow__",
    "floor_divide": "__rfloordiv__", "remainder": "__rmod__",
}


def _arg(x: Any) -> Any:
    """A NumPy array as a constant Tensor (NumPy scalars stay: ops take them as numbers)."""
    if type(x) is xp.ndarray:
        return const(x)
    if isinstance(x, list | tuple):
        return type(x)(_arg(e) for e in x)
    return x


def _square(x: Tensor) -> Tensor:
    return x * x


def _reciprocal(x: Tensor) -> Tensor:
    return 1 / x


_SPECIAL_UFUNCS: dict[str, Callable] = {"square": _square, "reciprocal": _reciprocal}


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``numpy.<ufunc>(...)`` with a Tensor among the inputs: chainrule's op of that name."""
    name = ufunc.__name__
    if method == "accumulate" and name in _ACCUMULATE and kwargs.pop("out", None) is None:  # rB
        return _accumulate(name, *inputs, **kwargs)
    if method != "__call__" or kwargs.get("out") is not None:
        raise TypeError(f"numpy.{name}.{method}(out=...) is not supported on chainrule Tensors; "
                        f"call chainrule's op instead")
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"numpy.{name}: arguments {sorted(kwargs)} are not supported on "
                        f"chainrule Tensors")
    if len(inputs) == 2 and not isinstance(inputs[0], Tensor) and name in _REFLECTED \
            and isinstance(inputs[0], xp.generic | int | float | bool):
        # a NumPy scalar on the left (np.float64(2) / t): Python's reflected operator, as
        # PyTorch (its tensors defer to __rtruediv__ and the like; 2 / t records reciprocal)
        out = getattr(inputs[1], _REFLECTED[name])(inputs[0])
        return out if dtype is None else out.to(backend.to_np_dtype(dtype))
    fn = _SPECIAL_UFUNCS.get(name) or _namespace().get(_UFUNC_NAMES.get(name, name))
    if fn is None:
        raise TypeError(f"numpy.{name} has no chainrule equivalent for Tensors")
    out = fn(*[_arg(x) for x in inputs])
    return out if dtype is None else out.to(backend.to_np_dtype(dtype))


def _namespace() -> dict[str, Any]:
    # the package's namespace (chainrule.tensor the attribute is the function tensor()); every
    # op is registered by the time a Tensor exists to call this
    return vars(sys.modules["chainrule.tensor"])


# ----- __array_function__: NumPy's functions that rules use, in chainrule's terms --------------
_FUNCTIONS: dict[Callable, Callable] = {}


def implements(np_function: Callable) -> Callable[[Callable], Callable]:
    """Register the chainrule implementation of ``np_function`` for Tensor arguments."""

    def register(fn: Callable) -> Callable:
        _FUNCTIONS[np_function] = fn
        return fn

    return register


def _array_function(self: Tensor, func: Callable, types: Any, args: tuple, kwargs: dict) -> Any:
    """``numpy.<func>(...)`` with a Tensor among the arguments: chainrule's version when it has
    one (differentiable), else NumPy's own on the arrays (as without this protocol)."""
    impl = _FUNCTIONS.get(func)
    if impl is None:
        return func._implementation(*args, **kwargs)
    return impl(*[_arg(a) for a in args], **{k: _arg(v) for k, v in kwargs.items()})


def _ns(name: str) -> Callable:
    return _namespace()[name]


@implements(xp.where)
def _where(condition: Any, x: Any, y: Any) -> Tensor:
    if not isinstance(condition, Tensor):
        condition = const(xp.asarray(condition))
    return _ns("where")(condition, x, y)


@implements(xp.broadcast_to)
def _broadcast_to(array: Tensor, shape: Any) -> Tensor:
    return array.expand(tuple(shape) if not isinstance(shape, int) else (shape,))


@implements(xp.zeros_like)
def _zeros_like(a: Tensor, dtype: Any = None) -> Tensor:
    return _ns("zeros_like")(a, dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.ones_like)
def _ones_like(a: Tensor, dtype: Any = None) -> Tensor:
    return _ns("ones_like")(a, dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.sum)
def _sum(a: Tensor, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Tensor:
    return _ns("sum")(a, dim=axis, keepdim=keepdims,
                      dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.mean)
def _mean(a: Tensor, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Tensor:
    return _ns("mean")(a, dim=axis, keepdim=keepdims,
                       dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.reshape)
def _reshape(a: Tensor, shape: Any) -> Tensor:
    return a.reshape(shape)


@implements(xp.transpose)
def _transpose(a: Tensor, axes: Any = None) -> Tensor:
    return a.permute(*(range(a.ndim - 1, -1, -1) if axes is None else axes))


@implements(xp.swapaxes)
def _swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
    return a.transpose(axis1, axis2)


@implements(xp.moveaxis)
def _moveaxis(a: Tensor, source: Any, destination: Any) -> Tensor:
    return _ns("movedim")(a, source, destination)


@implements(xp.expand_dims)
def _expand_dims(a: Tensor, axis: Any) -> Tensor:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = a.ndim + len(axes)
    for ax in sorted(x % ndim for x in axes):
        a = a.unsqueeze(ax)
    return a


@implements(xp.squeeze)
def _squeeze(a: Tensor, axis: Any = None) -> Tensor:
    return a.squeeze() if axis is None else a.squeeze(axis)


@implements(xp.flip)
def _flip(m: Tensor, axis: Any = None) -> Tensor:
    dims = range(m.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    return m.flip(tuple(dims))


@implements(xp.concatenate)
def _concatenate(arrays: Any, axis: int = 0) -> Tensor:
    return _ns("cat")([a if isinstance(a, Tensor) else const(xp.asarray(a)) for a in arrays],
                      dim=axis)


@implements(xp.stack)
def _stack(arrays: Any, axis: int = 0) -> Tensor:
    return _ns("stack")([a if isinstance(a, Tensor) else const(xp.asarray(a)) for a in arrays],
                        dim=axis)


@implements(xp.take_along_axis)
def _take_along_axis(arr: Tensor, indices: Any, axis: int) -> Tensor:
    return _ns("gather")(arr, axis, indices)


@implements(xp.astype)
def _astype(x: Tensor, dtype: Any, copy: bool = True) -> Tensor:
    return x.to(backend.to_np_dtype(dtype))


@implements(xp.einsum)
def _einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"numpy.einsum: arguments {sorted(kwargs)} are not supported on "
                        f"chainrule Tensors")
    return _ns("einsum")(subscripts, *operands)


@implements(xp.tensordot)
def _tensordot(a: Tensor, b: Tensor, axes: Any = 2) -> Tensor:
    return _ns("tensordot")(a, b, dims=axes)


@implements(xp.cumsum)
def _cumsum(a: Tensor, axis: int | None = None, dtype: Any = None) -> Tensor:
    if axis is None:
        a, axis = a.reshape(-1), 0
    return _ns("cumsum")(a, axis, dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.clip)
def _clip(a: Tensor, a_min: Any = None, a_max: Any = None, out: Any = None, *,
          min: Any = None, max: Any = None) -> Tensor:
    if out is not None:
        raise TypeError("numpy.clip(out=...) is not supported on chainrule Tensors; call "
                        "chainrule's clamp instead")
    return _ns("clamp")(a, a_min if a_min is not None else min,
                        a_max if a_max is not None else max)


@implements(xp.tril)
def _tril(m: Tensor, k: int = 0) -> Tensor:
    return _ns("tril")(m, k)


@implements(xp.triu)
def _triu(m: Tensor, k: int = 0) -> Tensor:
    return _ns("triu")(m, k)


@implements(xp.diagonal)
def _diagonal(a: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    return _ns("diagonal")(a, offset, axis1, axis2)


# ----- rB: scans (numpy.<ufunc>.accumulate), cumprod, linalg.inv -------------------------------
# numpy.<ufunc>.accumulate(x, axis) on a Tensor: chainrule's scan along axis (NumPy's default 0)
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod", "logaddexp": "logcumsumexp",
               "maximum": "cummax", "minimum": "cummin"}


def _accumulate(name: str, array: Any, axis: int | None = 0, dtype: Any = None) -> Tensor:
    if axis is None:
        raise TypeError(f"numpy.{name}.accumulate(axis=None) is not supported on chainrule "
                        f"Tensors; give an axis")
    if not isinstance(array, Tensor):
        array = const(xp.asarray(array))
    if dtype is not None:
        array = array.to(backend.to_np_dtype(dtype))
    out = _ns(_ACCUMULATE[name])(array, axis)
    return out.values if name in ("maximum", "minimum") else out


@implements(xp.cumprod)
def _cumprod(a: Tensor, axis: int | None = None, dtype: Any = None) -> Tensor:
    if axis is None:
        a, axis = a.reshape(-1), 0
    return _ns("cumprod")(a, axis, dtype=None if dtype is None else backend.to_np_dtype(dtype))


@implements(xp.linalg.inv)
def _inv(a: Tensor) -> Tensor:
    return _ns("inverse")(a)


Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function

__all__: list[str] = []
