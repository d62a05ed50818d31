"""Function, its context (the graph node, ``grad_fn``), saved tensors and the backward pass.

The graph is made of nodes, not tensors (as PyTorch's): a result's ``grad_fn`` is the context its
Function filled in, ``next_functions`` are the input tensors' nodes (their ``grad_fn``, or an
``AccumulateGrad`` for a leaf), and only the arrays a rule saved are kept alive. No reference
cycle is made anywhere:

- a node points to its inputs' nodes, never to its output tensor;
- a saved tensor keeps its array and its node, never the Tensor object (a saved output is
  rebuilt around the node when unpacked);
- ``AccumulateGrad`` holds its leaf weakly (the leaf holds it), so ``x.grad``'s graph
  (create_graph=True) does not keep ``x`` alive through ``x -> x.grad -> grad_fn -> ... -> x``.

The backward pass (``run_backward``, behind ``Tensor.backward`` and ``grad``) hands the graph
core one ``vjp`` step per node: tensor hooks, then ``retain_grad``, then the node's rule; leaves'
gradients are accumulated into ``.grad`` as their ``AccumulateGrad`` node is reached. Without
create_graph the gradients passed between nodes are bare arrays and the built-in rules run on
them (``Function.array_rule``). Given ``inputs``, only the nodes on a path to them run. Each
node's saved buffers are released as soon as its rule has run, unless ``retain_graph``; in-place
writes are caught through the version counter a saved tensor records.
"""

from __future__ import annotations

import itertools
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from weakref import ref as _weakref

from chainrule.autograd import graph
from chainrule.autograd.grad_mode import _GradMode, set_grad_enabled
from chainrule.tensor.backend import ndarray, xp

if TYPE_CHECKING:
    from chainrule.tensor.tensor import Tensor

_Tensor: Any = None  # set by tensor.py (the Tensor class) to break the import loop


class _RuleState(threading.local):
    """``arrays``: True while rules run on bare arrays (a backward pass that records no graph).
    Per thread, like grad mode (two threads may run backward passes of both kinds at once)."""

    arrays = False


_RuleMode = _RuleState()


class VersionCounter:
    """Counts in-place writes to one storage; views share their base's counter."""

    value = 0  # the class's 0 until the first write (no __init__: made once per saved result)


_OUTPUT = "output"  # SavedTensor.source of an op's own result


class SavedTensor:
    """What a rule keeps of a tensor: its array, version counter and version (never the Tensor
    itself), and where a gradient for it goes: ``source`` is its grad_fn (a result), a weak
    reference to it (a leaf that requires grad), ``_OUTPUT`` (the saving op's own result,
    rebuilt around that op's node) or None (a constant). Made by ``_save`` (a plain function
    call costs less than an ``__init__``)."""

    __slots__ = ("_data", "source", "version", "version_counter")

    def unpack(self, ctx: Node) -> Tensor:
        """The saved tensor, connected to the graph (for a rule run on Tensors)."""
        if self.version_counter.value != self.version:
            raise self.version_error(ctx)
        src = self.source
        if src is _OUTPUT:
            node = ctx
        elif type(src) is _weakref:
            leaf = src()
            if leaf is not None:
                return leaf
            node = None
        else:
            node = src
        t = _Tensor._make(self._data, src is not None, node)
        t._vc = self.version_counter
        return t

    def version_error(self, ctx: Node) -> RuntimeError:
        """The error for a saved tensor written in place since it was saved (callers compare
        ``version_counter.value`` with ``version`` inline: it runs once per saved tensor)."""
        return RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"in-place operation: a {self._data.dtype} tensor of shape {tuple(self._data.shape)} "
            f"saved by {ctx.name()} is at version {self.version_counter.value}; expected version "
            f"{self.version} instead"
        )


# Node ranks count down as nodes are made: a node's rank is below its inputs' nodes', so the
# backward pass takes nodes lowest rank first (graph.backward's ``rank``), as PyTorch's engine
# takes them by sequence number, with no walk of the graph beforehand.
_next_rank = itertools.count(0, -1).__next__
_rank = operator.attrgetter("_rank")


class Node:
    """A recorded operation: ``grad_fn`` of its result and the ``ctx`` of its Function.

    Attributes for Function authors: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``; any other attribute may be set on it freely.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_exact",
        "_freed",
        "_input_meta",
        "_next",
        "_output",
        "_pre_hooks",
        "_rank",
        "_retain",
        "_saved",
        "fn",
        "needs_input_grad",
    )

    # Made by Function.apply, which sets these (once per recorded op: no __init__ call)
    fn: type[Function]
    needs_input_grad: tuple[bool, ...]
    _next: tuple[Any, ...]  # per input: its grad_fn, AccumulateGrad or None
    _input_meta: tuple[Any, ...]  # per input: (shape, dtype), or None for a non-tensor
    _saved: tuple[Any, ...] | None
    _output: SavedTensor | None  # the result, if save_output
    _freed: bool
    _exact: bool  # its array rule's gradients need no check (Function.elementwise)
    _pre_hooks: dict[int, Callable] | None
    _rank: int  # a countdown: below its inputs' nodes' ranks (see graph.backward)
    _retain: weakref.ref | None

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """``(node, 0)`` per tensor input, as PyTorch's: its grad_fn, AccumulateGrad or None."""
        return tuple((n, 0) for n, m in zip(self._next, self._input_meta, strict=True)
                     if m is not None)

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep these tensors (or None) for backward; later in-place writes to them are caught."""
        if not self.needs_input_grad:
            return  # nothing will run backward: keep nothing
        T = _Tensor
        saved = []
        for t in tensors:
            if isinstance(t, T):
                node = t.grad_fn
                t = _save(t, node if node is not None or not t.requires_grad else _weakref(t))
            saved.append(t)
        self._saved = tuple(saved)

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """What ``save_for_backward`` kept, as Tensors connected to the graph (double backward)."""
        if self._freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or directly access saved "
                f"tensors after they have already been freed) in {self.name()}. Saved "
                f"intermediate values of the graph are freed when you call .backward() or "
                f"chainrule.grad(). Specify retain_graph=True if you need to backward through "
                f"the graph a second time or if you need to access saved tensors after calling "
                f"backward."
            )
        if self._saved is None:
            return ()
        if _RuleMode.arrays:
            out = []
            for s in self._saved:
                if type(s) is SavedTensor:
                    if s.version_counter.value != s.version:
                        raise s.version_error(self)
                    s = s._data
                out.append(s)
            return tuple(out)
        return tuple(s.unpack(self) if type(s) is SavedTensor else s for s in self._saved)


class AccumulateGrad:
    """The node of a leaf that requires grad: its gradient ends up in ``leaf.grad``."""

    __slots__ = ("__weakref__", "_leaf", "_rank")

    _next = ()
    next_functions = ()

    def __init__(self, leaf: Tensor) -> None:
        self._leaf = weakref.ref(leaf)
        self._rank = _next_rank()  # made before any node that uses the leaf

    @property
    def variable(self) -> Tensor | None:
        return self._leaf()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def edge(t: Tensor) -> Node | AccumulateGrad | None:
    """The node a gradient for ``t`` flows into: its grad_fn, its leaf accumulator, or None."""
    if t.grad_fn is not None:
        return t.grad_fn
    if not t.requires_grad:
        return None
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)  # held by the leaf; it holds the leaf weakly
    return acc


class Function:
    """A differentiable operation: subclass with static ``forward`` and ``backward``.

    ``forward(ctx, *args)`` computes the result (graph recording is off inside);
    ``backward(ctx, *grad_outputs)`` returns one gradient per ``forward`` argument
    (``None`` for non-tensors or inputs that need none), written in Tensor operations so that
    ``create_graph=True`` can differentiate it again. Call it as ``MyFunction.apply(...)``.
    ``ctx.needs_input_grad`` is ``()`` when no graph is recorded (nothing will call backward),
    else one bool per argument.

    Built-in ops subclass it too; their ``forward`` may return a bare array, which ``apply``
    wraps. The gradient a rule returns may be broadcast: ``apply``'s backward sums it back to the
    input's shape (the one place broadcasting is undone) and casts it to the input's dtype.
    """

    save_output = False  # True: ctx.output gives the result, connected to the graph
    is_view = False  # True: the result shares storage (and version counter) with input 0
    # chainrule's own ops: their rules return gradients no one else holds, and their forwards
    # compute on arrays only (they call no recording op), so they run without a grad-mode switch
    _builtin = False
    # True: backward is written with operations that arrays and Tensors share, and runs on the
    # bare arrays (g, saved tensors, output) when no graph is recorded: NumPy's cost instead of a
    # Tensor op's. With create_graph it runs on Tensors, so it is differentiated as usual.
    array_rule = False
    # True: an elementwise op whose array rule, when every tensor input has the result's shape
    # and dtype (other inputs are Python numbers) and g has them too, returns gradients with
    # that shape and dtype, as arrays (never NumPy scalars: 0-d results are excluded). The pass
    # then skips its check of them (a measured 5-7 us of 90 in benchmark (a)); hooks cannot
    # break this, since a hook may not change a gradient's shape or dtype (_call_hooks).
    elementwise = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._builtin = cls.__module__.startswith("chainrule.")

    @staticmethod
    def forward(ctx: Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError(
            "backward is not implemented for this Function; define a static backward(ctx, grad)"
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        T = _Tensor
        if not _GradMode.enabled:
            return cls._apply_plain(args, kwargs)
        # The result needs a grad_fn if an input requires grad: forward (a custom one under
        # no_grad), then link. Inline, not calls: this runs once per recorded op. One input (most
        # ops) and two (arithmetic) are written out: a loop costs twice the bytecode.
        n = len(args)
        if n == 1 or (n == 2 and (type(args[1]) is float or type(args[1]) is int)):
            # one tensor, or a tensor and a Python number (x + 1.0, x.log_softmax(1))
            a = args[0]
            if not isinstance(a, T) or not a.requires_grad:
                return cls._apply_plain(args, kwargs)
            d = a._data
            m = (d.shape, d.dtype)
            ctx = Node()
            e = a.grad_fn or a._acc or edge(a)
            if n == 1:
                ctx.needs_input_grad = (True,)
                ctx._next = (e,)
                ctx._input_meta = (m,)
            else:
                ctx.needs_input_grad = (True, False)
                ctx._next = (e, None)
                ctx._input_meta = (m, None)
            # elementwise, input not 0-d: the result is alike, and so are the gradients its
            # array rule returns (see Function.elementwise): the pass need not check them
            ctx._exact = cls.elementwise and m[0] != ()
        elif n == 2 and isinstance(args[0], T) and isinstance(args[1], T):
            a, b = args
            ra, rb = a.requires_grad, b.requires_grad
            if not (ra or rb):
                return cls._apply_plain(args, kwargs)
            d, e = a._data, b._data
            m, k = (d.shape, d.dtype), (e.shape, e.dtype)
            ctx = Node()
            ctx.needs_input_grad = (ra, rb)
            ctx._next = ((a.grad_fn or a._acc or edge(a)) if ra else None,
                         (b.grad_fn or b._acc or edge(b)) if rb else None)
            ctx._input_meta = (m, k)
            ctx._exact = cls.elementwise and m == k and m[0] != ()
        else:
            for a in args:
                if isinstance(a, T) and a.requires_grad:
                    break
            else:
                return cls._apply_plain(args, kwargs)
            ctx = Node()
            needs, nexts, meta = [], [], []
            same = cls.elementwise  # stays True while every tensor input is like the first one
            first = None
            for a in args:
                if isinstance(a, T):
                    d = a._data
                    if a.requires_grad:
                        needs.append(True)
                        nexts.append(a.grad_fn or a._acc or edge(a))
                    else:
                        needs.append(False)
                        nexts.append(None)
                    m = (d.shape, d.dtype)
                    meta.append(m)
                    if same:
                        if first is None:
                            first = m
                        elif m != first:
                            same = False
                else:
                    needs.append(False)
                    nexts.append(None)
                    meta.append(None)
                    if same and type(a) is not float and type(a) is not int:
                        same = False
            ctx.needs_input_grad = tuple(needs)
            ctx._next = tuple(nexts)
            ctx._input_meta = tuple(meta)
            # elementwise, inputs alike, not 0-d: as above, with numbers for other inputs
            ctx._exact = same and first is not None and first[0] != ()
        ctx.fn = cls
        ctx._rank = _next_rank()  # after its inputs' nodes (edge() may have just made one)
        ctx._saved = ctx._output = ctx._pre_hooks = ctx._retain = None
        ctx._freed = False
        if cls._builtin:  # computes on arrays, records nothing: no grad-mode switch needed
            # a call with *args costs twice a plain one (it is not inlined): 1 and 2 written out
            if kwargs or n > 2:
                out = cls.forward(ctx, *args, **kwargs)
            elif n == 2:
                out = cls.forward(ctx, args[0], args[1])
            else:
                out = cls.forward(ctx, args[0])
        else:
            _GradMode.enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs) if kwargs else cls.forward(ctx, *args)
            finally:
                _GradMode.enabled = True
        version = None
        if type(out) is ndarray:
            pass  # a built-in forward's result (the common case: one check)
        elif isinstance(out, T):
            if ctx._saved is not None:
                # a custom forward may have saved its own result: rebuild it around this node
                ctx._saved = tuple(
                    _as_output(s) if type(s) is SavedTensor and s._data is out._data else s
                    for s in ctx._saved
                )
            version = out._version_counter  # what it saved watches this counter
            out = out._data
        else:
            out = _as_array(out, cls)
        if out.dtype.kind != "f":  # integer/bool results (argmax, comparisons) carry no graph
            return T._make(out, False, None)
        t = _new_node(T)  # Tensor._make, inline
        t._data = out
        t._grad = None
        t.grad_fn = ctx
        t.requires_grad = True
        t._vc = version
        if cls.is_view:
            _share_storage(t, cls, args, kwargs)
        if cls.save_output:
            ctx._output = _save(t, _OUTPUT)
        return t

    @classmethod
    def _apply_plain(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
        """``apply`` with nothing to record (the common case inside a backward pass): a bare ctx,
        no grad-mode switch (no input requires grad, so the forward's own tensor ops record
        nothing either)."""
        T = _Tensor
        ctx = Node()
        ctx.fn = cls
        ctx.needs_input_grad = ()
        ctx._saved = ctx._output = None
        ctx._freed = ctx._exact = False
        out = cls.forward(ctx, *args, **kwargs)
        if isinstance(out, T):
            return out if not out.requires_grad else out.detach()
        if type(out) is not ndarray:
            out = _as_array(out, cls)  # NumPy returns scalars, not 0-d arrays, from 0-d inputs
        out = T._make(out, False, None)
        if cls.is_view:
            _share_storage(out, cls, args, kwargs)
        return out


_new_node = object.__new__


def _as_array(out: Any, cls: type[Function]) -> Any:
    if isinstance(out, tuple | list):
        raise TypeError(
            f"{cls.__name__}.forward returned a {type(out).__name__}; a Function must return "
            f"one Tensor (multiple outputs are not supported)"
        )
    if isinstance(out, xp.generic) or type(out) in (int, float, bool):
        return xp.asarray(out)
    raise TypeError(
        f"{cls.__name__}.forward must return a Tensor or an array, got {type(out).__name__}"
    )


def _share_storage(view: Tensor, cls: type[Function], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> None:
    """Make ``view`` (an is_view op's result) a view of ``args[0]``: one version counter, one base
    tensor (the storage's owner), and the chain of view ops that makes ``view`` from that base.

    The chain lets a recorded in-place write to the storage give every live view made in grad
    mode the new history (``refresh_views``), as PyTorch regenerates a view's grad_fn."""
    base = args[0]
    view._vc = base._version_counter
    root = base._base
    if root is None:
        root, chain = base, ()
    else:
        chain = base._view_chain
    view._base = root
    view._view_chain = (*chain, (cls, args[1:], kwargs))
    if _GradMode.enabled:
        views = root._views
        if views is None:
            root._views = [_weakref(view)]
        else:
            if len(views) >= 16 and len(views) & (len(views) - 1) == 0:  # at powers of two:
                views[:] = [r for r in views if r() is not None]  # drop the dead, amortized
            views.append(_weakref(view))
    else:
        view._no_grad_view = True


def replay_view(root: Tensor, chain: tuple[Any, ...]) -> Tensor:
    """The view ``chain`` (see ``_share_storage``) applied to ``root``, recorded as usual."""
    t = root
    for cls, rest, kwargs in chain:
        t = cls.apply(t, *rest, **kwargs)
    return t


def refresh_views(root: Tensor) -> None:
    """After a recorded in-place write to ``root``'s storage (``root`` has a new grad_fn): each
    live view of it made in grad mode takes the history of the same view of the new ``root``."""
    views = root._views
    if not views:
        return
    live = [r for r in views if r() is not None]
    root._views = None  # the replays' own views are temporaries: not kept
    prev = _GradMode.enabled
    _GradMode.enabled = True
    try:
        for r in live:
            v = r()
            if v is None:
                continue
            old = v.grad_fn
            node = replay_view(root, v._view_chain).grad_fn
            if old is not None and old._retain is not None and old._retain() is v:
                old._retain = None  # retain_grad follows the tensor to its new history
                node._retain = _weakref(v)
            v.grad_fn = node
            v.requires_grad = node is not None
    finally:
        _GradMode.enabled = prev
        root._views = live


def _save(t: Tensor, source: Any) -> SavedTensor:
    """What a rule keeps of ``t``: its array, version counter and version, and ``source``."""
    s = SavedTensor()
    s._data = t._data
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
    s.version_counter = vc
    s.version = vc.value
    s.source = source
    return s


def _as_output(s: SavedTensor) -> SavedTensor:
    s.source = _OUTPUT
    return s


def _ctx_output(ctx: Node) -> Tensor:
    saved = ctx._output
    if saved is None:
        _ = ctx.saved_tensors  # raises the freed-buffers error
        raise RuntimeError(f"{ctx.name()}: the output was not saved")
    if _RuleMode.arrays:
        if saved.version_counter.value != saved.version:
            raise saved.version_error(ctx)
        return saved._data
    return saved.unpack(ctx)


Node.output = property(_ctx_output, doc="The op's result, connected to the graph (save_output).")


def _summed_dims(gshape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The dimensions of ``gshape`` that broadcasting ``shape`` to it added or stretched.

    Raises ValueError when ``shape`` does not broadcast to ``gshape``.
    """
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: {tuple(gshape)} has fewer dimensions than {tuple(shape)}")
    dims = list(range(lead))
    for i, n in enumerate(shape):
        if n != gshape[i + lead]:
            if n != 1:
                raise ValueError(f"sum_to: {tuple(shape)} does not broadcast to {tuple(gshape)}")
            dims.append(i + lead)
    return tuple(dims)


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Undo broadcasting: sum ``g`` over the dimensions broadcasting added or stretched.

    Raises ValueError when ``shape`` does not broadcast to ``g``'s shape.
    """
    if g._data.shape == shape:
        return g
    dims = _summed_dims(g._data.shape, shape)
    if len(dims) == g._data.ndim - len(shape) > 0:  # only added leading dims (a bias)
        return g.sum(dim=dims)  # already shaped: no reshape
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape) if g._data.shape != shape else g


def _sum_to_array(g: Any, shape: tuple[int, ...]) -> Any:
    """``sum_to`` for a bare array."""
    dims = _summed_dims(g.shape, shape)
    if len(dims) == g.ndim - len(shape) > 0:  # as in sum_to; and the sum owns its buffer, so
        return g.sum(axis=dims)  # .grad may keep it without a copy
    if dims:
        g = g.sum(axis=dims, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _check_grads(node: Node, grads: Any, arrays: bool = False) -> tuple[Any, ...]:
    """A rule's gradients, one per input: checked, summed back to the input's shape (the one
    place broadcasting is undone) and cast to its dtype. Tensors, or bare arrays if ``arrays``
    (a backward pass that records nothing)."""
    if type(grads) is not tuple:
        grads = tuple(grads) if type(grads) is list else (grads,)
    meta = node._input_meta
    if len(grads) != len(meta) and (
        len(grads) < len(meta) or any(gi is not None for gi in grads[len(meta):])
    ):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(meta)}, got {len(grads)})"
        )
    kind = ndarray if arrays else _Tensor
    out = []
    for gi, m in zip(grads, meta, strict=False):
        if gi is None or m is None:  # inputs needing no gradient have no edge: dropped anyway
            out.append(None)
            continue
        shape, dtype = m
        if type(gi) is not kind:
            try:
                gi = xp.asarray(gi, dtype) if arrays else _Tensor._make(
                    _Tensor._coerce(gi, dtype), False, None)
            except (TypeError, ValueError):
                raise TypeError(
                    f"function {node.name()} returned a {type(gi).__name__} as a gradient; "
                    f"expected a Tensor or None"
                ) from None
        a = gi if arrays else gi._data
        if a.shape != shape:
            try:
                gi = _sum_to_array(gi, shape) if arrays else sum_to(gi, shape)
            except ValueError:
                raise RuntimeError(
                    f"function {node.name()} returned a gradient of shape "
                    f"{tuple(a.shape)} for an input of shape {tuple(shape)}"
                ) from None
        if a.dtype != dtype:
            gi = gi.astype(dtype) if arrays else gi.to(dtype=dtype)
        out.append(gi)
    return tuple(out)


def _call_hooks(hooks: dict[int, Callable], g: Tensor) -> Tensor:
    """Each hook in turn may replace the gradient, with one of the same shape and dtype (as
    PyTorch: anything else raises, naming the hook)."""
    for hook in list(hooks.values()):
        new = hook(g)
        if new is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(new, _Tensor):
            raise TypeError(f"hook '{name}' returned a {type(new).__name__}; expected a Tensor "
                            f"or None")
        if new._data.dtype != g._data.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} "
                               f"got {new.dtype})")
        if new._data.shape != g._data.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                               f"{tuple(g._data.shape)} got {tuple(new._data.shape)})")
        g = new
    return g


def _call_hooks_on_array(hooks: dict[int, Callable], g: Any) -> Any:
    """Hooks see Tensors, and Tensor rules, even in a pass that passes arrays."""
    _RuleMode.arrays = False
    try:
        return _call_hooks(hooks, _Tensor._make(xp.asarray(g), False, None))._data
    finally:
        _RuleMode.arrays = True


class _Pass:
    """The state of one backward pass: what is captured and accumulated where.

    A pass that records nothing (no create_graph) passes bare arrays between nodes and runs the
    built-in rules on them (``Function.array_rule``): NumPy's cost per step, no Tensor wrappers.
    With create_graph the gradients are Tensors and every rule is recorded.
    """

    __slots__ = ("captured", "create_graph", "handed", "needed", "on_arrays", "release", "targets")

    def __init__(self, create_graph: bool, release: bool) -> None:
        self.create_graph = create_graph
        self.on_arrays = not create_graph
        self.release = release  # free each node's saved buffers once its rule has run
        self.targets: set[Any] | None = None  # nodes whose gradient is captured (inputs)
        self.needed: set[Any] | None = None  # nodes whose rule must run (an input lies below)
        self.captured: dict[Any, Any] = {}
        self.handed: set[int] = set()  # ids of arrays other tensors hold (seeds, stored grads)

    def accumulate(self, t: Tensor, g: Any, shared: bool = False, leaf: bool = True) -> None:
        """``t.grad += g``: in place (g an array) where PyTorch does it in place, else a new
        ``.grad``; recorded when graphs are being built (g a Tensor). ``leaf``: False for a
        non-leaf's retained gradient."""
        old = t._grad
        if self.create_graph:
            # recorded: a clone owns a writable buffer and stays differentiable
            t._grad = g.clone() if old is None else old + g
            return
        if type(g) is not ndarray:
            g = xp.array(g)  # a NumPy scalar, from a rule on 0-d arrays: a buffer of its own
        if old is None:
            # .grad must own a buffer no other tensor shares, since it is written in place later
            # (accumulation, zero_grad). The gradient's own array qualifies when only the pass
            # refers to it (refcount: the driver's and vjp's names, ``g``, getrefcount's argument)
            # and it was not handed out already in this pass (a seed, another .grad): no copy.
            if (shared or g.base is not None or sys.getrefcount(g) > 4 or id(g) in self.handed
                    or not g.flags.writeable):
                g = g.copy()
            self.handed.add(id(g))
            t._grad = _Tensor._make(g, False, None)
        elif (old._data.shape == g.shape and old._data.dtype == g.dtype
              and old._data.flags.writeable and (leaf or not old.requires_grad)):
            # as PyTorch: a leaf's .grad is added to in place, so one with a graph (from an
            # earlier create_graph) keeps it; a retained .grad with a graph is replaced
            xp.add(old._data, g, out=old._data)
            old._version_counter.value += 1
        else:
            t._grad = _Tensor._make(xp.asarray(old._data + g), False, None)

    def _run_hooks(self, hooks: dict[int, Callable], g: Any) -> Any:
        """Tensor hooks on ``g``: they see Tensors even in a pass that passes arrays."""
        return (_call_hooks if self.create_graph else _call_hooks_on_array)(hooks, g)

    def _before_rule(self, node: Node, g: Any) -> Any:
        """Hooks, retain_grad and capture at ``node``; None when its rule need not run."""
        if node._pre_hooks:
            g = self._run_hooks(node._pre_hooks, g)
        if node._retain is not None:
            t = node._retain()
            if t is not None:
                self.accumulate(t, g, leaf=False)
        if self.targets is not None and node in self.targets:
            self.captured[node] = g
            if node not in self.needed:
                return None
        return g

    def vjp(self, node: Any, g: Any) -> tuple[Any, ...]:
        """One step of the chain rule at ``node`` (the graph core's ``vjp`` callback): tensor
        hooks, retain_grad, capture, then the node's rule."""
        on_arrays = self.on_arrays
        if type(node) is AccumulateGrad:
            leaf = node._leaf()
            if leaf is None or not leaf.requires_grad:  # gone, or requires_grad_(False) since
                return ()
            hooked = bool(leaf._hooks)
            if hooked:  # a hook's result may be held by the user
                g = self._run_hooks(leaf._hooks, g)
            if self.targets is None:
                self.accumulate(leaf, g, shared=hooked)
            else:
                self.captured[node] = g
            return ()
        if node._pre_hooks is not None or node._retain is not None or self.targets is not None:
            g = self._before_rule(node, g)
            if g is None:
                return ()  # captured, and no input lies below it
        fn = node.fn
        if on_arrays and fn.array_rule:  # the common case: a built-in rule on arrays
            grads = fn.backward(node, g)
            if type(grads) is not tuple:
                grads = (grads,)
            meta = node._input_meta
            if node._exact:
                pass  # shaped and typed like g and every input (Function.elementwise)
            elif len(grads) != len(meta):
                grads = _check_grads(node, grads, True)
            else:
                for gi, m in zip(grads, meta):  # noqa: B905 (lengths checked)
                    # m: (shape, dtype), or None for a non-tensor input
                    if gi is not None and (type(gi) is not ndarray or (gi.shape, gi.dtype) != m):
                        grads = _check_grads(node, grads, True)  # un-broadcast, cast, drop
                        break
        elif on_arrays:  # a rule written for Tensors only
            _RuleMode.arrays = False
            try:
                gt = _Tensor._make(xp.asarray(g), False, None)  # a 0-d rule's NumPy scalar too
                grads = _check_grads(node, fn.backward(node, gt))
            finally:
                _RuleMode.arrays = True
            grads = tuple([None if gi is None else gi._data for gi in grads])
        else:
            grads = _check_grads(node, fn.backward(node, g))
        if not fn._builtin:
            # a custom rule may return tensors it also keeps: .grad must not share them
            self.handed.update(id(gi._data if isinstance(gi, _Tensor) else gi)
                               for gi in grads if gi is not None)
        if self.release and (node._saved is not None or node._output is not None):
            node._saved = node._output = None  # freed as soon as the rule has run
            node._freed = True
        return grads


_parents = operator.attrgetter("_next")  # a node's parents (C-level: called once per node)


def _prune(order: list[Any], targets: set[Any]) -> tuple[list[Any], set[Any]]:
    """Keep the nodes on a path to a target; ``needed``: those whose rule must run."""
    needed: set[Any] = set()
    for node in order:  # parents come first
        for p in node._next:
            if p is not None and (p in targets or p in needed):
                needed.add(node)
                break
    return [n for n in order if n in needed or n in targets], needed


@xp.errstate(all="ignore")
def _quiet_pass(run: _Pass, nodes: list[Any], seeds: list[Any],
                inputs: Sequence[Tensor] | None) -> list[Any] | None:
    """The pass itself, with NumPy's floating-point warnings off (PyTorch gives inf and nan
    silently): one place for every rule. Returns the inputs' edges, if given."""
    if inputs is None:  # every node a gradient reaches runs, in rank order
        graph.backward(nodes, seeds, _parents, run.vjp, keep=False, rank=_rank)
        return None
    order = graph.topological_order(nodes, _parents)  # only nodes on a path to an input
    edges = [edge(x) for x in inputs]
    run.targets = {e for e in edges if e is not None}
    order, run.needed = _prune(order, run.targets)
    graph.backward(nodes, seeds, _parents, run.vjp, order, keep=False)
    return edges


def run_backward(
    roots: Sequence[Tensor],
    grad_roots: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
    accumulate: bool = True,
) -> tuple[Tensor | None, ...] | None:
    """The backward pass behind ``Tensor.backward`` and ``chainrule.grad``.

    Without ``inputs``, every leaf's gradient is added to its ``.grad``. With ``inputs``, only
    the part of the graph leading to them runs, and their gradients are added to their ``.grad``
    (``accumulate=True``, leaves and non-leaves alike) or returned (``accumulate=False``).
    """
    nodes = []
    for i, t in enumerate(roots):
        node = edge(t)
        if node is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        nodes.append(node)
    run = _Pass(create_graph, release=not retain_graph)
    for s in grad_roots:
        run.handed.add(id(s._data))
    seeds = grad_roots if create_graph else [s._data for s in grad_roots]
    outer = _RuleMode.arrays, _GradMode.enabled
    _RuleMode.arrays = not create_graph
    _GradMode.enabled = create_graph
    try:
        edges = _quiet_pass(run, nodes, seeds, inputs)
    finally:
        _RuleMode.arrays, _GradMode.enabled = outer
    if inputs is None:
        return None
    with set_grad_enabled(create_graph):
        result = []
        for i, (x, e) in enumerate(zip(inputs, edges, strict=True)):
            g = run.captured.get(e) if e is not None else None
            if accumulate:
                if g is not None and not (x.grad_fn is not None and x.retains_grad):
                    run.accumulate(x, g, leaf=x.grad_fn is None)
                continue
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}], shape "
                    f"{tuple(x.shape)}) appears to not have been used in the graph. Set "
                    f"allow_unused=True if this is the desired behavior."
                )
            result.append(g if g is None or create_graph
                          else _Tensor._make(xp.asarray(g), False, None))
    return None if accumulate else tuple(result)


def _as_list(ts: Any, where: str, what: str) -> list[Tensor]:
    if isinstance(ts, _Tensor):
        return [ts]
    if not isinstance(ts, Sequence):
        raise TypeError(f"{where}: {what} must be a Tensor or a sequence of Tensors, got "
                        f"{type(ts).__name__}")
    ts = list(ts)
    for i, t in enumerate(ts):
        if not isinstance(t, _Tensor):
            raise TypeError(f"{where}: {what}[{i}] must be a Tensor, got {type(t).__name__}")
    return ts


def _check_inputs(inputs: Any, where: str) -> list[Tensor]:
    """The ``inputs`` of grad/backward: a non-empty list of tensors that require grad."""
    inputs = _as_list(inputs, where, "inputs")
    if not inputs:
        raise RuntimeError(f"{where}: the `inputs` argument cannot be empty")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(
                f"{where}: one of the differentiated Tensors does not require grad (inputs[{i}], "
                f"shape {tuple(x.shape)})"
            )
    return inputs


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``: sum_k grad_outputs_k^T d(out_k)/dx.

    Leaves' ``.grad`` are not touched. With ``create_graph=True`` the result is differentiable.
    """
    outputs = _as_list(outputs, "grad", "outputs")
    inputs_t = _check_inputs(inputs, "grad")
    seeds = _seeds(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(
        outputs, seeds, retain_graph, create_graph, inputs_t, allow_unused, accumulate=False
    )


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """``chainrule.autograd.backward``: add sum_k grad_tensors_k^T d(tensors_k)/d(leaf) to every
    leaf's ``.grad`` (only to ``inputs``' when given), as ``Tensor.backward`` for several roots.
    """
    tensors = _as_list(tensors, "backward", "tensors")
    seeds = _seeds(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _check_inputs(inputs, "backward")
    run_backward(tensors, seeds, retain_graph, create_graph, inputs)


def _seeds(outputs: Sequence[Tensor], grad_outputs: Any, where: str) -> list[Tensor]:
    """The gradients backward starts from: ``grad_outputs``, or 1 for scalar outputs."""
    if grad_outputs is None and len(outputs) == 1:  # loss.backward(): d loss / d loss = 1
        out = outputs[0]._data
        if outputs[0].requires_grad and out.size == 1:
            return [_one_like(out)]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, _Tensor):
        grad_outputs = [grad_outputs]
    elif isinstance(grad_outputs, str | bytes) or not hasattr(grad_outputs, "__iter__"):
        raise TypeError(f"{where}: gradients can be either Tensors or None, but got "
                        f"{type(grad_outputs).__name__}")
    else:
        grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{where}: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        dtype = out._data.dtype
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; outputs[{i}] has "
                    f"shape {tuple(out.shape)}: pass a gradient of that shape"
                )
            g = _one_like(out._data)
        else:
            if not isinstance(g, _Tensor):
                if isinstance(g, str | bytes):
                    raise TypeError(f"{where}: gradients can be either Tensors or None, but got "
                                    f"{type(g).__name__}")
                g = _Tensor._make(_Tensor._coerce(g, dtype), False, None)
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"{where}: Mismatch in shape: grad_outputs[{i}] has shape {tuple(g.shape)} "
                    f"and outputs[{i}] has shape {tuple(out.shape)}"
                )
            if g._data.dtype != dtype:
                g = g.to(dtype=dtype)
        seeds.append(g)
    return seeds


def _one_like(a: Any) -> Tensor:
    """A tensor of ones shaped like the one-element array ``a`` (the seed d out / d out)."""
    one = xp.array(1, a.dtype)
    return _Tensor._make(one if a.ndim == 0 else one.reshape(a.shape), False, None)
