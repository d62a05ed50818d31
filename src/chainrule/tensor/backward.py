"""The backward pass: ``run_backward`` (behind ``Tensor.backward``), ``grad`` and
``autograd.backward``, and the one place a rule's gradients are checked, un-broadcast and cast.

It hands the graph core (``chainrule.autograd.graph``) one ``vjp`` step per node of the graph
``function.py`` records: tensor hooks, then ``retain_grad``, then the node's rule; leaves'
gradients are accumulated into ``.grad`` as their ``AccumulateGrad`` node is reached. Without
create_graph the gradients passed between nodes are bare arrays and the built-in rules run on
them (``Function._builtin``). Given ``inputs``, only the nodes on a path to them run. Each
node's saved buffers are released as soon as its rule has run, unless ``retain_graph``; in-place
writes are caught through the version counter a saved tensor records.

Imports run one way: this module imports ``function.py`` and ``tensor.py``; neither imports it at
module level (``Tensor.backward`` imports it when called).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.autograd import graph
from chainrule.autograd.grad_mode import _GradMode, set_grad_enabled
from chainrule.tensor.backend import ndarray, quiet_off, quiet_on, xp
from chainrule.tensor.function import AccumulateGrad, Node, _RuleMode, edge
from chainrule.tensor.tensor import Tensor


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
        if g.dtype.kind == "f" and g.flags.c_contiguous and g.size:
            # only leading axes: a product with ones (BLAS), 5-8x NumPy's sum over leading
            # axes when the kept axes are short (a broadcast bias of a few features)
            n = g.size // math.prod(shape)
            return (xp.ones(n, g.dtype) @ g.reshape(n, -1)).reshape(shape)
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
    kind = ndarray if arrays else Tensor
    out = []
    for gi, m in zip(grads, meta, strict=False):
        if gi is None or m is None:  # inputs needing no gradient have no edge: dropped anyway
            out.append(None)
            continue
        shape, dtype = m
        if type(gi) is not kind:
            try:
                gi = xp.asarray(gi, dtype) if arrays else Tensor._make(
                    Tensor._coerce(gi, dtype), False, None)
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
        if not isinstance(new, Tensor):
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
        return _call_hooks(hooks, Tensor._make(xp.asarray(g), False, None))._data
    finally:
        _RuleMode.arrays = True


class _Pass:
    """The state of one backward pass: what is captured and accumulated where.

    A pass that records nothing (no create_graph) passes bare arrays between nodes and runs the
    built-in rules on them (``Function._builtin``): NumPy's cost per step, no Tensor wrappers.
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
            # (accumulation, zero_grad). Ownership is explicit: ``handed`` holds every array the
            # pass has given away (the seeds, each .grad, arrays a custom rule returned, which
            # it may keep); a built-in rule's result is new or the gradient it received (which
            # nothing but the pass holds), and a view may share a buffer: copied. Else no copy.
            if (shared or g.base is not None or id(g) in self.handed
                    or not g.flags.writeable):
                g = g.copy()
            self.handed.add(id(g))
            t._grad = Tensor._make(g, False, None)
        elif (old._data.shape == g.shape and old._data.dtype == g.dtype
              and old._data.flags.writeable and (leaf or not old.requires_grad)):
            # as PyTorch: a leaf's .grad is added to in place, so one with a graph (from an
            # earlier create_graph) keeps it; a retained .grad with a graph is replaced
            xp.add(old._data, g, out=old._data)
            old._version_counter.value += 1
        else:
            t._grad = Tensor._make(xp.asarray(old._data + g), False, None)

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
        if on_arrays and fn._builtin:  # the common case: a built-in rule on arrays
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
                gt = Tensor._make(xp.asarray(g), False, None)  # a 0-d rule's NumPy scalar too
                grads = _check_grads(node, fn.backward(node, gt))
            finally:
                _RuleMode.arrays = True
            grads = tuple([None if gi is None else gi._data for gi in grads])
        else:
            grads = _check_grads(node, fn.backward(node, g))
        if not fn._builtin:
            # a custom rule may return tensors it also keeps: .grad must not share them
            self.handed.update(id(gi._data if isinstance(gi, Tensor) else gi)
                               for gi in grads if gi is not None)
        if self.release and (node._saved is not None or node._output is not None):
            node._saved = node._output = None  # freed as soon as the rule has run
            node._freed = True
        return grads


_parents = operator.attrgetter("_next")  # a node's parents (C-level: called once per node)
_rank = operator.attrgetter("_rank")  # its rank (function.py: below its inputs' nodes')


def _prune(order: list[Any], targets: set[Any]) -> tuple[list[Any], set[Any]]:
    """Keep the nodes on a path to a target; ``needed``: those whose rule must run."""
    needed: set[Any] = set()
    for node in order:  # parents come first
        for p in node._next:
            if p is not None and (p in targets or p in needed):
                needed.add(node)
                break
    return [n for n in order if n in needed or n in targets], needed


def _quiet_pass(run: _Pass, nodes: list[Any], seeds: list[Any],
                inputs: Sequence[Tensor] | None) -> list[Any] | None:
    """The pass itself, with NumPy's floating-point warnings off (PyTorch gives inf and nan
    silently): one place for every rule. Returns the inputs' edges, if given."""
    quiet = quiet_on()
    try:
        return _pass(run, nodes, seeds, inputs)
    finally:
        quiet_off(quiet)


def _pass(run: _Pass, nodes: list[Any], seeds: list[Any],
          inputs: Sequence[Tensor] | None) -> list[Any] | None:
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
                          else Tensor._make(xp.asarray(g), False, None))
    return None if accumulate else tuple(result)


def _as_list(ts: Any, where: str, what: str) -> list[Tensor]:
    if isinstance(ts, Tensor):
        return [ts]
    if not isinstance(ts, Sequence):
        raise TypeError(f"{where}: {what} must be a Tensor or a sequence of Tensors, got "
                        f"{type(ts).__name__}")
    ts = list(ts)
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
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
    elif isinstance(grad_outputs, Tensor):
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
            if not isinstance(g, Tensor):
                if isinstance(g, str | bytes):
                    raise TypeError(f"{where}: gradients can be either Tensors or None, but got "
                                    f"{type(g).__name__}")
                g = Tensor._make(Tensor._coerce(g, dtype), False, None)
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
    return Tensor._make(one if a.ndim == 0 else one.reshape(a.shape), False, None)
