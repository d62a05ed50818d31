"""draw_graph / save_graph: the DOT structure, rendering with `dot`, and the .dot fallback."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator

import graphviz
import pytest

from chainrule import Value
from chainrule.scalar import linear
from chainrule.viz import GraphNode, draw_graph, register_node_kind, save_graph
from chainrule.viz import graph as graph_mod


def _counts(dot: graphviz.Digraph) -> tuple[int, int, int]:
    body = "".join(dot.body)
    return body.count("shape=record"), body.count("shape=ellipse"), body.count("->")


def _edges(dot: graphviz.Digraph) -> list[tuple[str, str]]:
    found = re.findall(r"^\s*(\S+) -> (\S+)", dot.source, flags=re.M)
    return [(a.strip('"'), b.strip('"')) for a, b in found]


def lecture_graph() -> Value:
    a, b, c, f = (Value(x, label=n) for x, n in [(2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")])
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def test_structure_of_the_lecture_example() -> None:
    dot = draw_graph(lecture_graph())
    records, ops, edges = _counts(dot)
    assert records == 7  # a b c e d f L
    assert ops == 3  # *, +, *
    assert edges == 3 + 2 * 3  # op -> result for each op, two inputs -> op for each op
    src = dot.source
    assert "rankdir=LR" in src
    for text in ["{ a | data 2.0000 | grad 6.0000 }", "{ b | data -3.0000 | grad -4.0000 }",
                 "{ L | data -8.0000 | grad 1.0000 }", "{ e | data -6.0000 | grad -2.0000 }"]:
        assert text in src
    assert re.search(r'label="\*"', src) and re.search(r'label="\+"', src)


def test_each_op_node_wired_inputs_to_op_to_result() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a + b
    dot = draw_graph(c)
    ids = {v: str(id(v)) for v in (a, b, c)}
    op = ids[c] + "_op"
    assert sorted(_edges(dot)) == sorted([(ids[a], op), (ids[b], op), (op, ids[c])])


def test_value_used_twice_gets_two_edges() -> None:
    x = Value(3.0, label="x")
    y = x * x
    z = y + x
    dot = draw_graph(z)
    edges = _edges(dot)
    assert edges.count((str(id(x)), str(id(y)) + "_op")) == 2
    assert edges.count((str(id(x)), str(id(z)) + "_op")) == 1
    assert _counts(dot)[:2] == (3, 2)  # x drawn once


def test_empty_label_is_left_out_and_record_characters_are_escaped() -> None:
    a = Value(1.5)
    b = Value(2.0, label="x|y{1}<p>")
    dot = draw_graph(a * b)
    src = dot.source
    assert "{ data 1.5000 | grad 0.0000 }" in src
    assert r"x\|y\{1\}\<p\>" in src


def test_leaf_alone_and_fused_linear_node() -> None:
    assert _counts(draw_graph(Value(1.0))) == (1, 0, 0)
    ws = [Value(1.0), Value(2.0)]
    out = linear(ws, [3.0, 4.0], Value(0.5))
    records, ops, edges = _counts(draw_graph(out))
    assert (records, ops, edges) == (6, 1, 5 + 1)  # 2 w, 2 x, b, out
    assert "w·x+b" in draw_graph(out).source


def test_rankdir_and_format_are_passed_on() -> None:
    dot = draw_graph(Value(1.0) + 2.0, format="png", rankdir="TB")
    assert "rankdir=TB" in dot.source
    assert dot.format == "png"
    assert hasattr(dot, "_repr_mimebundle_")  # shows inline in Jupyter


def test_deep_graph_needs_no_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() + 500):
        y = y + 1.0
    records, ops, _ = _counts(draw_graph(y))
    assert ops == sys.getrecursionlimit() + 500
    assert records == 2 * ops + 1  # each + adds a result and a constant leaf


def test_other_node_kinds_plug_in_and_unknown_types_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(graph_mod, "_WALKERS", list(graph_mod._WALKERS))

    class Box:
        pass

    def box_nodes(root: Box, names: object = None) -> Iterator[GraphNode]:
        yield GraphNode("x", ("x", "shape (2, 3)"), "", ())
        yield GraphNode("y", ("shape (3,)",), "sum", ("x",))

    with pytest.raises(TypeError, match="cannot draw a Box"):
        draw_graph(Box())
    register_node_kind(Box, box_nodes)
    dot = draw_graph(Box())
    assert _counts(dot) == (2, 1, 2)
    assert "{ x | shape (2, 3) }" in dot.source


def test_render_svg_png_pdf_with_dot(tmp_path) -> None:
    assert shutil.which("dot") is not None, "graphviz `dot` must be installed (make graphviz)"
    root = lecture_graph()
    svg = save_graph(root, tmp_path / "g.svg")
    assert svg == tmp_path / "g.svg"
    text = svg.read_text()
    assert "<svg" in text and "data 2.0000" in text and "grad &#45;4.0000" in text
    assert save_graph(root, tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save_graph(root, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"


def test_fallback_to_dot_source_without_dot_binary(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(graph_mod.shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match=r"apt-get install graphviz.*brew install graphviz"):
        written = save_graph(lecture_graph(), tmp_path / "g.svg")
    assert written == tmp_path / "g.dot"
    assert not (tmp_path / "g.svg").exists()
    assert written.read_text().startswith("digraph")


def test_fallback_when_graphviz_cannot_run_dot(monkeypatch, tmp_path) -> None:
    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    with pytest.warns(UserWarning, match="make graphviz"):
        written = save_graph(lecture_graph(), tmp_path / "g.png")
    assert written.suffix == ".dot" and "digraph" in written.read_text()


def test_unknown_suffix(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"unknown picture suffix '\.jpeg'"):
        save_graph(Value(1.0), tmp_path / "g.jpeg")


def test_missing_graphviz_package_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install graphviz") as info:
        draw_graph(Value(1.0))
    assert "pip install -e '.[viz]'" in str(info.value)
    assert "chainrule[" not in str(info.value)  # not on PyPI: that command does not work
