"""Pictures of Tensor graphs: op ovals, shapes and dtypes in boxes, leaves by name."""

import re
import shutil

import chainrule as cr
from chainrule.viz import draw_graph


def test_tensor_graph_has_ops_shapes_and_named_leaves():
    w = cr.randn(3, 4, requires_grad=True)
    b = cr.zeros(4, requires_grad=True)
    x = cr.randn(2, 3)
    y = (x @ w + b).exp().sum()
    src = draw_graph(y, names={"weight": w, "bias": b}).source
    for op in ("Matmul", "Add", "Exp", "Sum"):
        assert f"label={op} " in src
    assert "weight | (3, 4) float32" in src
    assert "bias | (4,) float32" in src
    assert "(2, 4) float32" in src  # the matmul's and the add's output
    assert "{ () float32 }" in src  # the scalar root
    assert src.count("shape=ellipse") == 4
    assert src.count("shape=record") == 7  # x too: an unnamed input box
    assert "{ tensor | (2, 3) float32 }" in src


def test_tensor_graph_of_a_plain_tensor_is_one_box():
    src = draw_graph(cr.ones(2, dtype=cr.float64)).source
    assert "(2,) float64" in src and "ellipse" not in src


def test_tensor_graph_renders_svg():
    assert shutil.which("dot"), "the graphviz dot binary must be installed (make graphviz)"
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    svg = draw_graph((a * a).sum()).pipe(format="svg")
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg


def _boxes_and_edges(src: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """label -> box id, and op id -> the ids of the boxes wired into it."""
    boxes = {label: i for i, label in re.findall(r'^\t"?(\w+)"? \[label="\{ (.*?) \}"', src, re.M)}
    into: dict[str, list[str]] = {}
    for a, b in re.findall(r'^\t"?(\w+)"? -> "(\w+_op)"', src, re.M):
        into.setdefault(b, []).append(a)
    return boxes, into


def test_named_inputs_that_need_no_grad_are_drawn_before_and_after_backward():
    w = cr.randn(3, 4, requires_grad=True)
    x = cr.randn(2, 3)
    y = (x @ w).sum()
    names = {"x": x, "w": w}
    for backward_done in (False, True):
        src = draw_graph(y, names=names).source
        boxes, into = _boxes_and_edges(src)
        assert "x | (2, 3) float32" in boxes and "w | (3, 4) float32" in boxes
        matmul = next(op for op, ins in into.items() if boxes["w | (3, 4) float32"] in ins)
        assert into[matmul] == [boxes["x | (2, 3) float32"], boxes["w | (3, 4) float32"]]
        if not backward_done:
            y.backward()  # the second picture: saved arrays freed, x found by shape and dtype


def test_named_inputs_of_one_shape_are_told_apart_by_what_the_op_saved():
    w, v = cr.randn(3, requires_grad=True), cr.randn(3, requires_grad=True)
    x, z = cr.randn(3), cr.randn(3)
    y = (w * x + v * z).sum()
    names = {"w": w, "v": v, "x": x, "z": z}
    boxes, into = _boxes_and_edges(draw_graph(y, names=names).source)
    ops = {tuple(ins) for ins in into.values()}
    shape = " | (3,) float32"
    assert (boxes["w" + shape], boxes["x" + shape]) in ops
    assert (boxes["v" + shape], boxes["z" + shape]) in ops

    y.backward()  # nothing saved any more: two named (3,) tensors could be either input
    src = draw_graph(y, names=names).source
    assert "x |" not in src and "z |" not in src
    assert src.count("{ tensor | (3,) float32 }") == 2


def test_an_unnamed_constant_is_not_given_a_name_of_its_shape():
    w = cr.randn(3, requires_grad=True)
    x, c = cr.randn(3), cr.randn(3)
    src = draw_graph((w * c).sum(), names={"x": x}).source  # Mul saved c: not x
    assert "x |" not in src and "{ tensor | (3,) float32 }" in src


def test_a_named_input_used_twice_is_one_box_with_two_edges():
    w = cr.randn(3, requires_grad=True)
    x = cr.randn(3)
    y = (w * x + x).sum()
    src = draw_graph(y, names={"x": x}).source
    boxes, into = _boxes_and_edges(src)
    x_id = boxes["x | (3,) float32"]
    assert sum(ins.count(x_id) for ins in into.values()) == 2
    assert src.count("{ x | (3,) float32 }") == 1
