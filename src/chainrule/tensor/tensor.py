"""Tensor: an n-d array that records the operations made from it, with PyTorch's API.

The operations themselves live in ``chainrule.tensor.ops`` (one module per kind); each module
registers its Tensor methods with :func:`tensor_method`, so this file holds only the tensor's
state, conversions, autograd entry points and creation functions.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from chainrule.autograd.grad_mode import _GradMode
from chainrule.tensor import backend
from chainrule.tensor.backend import DType, xp
from chainrule.tensor.devices import check_device, cpu
from chainrule.tensor.size import Size

if TYPE_CHECKING:
    from chainrule.tensor.function import AccumulateGrad, Node

# Imports run one way: function.py (the node protocol) imports this module, and backward.py (the
# backward pass) imports both; this module imports them only inside the methods that need them
# (backward, _inplace_update), none of which is on an op's path, on their first call
# (_late_imports). These hold the modules from then on: an import statement run on each call
# costs about 0.7 us (1.8% of benchmark (a)'s instructions), a global's load nothing.
_function: Any = None
_backward: Any = None


def _late_imports() -> tuple[Any, Any]:
    """``function.py`` and ``backward.py``, imported on first use (both import this module)."""
    global _function, _backward
    # by full name: the attribute ``chainrule.tensor`` is the function that makes tensors
    _function = importlib.import_module("chainrule.tensor.function")
    _backward = importlib.import_module("chainrule.tensor.backward")
    return _function, _backward


_alloc = object.__new__


class VersionCounter:
    """Counts in-place writes to one storage; views share their base's counter."""

    value = 0  # the class's 0 until the first write (no __init__: made once per saved result)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook off."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable]) -> None:
        self._hooks = hooks
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Tensor:
    """An n-d array with autograd: ``requires_grad``, ``grad``, ``grad_fn``, ``backward()``.

    Make one with :func:`chainrule.tensor`; operations on it (``+``, ``@``, ``.sum()``, ...)
    return new Tensors that remember, in ``grad_fn``, how to send gradients back.
    """

    # The hot attributes are slots; rarely set ones (_base, _acc, _hooks) live in the instance
    # dict, which CPython only creates when one is set, with class-level defaults.
    # _vc: the version counter, made on first use (a save or an in-place write)
    __slots__ = ("__dict__", "__weakref__", "_data", "_grad", "_vc", "grad_fn", "requires_grad")
    _base: Tensor | None = None  # the tensor a view's storage belongs to
    _view_chain: tuple[Any, ...] = ()  # a view's ops from _base (function._share_storage)
    _views: list[weakref.ref] | None = None  # a base's views made in grad mode
    _no_grad_view = False  # a view made in no_grad mode
    _multi_view = False  # one of several views one call returned (split, chunk, unbind)
    _acc: AccumulateGrad | None = None  # this leaf's AccumulateGrad node
    _hooks: dict[int, Callable] | None = None  # a leaf's gradient hooks
    __hash__ = object.__hash__  # identity; == is elementwise
    __array_priority__ = 1000  # numpy scalars/arrays defer to Tensor's reflected operators

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._data
        array = _asarray(data, dtype)
        self._data = array
        self._grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self.requires_grad = False
        self._vc: VersionCounter | None = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array: Any, requires_grad: bool, grad_fn: Node | None) -> Tensor:
        """Wrap an array without checks or copies (the ops' constructor)."""
        t = _alloc(cls)
        t._data = array
        t._grad = None
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad
        t._vc = None
        return t

    @property
    def _version_counter(self) -> VersionCounter:
        """The in-place write counter of this tensor's storage (views share their base's)."""
        vc = self._vc
        if vc is None:
            vc = self._vc = VersionCounter()
        return vc

    @_version_counter.setter
    def _version_counter(self, vc: VersionCounter) -> None:
        self._vc = vc

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new leaf that shares storage but not history, as PyTorch's:
        writes through it (``p.data.add_(...)``) change this tensor and are not tracked by
        autograd (it has its own version counter)."""
        return Tensor._make(self._data, False, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        """``t.data = other``: this tensor takes ``other``'s storage (shape and dtype too)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        if self.requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError(
                f"data: cannot assign a {value.dtype!r} tensor to a tensor that requires grad "
                f"(only floating-point tensors can require gradients)"
            )
        self._data = value._data

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated here by backward (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        """Assign a gradient: None, or a Tensor of this tensor's shape and dtype (as PyTorch)."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: the tensor is "
                                   f"{self.dtype!r}, the grad {value.dtype!r}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: the tensor has "
                                   f"shape {tuple(self._data.shape)}, the grad "
                                   f"{tuple(value._data.shape)}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @staticmethod
    def _coerce(x: Any, np_dtype: Any) -> Any:
        return xp.asarray(x, dtype=np_dtype)

    # ----- metadata ------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> DType:
        return backend.dtype_of(self._data)

    @property
    def device(self) -> Any:
        return cpu

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user or not requiring grad (their grad_fn is None)."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._version_counter.value

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"size: dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----- conversions ---------------------------------------------------------------------
    def numpy(self, force: bool = False) -> Any:
        """The underlying array (no copy). Raises if the tensor requires grad, as PyTorch,
        unless ``force`` (then a copy, as PyTorch's ``numpy(force=True)``)."""
        if force:
            return self._data.copy()
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """NumPy's view of this tensor (``np.asarray(t)``); as ``numpy()``, refused while it
        requires grad."""
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                f"(shape {tuple(self.shape)})"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {tuple(self.shape)})"
            )
        return bool(self._data.reshape(()).item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __repr__(self) -> str:
        formatter = {"float_kind": _float_formatter(self._data)} if self._data.dtype.kind == "f" \
            else None
        body = xp.array2string(
            self._data, separator=", ", prefix="tensor(", formatter=formatter, max_line_width=80
        )
        extras = []
        if self._data.size == 0 and self._data.ndim != 1:
            extras.append(f"size={tuple(self.shape)}")
        # PyTorch leaves out the dtype it would infer from the printed values
        if self._data.dtype not in (xp.float32, xp.int64, xp.bool_) or (
            self._data.size == 0 and self._data.dtype != xp.float32
        ):
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); anything else as an object,
        which takes no format spec. PyTorch excludes subclasses (a Parameter) from the first."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    # ----- autograd ------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; only floating-point tensors may require it."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype!r})"
            )
        self.requires_grad = bool(requires_grad) or self.grad_fn is not None
        return self

    def detach(self) -> Tensor:
        """The same data (shared storage) cut from the graph."""
        t = Tensor._make(self._data, False, None)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (it becomes a leaf not requiring grad)."""
        if self._base is not None:
            raise RuntimeError(
                "detach_: can't detach views in-place (this tensor shares storage with its base); "
                "use detach() instead"
            )
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and node._retain is not None and node._retain() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            if self.grad_fn._pre_hooks is None:
                self.grad_fn._pre_hooks = {}
            hooks = self.grad_fn._pre_hooks
        else:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) (times ``gradient``) into every leaf's ``.grad``.

        ``gradient`` (dL/d(self)) is required unless ``self`` has one element. With ``inputs``,
        only those tensors' ``.grad`` are accumulated (non-leaves included) and only the part of
        the graph leading to them runs. The graph's saved buffers are freed unless
        ``retain_graph`` (default: ``create_graph``).
        """
        b = _backward if _backward is not None else _late_imports()[1]
        seeds = b._seeds([self], None if gradient is None else [gradient], "backward")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = b._check_inputs(inputs, "backward")
        b.run_backward([self], seeds, retain_graph, create_graph, inputs)

    # ----- in-place support ----------------------------------------------------------------
    def _check_inplace(self, op: str) -> None:
        """Refuse in-place writes that would make recorded gradients wrong (as PyTorch)."""
        if _GradMode.enabled:
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a leaf Variable that requires grad is being used in an in-place "
                    f"operation (wrap it in chainrule.no_grad() to change its values)"
                )
            if self._multi_view and self.requires_grad:
                raise RuntimeError(
                    f"{op}: this tensor is a view returned by a function that returns several "
                    f"views (split, chunk, unbind), which may not be modified in-place while "
                    f"it requires grad; use an out-of-place operation (or .clone() it first)"
                )
            base = self._base
            if base is not None:
                if self._no_grad_view and base.requires_grad:
                    raise RuntimeError(
                        f"{op}: a view was created in no_grad mode and is being modified in-place "
                        f"with grad mode enabled; modify it inside no_grad() too, or take the "
                        f"view with grad mode enabled"
                    )
                if base.requires_grad and base.grad_fn is None:
                    raise RuntimeError(
                        f"{op}: a view of a leaf Variable that requires grad is being used in an "
                        f"in-place operation (wrap it in chainrule.no_grad() to change its values)"
                    )

    def _inplace_update(self, result: Tensor, op: str) -> Tensor:
        """Write ``result`` into this tensor's storage and adopt its history (``op_``).

        ``result`` is the out-of-place op's output; if its node saved this tensor's array
        (``mul_``'s ``self`` for the gradient of ``other``), that saved array is copied first:
        the rule needs the value from before the write, as PyTorch saves the original self.
        A recorded write into a view rewrites its base's history (``CopySlices``: the base with
        the view's region taken from ``result``); then every live view of the base, this one
        included, takes the new history (``function.refresh_views``).
        """
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"{op}: output with shape {tuple(self.shape)} doesn't match the broadcast shape "
                f"{tuple(result.shape)}"
            )
        if not backend.can_cast_np(result._data.dtype, self._data.dtype):
            raise RuntimeError(
                f"{op}: result type {backend.dtype_of(result._data)!r} can't be cast to the "
                f"desired output type {self.dtype!r}"
            )
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor's memory is read-only (an expanded view, where several "
                f"elements share one memory location?); clone() it first"
            )
        record = _GradMode.enabled and result.requires_grad
        if record:
            f = _function if _function is not None else _late_imports()[0]
            node = result.grad_fn
            if node is not None and node._saved is not None:
                vc = self._vc
                for s in node._saved:
                    if type(s) is not f.SavedTensor:
                        continue
                    if s._data is self._data:
                        s._data = s._data.copy()
                    elif not (s.version_counter is vc and vc is not None
                              and s._data.base is None
                              and not xp.may_share_memory(s._data, self._data)):
                        continue  # (a copy of self in the op's dtype keeps its values;
                        # the storage, or a view of it, does not)
                    s.version_counter = VersionCounter()
                    s.version = 0
        self._data[...] = result._data
        self._version_counter.value += 1
        if record:
            root = self._base
            if root is None:
                root = self
            else:
                from chainrule.tensor.ops.inplace import CopySlices  # ops import this module

                result = CopySlices.apply(root, result, self._view_chain)
            node = root.grad_fn
            if node is not None and node._retain is not None and node._retain() is root:
                node._retain = None  # retain_grad follows the tensor to its new history
                result.grad_fn._retain = weakref.ref(root)
            root.grad_fn = result.grad_fn
            root.requires_grad = True
            f.refresh_views(root)
        return self


def _float_formatter(a: Any) -> Callable[[Any], str]:
    """PyTorch's number format: integers as ``1.``, else 4 decimals, or ``1.0000e-05`` when the
    magnitudes span more than 1000x (or reach 1e8, or go below 1e-4); one width for all."""
    finite = a[xp.isfinite(a)].astype(xp.float64)
    nonzero = xp.abs(finite[finite != 0])
    big = nonzero.size > 0 and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if finite.size == 0 or (finite == xp.ceil(finite)).all():
        fmt = "{:.4e}" if big else "{:.0f}."
    else:
        fmt = "{:.4e}" if big or nonzero.min() < 1e-4 else "{:.4f}"

    def text(v: Any) -> str:
        if xp.isfinite(v):
            return fmt.format(float(v))
        return "nan" if xp.isnan(v) else ("inf" if v > 0 else "-inf")

    # the width of the longest finite value (nan and inf are only padded to it)
    width = max(len(text(finite.min())), len(text(finite.max()))) if finite.size else 0
    return lambda v: text(v).rjust(width)


def tensor_method(name: str | Sequence[str]) -> Callable[[Callable], Callable]:
    """Register a function as a Tensor method (ops modules use this, so Tensor needs no import
    of them)."""
    names = [name] if isinstance(name, str) else list(name)

    def register(fn: Callable) -> Callable:
        fn = numpy_names(fn)
        for n in names:
            setattr(Tensor, n, fn)
        return fn

    return register


def numpy_names(fn: Callable) -> Callable:
    """``fn`` accepting NumPy's ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``, as
    PyTorch's functions do; functions without those parameters are returned as they are."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if ("dim" not in params and "keepdim" not in params) or hasattr(fn, "__wrapped__"):
        return fn

    @functools.wraps(fn)
    def aliased(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return aliased


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    if not isinstance(dim, int | xp.integer):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


# ----- creation ------------------------------------------------------------------------------
class Generator:
    """A seedable source of random numbers for ``rand``/``randn``/``randint``/init."""

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(_fresh_seed() if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        self.rng = backend.default_rng(seed)
        self._initial_seed = int(seed)
        return self

    def seed(self) -> int:
        """Reseed from a nondeterministic source; return the new seed."""
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The generator's state as a 1-d uint8 tensor (PyTorch's ByteTensor), for resuming:
        the UTF-8 JSON of NumPy's PCG64 state (its 128-bit integers as decimal strings) and
        the initial seed. ``set_state`` of it continues the same stream of draws."""
        state = self.rng.bit_generator.state
        doc = {
            "bit_generator": state["bit_generator"],
            "state": {key: str(int(v)) for key, v in state["state"].items()},
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
            "initial_seed": self._initial_seed,
        }
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return Tensor._make(xp.frombuffer(raw, dtype=xp.uint8).copy(), False, None)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from ``get_state`` (the initial seed too); returns the generator.
        A non-uint8 state is a TypeError, one that is not a state a RuntimeError."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"set_state: expected a chainrule uint8 tensor (ByteTensor), "
                            f"but got {type(new_state).__name__}")
        if new_state.dtype is not backend.uint8:
            raise TypeError(f"set_state: RNG state must be a uint8 tensor (ByteTensor), got "
                            f"dtype {new_state.dtype!r}")
        state, seed = _parse_rng_state(new_state)
        self.rng.bit_generator.state = state
        self._initial_seed = seed
        return self


def _parse_rng_state(new_state: Tensor) -> tuple[dict[str, Any], int]:
    """NumPy's PCG64 state dict and the initial seed from a ``get_state`` tensor; RuntimeError
    saying what is wrong otherwise."""

    def bad(why: str) -> RuntimeError:
        return RuntimeError(f"set_state: not an RNG state from get_state (a {new_state.ndim}-d "
                            f"uint8 tensor of {new_state.numel()} bytes): {why}")

    if new_state.ndim != 1:
        raise bad("expected a 1-d tensor")
    try:
        doc = json.loads(new_state._data.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("its bytes are not the JSON text of a state") from None
    keys = {"bit_generator", "state", "has_uint32", "uinteger", "initial_seed"}
    if not isinstance(doc, dict) or set(doc) != keys:
        raise bad(f"expected a JSON object with the keys {sorted(keys)}")
    if doc["bit_generator"] != "PCG64":
        raise bad(f"bit generator {doc['bit_generator']!r}, not PCG64")
    inner = doc["state"]
    if not isinstance(inner, dict) or set(inner) != {"state", "inc"} or not all(
            isinstance(v, str) and v.isdigit() and int(v) < 1 << 128 for v in inner.values()):
        raise bad("'state' must hold 'state' and 'inc' as decimal strings of 128-bit integers")

    def is_int(v: Any, high: float) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < high

    if not (is_int(doc["has_uint32"], 2) and is_int(doc["uinteger"], 1 << 32)
            and is_int(doc["initial_seed"], float("inf"))):
        raise bad("'has_uint32' must be 0 or 1, 'uinteger' a 32-bit and 'initial_seed' a "
                  "non-negative integer")
    state = {"bit_generator": "PCG64",
             "state": {"state": int(inner["state"]), "inc": int(inner["inc"])},
             "has_uint32": doc["has_uint32"], "uinteger": doc["uinteger"]}
    return state, doc["initial_seed"]


def _fresh_seed() -> int:
    """A nondeterministic 63-bit seed (the operating system's entropy)."""
    return int.from_bytes(os.urandom(8), "little") >> 1


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``rand``, ``randn``, ``randint``, nn init)."""
    return default_generator.manual_seed(seed)


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (``Generator.get_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state from ``get_rng_state`` (``Generator.set_state``)."""
    default_generator.set_state(new_state)


def tensor(data: Any, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (floats default to float32)."""
    check_device(device, "tensor")
    if isinstance(data, Tensor):
        data = data._data
    array = _asarray(data, dtype)
    if array is data or (backend.is_array(data) and xp.shares_memory(array, data)):
        array = array.copy()
    t = Tensor._make(array, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _asarray(data: Any, dtype: Any) -> Any:
    try:
        return backend.asarray(data, dtype)
    except ValueError as e:
        if "inhomogeneous" not in str(e):
            raise
        raise ValueError(
            "tensor: the nested sequences have unequal lengths (a ragged list cannot be a "
            f"tensor): {e}"
        ) from None


def _size(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, int | xp.integer) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be integers, got {size}")
        if n < 0:
            raise RuntimeError(f"{op}: dimension sizes must be non-negative, got {size}")
    return tuple(int(n) for n in size)


def _new(array: Any, requires_grad: bool) -> Tensor:
    t = Tensor._make(array, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: Any) -> Any:
    return backend.to_np_dtype(dtype) if dtype is not None else backend.defaults.float


def _allocate(op: str, make: Callable[..., Any], size: tuple[int, ...], np_dtype: Any,
              *args: Any) -> Any:
    """``make(size, *args, np_dtype)``; a size too big for memory is PyTorch's RuntimeError
    naming the sizes and bytes (not NumPy's ArrayMemoryError)."""
    try:
        return make(size, *args, np_dtype)
    except (MemoryError, ValueError) as e:
        nbytes = xp.dtype(np_dtype).itemsize
        for n in size:
            nbytes *= n
        if nbytes >= 1 << 63:
            raise RuntimeError(f"{op}: Storage size calculation overflowed with sizes="
                               f"{list(size)} ({nbytes} bytes)") from None
        if isinstance(e, MemoryError):
            raise RuntimeError(f"{op}: can't allocate memory: you tried to allocate {nbytes} "
                               f"bytes (sizes={list(size)})") from None
        raise


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros")
    return _new(_allocate("zeros", xp.zeros, _size(size, "zeros"), _float_dtype(dtype)),
                requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    check_device(device, "ones")
    return _new(_allocate("ones", xp.ones, _size(size, "ones"), _float_dtype(dtype)),
                requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    check_device(device, "empty")
    return _new(_allocate("empty", xp.empty, _size(size, "empty"), _float_dtype(dtype)),
                requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    check_device(device, "full")
    if dtype is None:
        dtype = backend.asarray(fill_value).dtype
    shape = _size((tuple(size),), "full")
    return _new(_allocate("full", xp.full, shape, backend.to_np_dtype(dtype), fill_value),
                requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    check_device(device, "eye")
    return _new(xp.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... below end (ints give int64, floats float32)."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    array = xp.arange(start, end, step)
    if dtype is not None:
        array = array.astype(backend.to_np_dtype(dtype))
    elif array.dtype.kind == "f":
        array = array.astype(backend.defaults.float)
    else:
        array = array.astype(xp.int64)
    return _new(array, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    check_device(device, "linspace")
    return _new(xp.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def _random_dtype(dtype: Any, op: str) -> Any:
    np_dtype = _float_dtype(dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point dtype, got {dtype!r}")
    return np_dtype


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_device(device, "rand")
    np_dtype = _random_dtype(dtype, "rand")
    rng = (generator or default_generator).rng
    return _new(rng.random(_size(size, "rand")).astype(np_dtype), requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn")
    np_dtype = _random_dtype(dtype, "randn")
    rng = (generator or default_generator).rng
    return _new(rng.standard_normal(_size(size, "randn")).astype(np_dtype), requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (),
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    check_device(device, "randint")
    if isinstance(high, tuple | list) and not size:  # randint(high, size), as PyTorch's
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    rng = (generator or default_generator).rng
    array = rng.integers(low, high, size=tuple(size)).astype(backend.to_np_dtype(dtype or "int64"))
    return _new(array, requires_grad)


def _like(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False,
             **kw: Any) -> Tensor:
        return fn(*t.shape, dtype=dtype if dtype is not None else t.dtype, device=device,
                  requires_grad=requires_grad, **kw)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and dtype) of ``t``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype if dtype is not None else t.dtype,
                device=device, requires_grad=requires_grad)
