"""Pictures of Tensor graphs: op ovals, shapes and dtypes in boxes, leaves by name."""

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
    assert src.count("shape=record") == 6


def test_tensor_graph_of_a_plain_tensor_is_one_box():
    src = draw_graph(cr.ones(2, dtype=cr.float64)).source
    assert "(2,) float64" in src and "ellipse" not in src


def test_tensor_graph_renders_svg():
    assert shutil.which("dot"), "the graphviz dot binary must be installed (make graphviz)"
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    svg = draw_graph((a * a).sum()).pipe(format="svg")
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg
