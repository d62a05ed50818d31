"""Pictures of expression graphs with graphviz: one box per node, one small oval per operation.

Drawing is engine-agnostic. An engine plugs in with a *walker*: a function that takes the root
and yields one :class:`GraphNode` per node of its graph (a node id, the text fields of its box,
the op that made it, and the ids of its inputs, duplicates kept). :func:`value_nodes` is the
walker for the scalar engine's ``Value``; another engine registers its own with
:func:`register_node_kind` and :func:`draw_graph` picks it by the root's type.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from chainrule._extras import install_hint
from chainrule.autograd.graph import topological_order
from chainrule.scalar.value import Value
from chainrule.tensor.function import AccumulateGrad, SavedTensor, edge
from chainrule.tensor.tensor import Tensor

if TYPE_CHECKING:
    import graphviz

_INSTALL_DOT = (
    "install the graphviz `dot` binary: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), or `make graphviz` in a chainrule checkout"
)
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


class GraphNode(NamedTuple):
    """One node as a walker describes it to :func:`draw_graph`."""

    id: str  # unique within one picture
    fields: tuple[str, ...]  # the box's text, one field per cell (plain text, escaped here)
    op: str  # the operation that made the node; "" for a leaf
    inputs: tuple[str, ...]  # ids of the op's inputs, in order, duplicates kept


Walker = Callable[[Any, dict[str, Any] | None], Iterator[GraphNode]]
_WALKERS: list[tuple[type, Walker]] = []


def register_node_kind(cls: type, walker: Walker) -> None:
    """Let :func:`draw_graph` draw graphs whose root is an instance of ``cls``."""
    _WALKERS.insert(0, (cls, walker))


def value_nodes(root: Value, names: dict[str, Any] | None = None) -> Iterator[GraphNode]:
    """The walker for scalar ``Value`` graphs: boxes read ``label | data x | grad g``."""
    label_of = {id(v): k for k, v in (names or {}).items()}
    for v in topological_order((root,), _value_parents):
        label = v.label or label_of.get(id(v), "")
        fields = (label,) if label else ()
        fields += (f"data {v.data:.4f}", f"grad {v.grad:.4f}")
        yield GraphNode(str(id(v)), fields, v._op, tuple(str(id(p)) for p in v._prev))


def _value_parents(v: Value) -> tuple[Value, ...]:
    return v._prev


register_node_kind(Value, value_nodes)


def _shape_text(shape: tuple[int, ...], dtype: Any) -> str:
    return f"{tuple(shape)} {getattr(dtype, 'name', dtype)}"


def tensor_nodes(root: Tensor, names: dict[str, Any] | None = None) -> Iterator[GraphNode]:
    """The walker for ``Tensor`` graphs: one box per recorded op (its output's shape and dtype,
    the op name in the oval) and one box per leaf, named from ``names`` when given
    (e.g. ``dict(model.named_parameters())``).

    An op's tensor inputs that do not require grad (data, targets, constants) are boxes too:
    named when ``names`` holds them, else "tensor". The graph records only their shape and
    dtype, so a named one is found by the array the op saved for its backward (exact, until
    backward frees it) or else by shape and dtype, when just one named tensor has them.
    """
    label_of = {id(t): k for k, t in (names or {}).items()}
    constants = [(k, t) for k, t in (names or {}).items()
                 if isinstance(t, Tensor) and not t.requires_grad]
    out_meta: dict[int, tuple[Any, Any]] = {}
    root_node = edge(root)
    if root_node is None:  # a tensor outside any graph: one box
        yield GraphNode(str(id(root)), (label_of.get(id(root), "tensor"),
                                        _shape_text(root.shape, root.dtype)), "", ())
        return
    out_meta[id(root_node)] = (root._data.shape, root._data.dtype)
    order = topological_order((root_node,), _node_parents)
    for node in reversed(order):  # consumers first: they know their inputs' shapes
        for parent, meta in zip(node._next, getattr(node, "_input_meta", ()),
                                strict=False):
            if parent is not None and meta is not None:
                out_meta.setdefault(id(parent), meta)
    drawn: set[str] = set()
    for node in order:
        shape, dtype = out_meta.get(id(node), ((), None))
        if type(node) is AccumulateGrad:
            leaf = node.variable
            name = label_of.get(id(leaf), "leaf") if leaf is not None else "leaf (freed)"
            yield GraphNode(str(id(node)), (name, _shape_text(shape, dtype)), "", ())
            continue
        inputs = []
        for i, (parent, meta) in enumerate(
            zip(node._next, getattr(node, "_input_meta", ()), strict=False)
        ):
            if parent is not None:
                inputs.append(str(id(parent)))
            elif meta is not None:  # a tensor that does not require grad
                named = _named_constant(node, meta, constants)
                box = str(id(named[1])) if named else f"{id(node)}_input{i}"
                if box not in drawn:
                    drawn.add(box)
                    yield GraphNode(box, (named[0] if named else "tensor", _shape_text(*meta)),
                                    "", ())
                inputs.append(box)
        op = node.name().removesuffix("Backward")
        yield GraphNode(str(id(node)), (_shape_text(shape, dtype),), op, tuple(inputs))


def _named_constant(
    node: Any, meta: tuple[Any, Any], constants: list[tuple[str, Tensor]]
) -> tuple[str, Tensor] | None:
    """The named tensor that was ``node``'s input with shape and dtype ``meta``, if it can be
    told: the array the op saved of such a tensor (until backward frees it), or else the only
    named one of that shape and dtype."""
    fits = [(k, t) for k, t in constants if (t._data.shape, t._data.dtype) == meta]
    kept = [s._data for s in getattr(node, "_saved", None) or ()
            if type(s) is SavedTensor and s.source is None
            and (s._data.shape, s._data.dtype) == meta]
    if kept:  # the op kept the array of a constant like this input: identity tells
        fits = [(k, t) for k, t in fits if any(t._data is a for a in kept)]
    return fits[0] if len(fits) == 1 else None


def _node_parents(node: Any) -> tuple[Any, ...]:
    return node._next


register_node_kind(Tensor, tensor_nodes)


def _walker_for(root: object) -> Walker:
    for cls, walker in _WALKERS:
        if isinstance(root, cls):
            return walker
    kinds = ", ".join(cls.__name__ for cls, _ in _WALKERS)
    raise TypeError(f"draw_graph: cannot draw a {type(root).__name__}; it draws {kinds}")


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "chainrule.viz needs the graphviz Python package: "
            + install_hint("viz", "graphviz")
        ) from None
    return graphviz


def _record_text(text: str) -> str:
    # characters that structure a graphviz record label, taken literally when escaped
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_graph(
    root: Any, format: str = "svg", rankdir: str = "LR", names: dict[str, Any] | None = None
) -> graphviz.Digraph:
    """The graph that computed ``root`` as a ``graphviz.Digraph`` (shown inline in Jupyter).

    One record box per node and one oval per operation, wired inputs -> op -> result; an input
    used twice by one op gets two edges. ``rankdir="LR"`` draws left to right, "TB" top down.
    ``names`` maps names to leaves (Values or Tensors) to label them.
    """
    graphviz = _import_graphviz()
    walker = _walker_for(root)
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    for node in walker(root, names):
        text = " | ".join(_record_text(f) for f in node.fields)
        dot.node(node.id, label=graphviz.nohtml("{ " + text + " }"), shape="record")
        if node.op:
            op_id = node.id + "_op"
            dot.node(op_id, label=graphviz.nohtml(node.op), shape="ellipse")
            dot.edge(op_id, node.id)
            for input_id in node.inputs:
                dot.edge(input_id, op_id)
    return dot


def save_graph(
    root: Any, path: str | Path, rankdir: str = "LR", names: dict[str, Any] | None = None
) -> Path:
    """Write the picture of ``root``'s graph to ``path`` (.svg, .png or .pdf); return the path.

    Without the graphviz ``dot`` binary it writes the DOT source to ``path`` with the suffix
    ".dot" instead, warns how to install graphviz, and returns that path.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save_graph: {str(path)!r}: unknown picture suffix {path.suffix!r}; "
            f"use one of {', '.join(_FORMATS)}"
        )
    graphviz = _import_graphviz()
    dot = draw_graph(root, format=fmt, rankdir=rankdir, names=names)
    if shutil.which("dot") is not None:
        try:
            data = dot.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            pass
        else:
            path.write_bytes(data)
            return path
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(dot.source, encoding="utf-8")
    warnings.warn(
        f"graphviz `dot` was not found, so {dot_path} holds the graph's DOT source instead of "
        f"a picture; {_INSTALL_DOT}",
        stacklevel=2,
    )
    return dot_path
