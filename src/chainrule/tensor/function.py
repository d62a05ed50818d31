"""The node protocol: Function, its context (the graph node, ``grad_fn``), saved tensors, views.

The graph is made of nodes, not tensors (as PyTorch's): a result's ``grad_fn`` is the context its
Function filled in, ``next_functions`` are the input tensors' nodes (their ``grad_fn``, or an
``AccumulateGrad`` for a leaf), and only the arrays a rule saved are kept alive. No reference
cycle is made anywhere:

- a node points to its inputs' nodes, never to its output tensor;
- a saved tensor keeps its array and its node, never the Tensor object (a saved output is
  rebuilt around the node when unpacked);
- ``AccumulateGrad`` holds its leaf weakly (the leaf holds it), so ``x.grad``'s graph
  (create_graph=True) does not keep ``x`` alive through ``x -> x.grad -> grad_fn -> ... -> x``.

The backward pass that walks these nodes (``run_backward``, ``grad``) is ``backward.py``; it
imports this module, which never imports it. This module imports ``tensor.py``, which imports
neither at module level.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any
from weakref import ref as _weakref

from chainrule.autograd.grad_mode import _GradMode
from chainrule.tensor.backend import ndarray, quiet_off, quiet_on, xp
from chainrule.tensor.tensor import Tensor, VersionCounter


class _RuleState(threading.local):
    """``arrays``: True while rules run on bare arrays (a backward pass that records no graph).
    Per thread, like grad mode (two threads may run backward passes of both kinds at once)."""

    arrays = False


_RuleMode = _RuleState()


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
        t = Tensor._make(self._data, src is not None, node)
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
        T = Tensor
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


# the packages whose Functions are built-ins (Function._builtin)
_BUILTIN_MODULES = ("chainrule.tensor.", "chainrule.nn.")


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
    # chainrule's own ops, the tensor engine's and chainrule.nn's (set by __init_subclass__):
    # their forwards compute on arrays only (they call no recording op), so they run without a
    # grad-mode switch; their rules are written in NumPy's vocabulary and run on the bare arrays
    # (g, saved tensors, output) when no graph is recorded, on Tensors under create_graph
    # (docs/design.md); and they return gradients no one else holds
    _builtin = False
    # True: an elementwise op whose rule, when every tensor input has the result's shape
    # and dtype (other inputs are Python numbers) and g has them too, returns gradients with
    # that shape and dtype, as arrays (never NumPy scalars: 0-d results are excluded). The pass
    # then skips its check of them (a measured 5-7 us of 90 in benchmark (a)); hooks cannot
    # break this, since a hook may not change a gradient's shape or dtype (_call_hooks).
    elementwise = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # chainrule's own ops; Functions elsewhere (a user's) are run as custom Functions
        cls._builtin = cls.__module__.startswith(_BUILTIN_MODULES)

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
        T = Tensor
        if not _GradMode.enabled:
            return cls._apply_plain(args, kwargs)
        # The result needs a grad_fn if an input requires grad: forward (a custom one under
        # no_grad), then link. One fast path, inline (it runs once per recorded op): a tensor,
        # alone or with a second tensor or a Python number (x.exp(), x * y, x + 1.0), its cases
        # written out (a loop costs twice the bytecode); every other call links through
        # _link_general, which builds the same node by a loop (a test compares the two).
        n = len(args)
        a = args[0] if n else None
        if n <= 2 and isinstance(a, T):
            ra = a.requires_grad
            d = a._data
            m = (d.shape, d.dtype)
            if n == 1:
                if not ra:
                    return cls._apply_plain(args, kwargs)
                ctx = Node()
                ctx.needs_input_grad = (True,)
                ctx._next = (a.grad_fn or a._acc or edge(a),)
                ctx._input_meta = (m,)
                # elementwise, input not 0-d: the result is alike, and so are the gradients
                # its array rule returns (see Function.elementwise): the pass need not check them
                ctx._exact = cls.elementwise and m[0] != ()
            else:
                b = args[1]
                tb = type(b)
                if tb is float or tb is int:
                    if not ra:
                        return cls._apply_plain(args, kwargs)
                    ctx = Node()
                    ctx.needs_input_grad = (True, False)
                    ctx._next = (a.grad_fn or a._acc or edge(a), None)
                    ctx._input_meta = (m, None)
                    ctx._exact = cls.elementwise and m[0] != ()
                elif isinstance(b, T):
                    rb = b.requires_grad
                    if not (ra or rb):
                        return cls._apply_plain(args, kwargs)
                    e = b._data
                    k = (e.shape, e.dtype)
                    ctx = Node()
                    ctx.needs_input_grad = (ra, rb)
                    ctx._next = ((a.grad_fn or a._acc or edge(a)) if ra else None,
                                 (b.grad_fn or b._acc or edge(b)) if rb else None)
                    ctx._input_meta = (m, k)
                    ctx._exact = cls.elementwise and m == k and m[0] != ()
                else:
                    ctx = _link_general(cls, args)
                    if ctx is None:
                        return cls._apply_plain(args, kwargs)
        else:
            ctx = _link_general(cls, args)
            if ctx is None:
                return cls._apply_plain(args, kwargs)
        ctx.fn = cls
        ctx._rank = _next_rank()  # after its inputs' nodes (edge() may have just made one)
        ctx._saved = ctx._output = ctx._pre_hooks = ctx._retain = None
        ctx._freed = False
        quiet = quiet_on()  # NumPy's warnings off: inf and nan come silently, as in PyTorch
        try:
            if cls._builtin:  # computes on arrays, records nothing: no grad-mode switch needed
                # a call with *args costs twice a plain one (not inlined): 1 and 2 written out
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
        finally:
            quiet_off(quiet)
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
        T = Tensor
        ctx = Node()
        ctx.fn = cls
        ctx.needs_input_grad = ()
        ctx._saved = ctx._output = None
        ctx._freed = ctx._exact = False
        quiet = quiet_on()
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            quiet_off(quiet)
        if isinstance(out, T):
            return out if not out.requires_grad else out.detach()
        if type(out) is not ndarray:
            out = _as_array(out, cls)  # NumPy returns scalars, not 0-d arrays, from 0-d inputs
        out = T._make(out, False, None)
        if cls.is_view:
            _share_storage(out, cls, args, kwargs)
        return out


_new_node = object.__new__


def _link_general(cls: type[Function], args: tuple[Any, ...]) -> Node | None:
    """``apply``'s node for any arguments (a loop over them; the fast path in ``apply`` builds the
    same node for one tensor, optionally with a second tensor or a number), or None when no
    input requires grad."""
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            break
    else:
        return None
    ctx = Node()
    needs, nexts, meta = [], [], []
    same = cls.elementwise  # stays True while every tensor input is like the first one
    first = None
    for a in args:
        if isinstance(a, Tensor):
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
    # elementwise, inputs alike, not 0-d: as in apply, with numbers for other inputs
    ctx._exact = same and first is not None and first[0] != ()
    return ctx


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
