"""Autograd semantics of Tensor, checked against PyTorch: requires_grad, is_leaf, grad_fn,
.grad accumulation, retain_grad, backward/grad arguments, grad mode, detach, hooks."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

pytestmark = pytest.mark.torch


def pair(a, requires_grad=True):
    """The same float64 values as a chainrule and a torch leaf."""
    a = np.asarray(a, dtype=np.float64)
    return (cr.tensor(a, dtype=cr.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(ours, theirs, atol=1e-10):
    theirs = None if theirs is None else theirs.detach().numpy()
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=1e-8, atol=atol)


def structure(node, torch_style=False):
    """grad_fn's graph as nested names: ('MulBackward', [children...])."""
    if node is None:
        return None
    name = node.name()
    if torch_style:
        name = re.sub(r"\d+$", "", name).replace("torch::autograd::", "")
    return name, [structure(n, torch_style) for n, _ in node.next_functions]


# ----- leaves, grad_fn, next_functions ----------------------------------------------------------
def test_leaf_flags_follow_torch():
    x, tx = pair([1.0, 2.0])
    c, tc = pair([3.0, 4.0], requires_grad=False)
    for ours, theirs in [(x, tx), (c, tc), (x * c, tx * tc), (c * 2, tc * 2), (x.detach(),
                                                                               tx.detach())]:
        assert ours.is_leaf == theirs.is_leaf
        assert ours.requires_grad == theirs.requires_grad
        assert (ours.grad_fn is None) == (theirs.grad_fn is None)


def test_grad_fn_names_the_op_and_next_functions_match_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = pair([3.0, 4.0])
    c, tc = pair([0.5, 0.5], requires_grad=False)
    z = ((x * y + x.exp()) * c).sum()
    tz = ((tx * ty + tx.exp()) * tc).sum()
    assert structure(z.grad_fn) == structure(tz.grad_fn, torch_style=True)
    assert "Sum" in repr(z.grad_fn) and z.grad_fn.name() == "SumBackward"
    mul = z.grad_fn.next_functions[0][0]
    assert mul.next_functions[1] == (None, 0)  # the constant c
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x
    assert acc.next_functions == ()


def test_mean_is_one_node_as_torch():
    x, tx = pair([[1.0, 2.0], [3.0, 4.0]])
    for dim in (None, 0, (0, 1)):
        ours = x.mean() if dim is None else x.mean(dim=dim)
        theirs = tx.mean() if dim is None else tx.mean(dim=dim)
        assert structure(ours.grad_fn) == structure(theirs.grad_fn, torch_style=True)
        assert ours.grad_fn.name() == "MeanBackward"


def test_grad_fn_of_a_leaf_is_none_and_its_accumulator_is_shared():
    x = cr.tensor([1.0], requires_grad=True)
    assert x.grad_fn is None
    a, b = x * 2, x * 3
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]


# ----- .grad ------------------------------------------------------------------------------------
def test_grad_accumulates_across_backward_calls():
    x, tx = pair([1.0, -2.0, 3.0])
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
        close(x.grad, tx.grad)
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * np.array([1.0, -2.0, 3.0]))


def test_accumulated_grad_keeps_its_identity_as_torch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 2).sum().backward()
    assert g is x.grad
    np.testing.assert_array_equal(g.numpy(), [4.0, 4.0])
    assert g.grad_fn is None and not g.requires_grad


def test_leaf_grad_never_shares_memory_with_the_seed():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seed = cr.tensor([1.0, 1.0])
    x.backward(seed)
    x.grad.zero_()
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])
    y = cr.tensor([1.0, 2.0], requires_grad=True)
    (x + y).backward(seed)
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    assert not np.shares_memory(y.grad.numpy(), seed.numpy())


def test_leaf_grad_does_not_alias_a_tensor_a_custom_backward_returns():
    keep = cr.tensor([5.0, 5.0])

    class ReturnsKept(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return keep

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    ReturnsKept.apply(x).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(keep.numpy(), [5.0, 5.0])


def test_non_leaf_grad_is_none_unless_retained():
    x, tx = pair([1.0, 2.0])
    h, th = x * 3, tx * 3
    h.retain_grad()
    th.retain_grad()
    k = h * 2
    assert h.retains_grad and not k.retains_grad and not x.retains_grad
    (k * k).sum().backward(retain_graph=True)
    (th * 2 * th * 2).sum().backward(retain_graph=True)
    close(h.grad, th.grad)
    assert k.grad is None
    (k * k).sum().backward()  # retained grads accumulate, as leaves' do
    (th * 2 * th * 2).sum().backward()
    close(h.grad, th.grad)


def test_retain_grad_on_leaf_is_a_no_op_and_needs_requires_grad():
    x = cr.tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        cr.tensor([1.0]).retain_grad()


def test_retain_grad_follows_an_in_place_op_as_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    y.retain_grad()
    ty.retain_grad()
    y.mul_(3)
    ty.mul_(3)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    close(y.grad, ty.grad)
    close(x.grad, tx.grad)


# ----- backward's arguments ---------------------------------------------------------------------
def test_backward_with_gradient_for_non_scalar():
    x, tx = pair([[1.0, 2.0], [3.0, 4.0]])
    g = np.array([[1.0, -1.0], [0.5, 2.0]])
    (x * x).backward(cr.tensor(g, dtype=cr.float64))
    (tx * tx).backward(torch.tensor(g))
    close(x.grad, tx.grad)


def test_backward_on_non_scalar_without_gradient_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        (x * 2).backward()
    (x * 2)[0].backward()  # one element: fine (any shape with one element)
    (x.reshape(1, 2)[:, :1]).backward()
    assert x.grad.tolist() == [3.0, 0.0]


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor(1.0).backward()


def test_backward_gradient_shape_must_match():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(cr.ones(3))


def test_backward_gradient_is_cast_to_output_dtype():
    x = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    (x * 2).backward(cr.ones(2, dtype=cr.float64))
    assert x.grad.dtype == cr.float32


def test_second_backward_raises_unless_retain_graph():
    x, tx = pair([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty = (tx * tx).sum()
    ty.backward(retain_graph=True)
    ty.backward()
    close(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*Mul"):
        y.backward()


@pytest.mark.parametrize("op", ["amax", "max_dim"])
def test_second_backward_through_max_raises_as_torch(op):
    # max keeps its mask / indices as saved values, freed after the first backward (as torch)
    for t in (cr.tensor, torch.tensor):
        x = t([[1.0, 3.0], [2.0, 0.5]], requires_grad=True)
        y = x.amax() if op == "amax" else x.max(dim=1).values.sum()
        y.backward()
        with pytest.raises(RuntimeError, match="a second time"):
            y.backward()


def test_gradients_of_float32_ops_stay_float32():
    # a plain backward runs the rules on float32 arrays: no float64 may leak into .grad
    x = cr.tensor([0.5, 1.5, 2.0], dtype=cr.float32, requires_grad=True)
    w = cr.tensor([1.0, -2.0, 3.0], dtype=cr.float32, requires_grad=True)
    y = (x * w + 1.0) / 2.0 - w
    y = y.exp().log().tanh().sigmoid().relu() ** 2 + y.abs().sqrt().sin().cos()
    y = y.clamp(-1.0, 1.0) + cr.maximum(x, w) + cr.minimum(x, w) + cr.where(x > 1, x, w) - (-x)
    y.sum().backward()
    assert x.grad.dtype == cr.float32 and w.grad.dtype == cr.float32
    assert x.grad._data.dtype == np.float32 and w.grad._data.dtype == np.float32


def test_second_backward_through_nodes_without_saved_buffers_is_allowed_as_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = (x + 1).sum(), (tx + 1).sum()
    y.backward()
    y.backward()
    ty.backward()
    ty.backward()
    close(x.grad, tx.grad)


def test_saved_tensors_are_freed_after_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    node = y.grad_fn
    y.sum().backward()
    assert node._saved is None
    with pytest.raises(RuntimeError, match="second time"):
        _ = node.saved_tensors


@pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph=True")
def test_create_graph_gives_differentiable_grad():
    x, tx = pair([0.5, -1.5, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    (tx ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    close(x.grad, tx.grad)
    g, tg = x.grad, tx.grad
    x.grad, tx.grad = None, None
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    close(x.grad, tx.grad)


def test_backward_inputs_accumulate_only_into_those():
    x, tx = pair([1.0, 2.0])
    w, tw = pair([3.0, -1.0])
    h, th = x * w, tx * tw
    (h * h).sum().backward(inputs=[x])
    (th * th).sum().backward(inputs=[tx])
    close(x.grad, tx.grad)
    assert w.grad is None and tw.grad is None


def test_backward_inputs_non_leaf_gets_grad_as_torch():
    x, tx = pair([1.0, 2.0])
    h, th = x * 2, tx * 2
    (h * 3).sum().backward(inputs=[h])
    (th * 3).sum().backward(inputs=[th])
    close(h.grad, th.grad)
    assert x.grad is None and tx.grad is None


def test_backward_inputs_unused_and_invalid():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    u = cr.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward(inputs=u)  # unused: its grad stays None (as torch)
    assert u.grad is None and x.grad is None
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward(inputs=[cr.ones(2)])


def test_backward_inputs_runs_only_the_needed_part():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    calls = []
    a = w * 2
    a.register_hook(lambda g: calls.append("w-branch"))
    ((x * 2).sum() + a.sum()).backward(inputs=[x])
    assert calls == []
    assert x.grad.tolist() == [2.0, 2.0]


# ----- chainrule.grad ---------------------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, tx = pair([1.0, 2.0])
    w, tw = pair([0.5, -0.5])
    out = ((x * w).exp() * x).sum()
    tout = ((tx * tw).exp() * tx).sum()
    gx, gw = cr.grad(out, [x, w])
    tgx, tgw = torch.autograd.grad(tout, [tx, tw])
    close(gx, tgx)
    close(gw, tgw)
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad
    with pytest.raises(RuntimeError, match="second time"):  # retain_graph defaults to False
        cr.grad(out, [x])


def test_grad_with_grad_outputs_and_several_outputs():
    x, tx = pair([1.0, 2.0, 3.0])
    a, ta = x * x, tx * tx
    b, tb = x.exp(), tx.exp()
    ga = np.array([1.0, 0.0, 2.0])
    gb = np.array([-1.0, 1.0, 0.5])
    (g,) = cr.grad([a, b], x, [cr.tensor(ga, dtype=cr.float64), cr.tensor(gb, dtype=cr.float64)])
    (tg,) = torch.autograd.grad([ta, tb], tx, [torch.tensor(ga), torch.tensor(gb)])
    close(g, tg)


def test_grad_of_non_leaf_input_and_of_the_output_itself():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    z, tz = (y * y).sum(), (ty * ty).sum()
    gx, gy, gz = cr.grad(z, [x, y, z])
    tgx, tgy, tgz = torch.autograd.grad(tz, [tx, ty, tz])
    for a, b in [(gx, tgx), (gy, tgy), (gz, tgz)]:
        close(a, b)


def test_grad_allow_unused():
    x = cr.tensor([1.0], requires_grad=True)
    u = cr.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used"):
        cr.grad((x * 2).sum(), [x, u], retain_graph=True)
    gx, gu = cr.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_create_graph_second_and_third_derivatives():
    x, tx = pair([0.3, -0.7])
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    (g,) = cr.grad(y, x, create_graph=True)
    (tg,) = torch.autograd.grad(ty, tx, create_graph=True)
    (h,) = cr.grad(g.sum(), x, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx, create_graph=True)
    (k,) = cr.grad(h.sum(), x)
    (tk,) = torch.autograd.grad(th.sum(), tx)
    for a, b in [(g, tg), (h, th), (k, tk)]:
        close(a, b)


def test_grad_applies_hooks_of_its_inputs_as_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    y.register_hook(lambda g: g * 10)
    ty.register_hook(lambda g: g * 10)
    (gy,) = cr.grad((y * y).sum(), y)
    (tgy,) = torch.autograd.grad((ty * ty).sum(), ty)
    close(gy, tgy)
    x.register_hook(lambda g: g + 1)
    tx.register_hook(lambda g: g + 1)
    (gx,) = cr.grad((y * y).sum(), x)
    (tgx,) = torch.autograd.grad((ty * ty).sum(), tx)
    close(gx, tgx)


def test_grad_fills_retained_grads_on_the_path_as_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    y.retain_grad()
    ty.retain_grad()
    cr.grad((y * y).sum(), x)
    torch.autograd.grad((ty * ty).sum(), tx)
    close(y.grad, ty.grad)
    assert x.grad is None


def test_grad_input_validation():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.grad((x * 2).sum(), cr.ones(1))
    with pytest.raises(TypeError, match="inputs"):
        cr.grad((x * 2).sum(), [np.ones(1)])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        cr.grad((x * 2).sum(), [])
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.grad(cr.ones(1).sum(), x)


# ----- grad mode ----------------------------------------------------------------------------------
def test_no_grad_enable_grad_set_grad_enabled_contexts():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        assert not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()
    cr.set_grad_enabled(False)  # as a plain call, like torch
    try:
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_decorators():
    x = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad()
    def f(t):
        return t * 2

    @cr.set_grad_enabled(False)
    def g(t):
        return t * 2

    @cr.enable_grad()
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert h(x).requires_grad
    assert f.__name__ == "f"


def test_no_grad_restored_after_exception():
    with pytest.raises(ValueError), cr.no_grad():
        raise ValueError("boom")
    assert cr.is_grad_enabled()


def test_backward_inside_no_grad_still_computes_gradients():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with cr.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ----- detach, requires_grad_ ---------------------------------------------------------------------
def test_detach_shares_storage_and_version():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    y = x * x
    d.add_(1)  # writes x's storage: y's saved x is now stale, as in torch
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    assert x.tolist() == [2.0, 3.0]


def test_detach_in_place():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    assert y.detach_() is y
    ty.detach_()
    assert y.is_leaf == ty.is_leaf and y.requires_grad == ty.requires_grad
    v = (x * 2).reshape(2, 1)
    with pytest.raises(RuntimeError, match="view"):
        v.detach_()


def test_requires_grad_():
    x, tx = pair([1.0], requires_grad=False)
    assert x.requires_grad_() is x
    tx.requires_grad_()
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    y = cr.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    assert y.requires_grad_(True) is y


@pytest.mark.parametrize("dtype", [cr.int64, cr.int32, cr.uint8, cr.bool_])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.zeros(2, dtype=dtype).requires_grad_()
    with pytest.raises(RuntimeError, match=re.escape(repr(dtype))):
        cr.ones(2, dtype=dtype, requires_grad=True)


def test_integer_results_do_not_require_grad():
    x, tx = pair([1.5, -2.5])
    assert (x > 0).requires_grad == (tx > 0).requires_grad is False
    assert x.argmax().requires_grad is False


# ----- hooks ------------------------------------------------------------------------------------
def test_hooks_on_leaf_and_non_leaf_replace_gradients_as_torch():
    x, tx = pair([1.0, 2.0])
    y, ty = x * 3, tx * 3
    seen, tseen = [], []
    hy = y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    ty.register_hook(lambda g: tseen.append(g.numpy().copy()) or g * 2)
    x.register_hook(lambda g: g + 1)
    tx.register_hook(lambda g: g + 1)
    (y * y).sum().backward(retain_graph=True)
    (ty * ty).sum().backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], tseen[0])
    close(x.grad, tx.grad)
    hy.remove()
    x.grad = None
    (y * 1).sum().backward()
    assert len(seen) == 1  # removed
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_hooks_on_non_leaves_run_in_torchs_order():
    # Both engines run the nodes latest-made first (PyTorch by sequence number, chainrule by
    # rank), so tensor hooks along branches that join fire in the same order.
    def run(x, w):
        order = []
        a = x * w
        b = x + 1
        c = a * b
        d = b.exp()
        e = (c + d).sum() + a.sum()
        for name, t in [("a", a), ("b", b), ("c", c), ("d", d)]:
            t.register_hook(lambda g, name=name: order.append(name))
        e.backward()
        return order

    x, tx = pair([1.0, 2.0])
    w, tw = pair([0.5, -1.0])
    assert run(x, w) == run(tx, tw) == ["d", "c", "b", "a"]
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


def test_hook_returning_none_keeps_gradient_and_handle_context():
    x = cr.tensor([1.0], requires_grad=True)
    calls = []
    with x.register_hook(lambda g: calls.append(1)):
        (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert calls == [1]
    assert x.grad.tolist() == [4.0]


def test_hook_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.ones(2).register_hook(lambda g: g)


# ----- broadcasting, dtypes, shapes ------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_graph_with_reuse_and_broadcasting_matches_torch(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    arrays = [data.draw(hnp.arrays(np.float64, s, elements=st.floats(-2, 2)))
              for s in shapes.input_shapes]
    (a, ta), (b, tb), (c, tc) = (pair(v) for v in arrays)

    def f(a, b, c, lib):
        h = a * b + c
        k = (h * a).exp() if lib is cr else torch.exp(h * a)
        return (k * h - b / (1 + c * c)).sum()

    f(a, b, c, cr).backward()
    f(ta, tb, tc, torch).backward()
    for ours, theirs in [(a, ta), (b, tb), (c, tc)]:
        assert ours.grad.shape == ours.shape
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_float32_graph_gives_float32_grads():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == cr.float32 and w.grad.dtype == cr.float64


def test_results_of_0d_ops_hold_arrays():
    x = cr.tensor([1.0, 2.0])
    s = x.sum()
    assert isinstance(s._data, np.ndarray) and s.shape == ()
    assert isinstance((s * 2).exp()._data, np.ndarray)
    s.add_(1)  # a 0-d tensor is writable in place
    assert s.item() == 4.0


def test_graph_deeper_than_recursion_limit():
    x = cr.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 5000], rtol=1e-4)


def test_grad_wrt_non_leaf_keeps_the_buffers_below_it():
    x, tx = pair([1.0, 2.0])
    y, ty = x * x, tx * tx
    (gy,) = cr.grad((y * 2).sum(), y)
    (tgy,) = torch.autograd.grad((ty * 2).sum(), ty)
    close(gy, tgy)
    (y * 3).sum().backward()  # y's own node did not run, so it still has its saved x
    (ty * 3).sum().backward()
    close(x.grad, tx.grad)


def test_create_graph_grad_is_a_writable_tensor_of_its_own():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward(create_graph=True)  # the gradient reaching x is a broadcast of one value
    with cr.no_grad():
        x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    (x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.tolist() == [2.0, 4.0]


def test_a_hook_may_run_its_own_backward_pass_as_torch():
    # a plain pass runs rules on arrays; a hook inside it sees Tensors and may start a pass of
    # its own (create_graph or not), after which the outer pass goes on on arrays
    def run(grad, enable_grad, t):
        x = t(np.array([0.5, 1.5]), requires_grad=True)  # float64
        y = (x * x).exp()

        def hook(g):
            with enable_grad():  # backward runs with grad mode off, in both libraries
                z = t(np.array([3.0]), requires_grad=True)
                (gz,) = grad((z * z).sum(), z, create_graph=True)  # 6, recorded
                (ggz,) = grad(gz.sum(), z)  # d(2z)/dz = 2, plain
            return g * gz.detach() * ggz

        y.register_hook(hook)
        (y * y).sum().backward()
        return x.grad

    close(run(cr.grad, cr.enable_grad, cr.tensor),
          run(torch.autograd.grad, torch.enable_grad, torch.tensor))


# ----- the unchecked path for elementwise ops with alike inputs (Function.elementwise) ----------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
def test_elementwise_chain_gradients_as_torch(dtype, shape):
    """A chain of alike elementwise ops (the pass skips their gradient check) and the same chain
    with a broadcast and a 0-d input (checked): dtype, shape and values as torch."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0.2, 0.9, shape).astype(dtype)
    b = rng.uniform(0.2, 0.9, shape).astype(dtype)
    c = np.asarray(rng.uniform(0.2, 0.9), dtype=dtype)
    results = []
    for lib in (cr, torch):
        x, w, s = (lib.tensor(v, requires_grad=True) for v in (a, b, c))
        y = ((x * w + 1.0).exp() * x - w) / 2.0
        y = (y.tanh() * y).sigmoid().relu().sqrt().log().sin().cos().abs().neg()
        z = (y * s).clone() + w.sum()  # s: 0-d, broadcast; w.sum(): 0-d
        z.sum().backward()
        results.append([(t.grad.dtype, tuple(t.grad.shape), np.asarray(t.grad.tolist()))
                        for t in (x, w, s)])
    for (dt, sh, v), (tdt, tsh, tv) in zip(*results, strict=True):
        assert str(dt).split(".")[-1] == str(tdt).split(".")[-1] and sh == tsh
        np.testing.assert_allclose(v, tv, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_hook_changing_gradient_type_or_size_raises_as_torch():
    """A hook may replace a gradient only with one of the same dtype and shape (PyTorch)."""
    for change, what in ((lambda g: g.double(), "type"), (lambda g: g.sum(), "size")):
        for lib in (cr, torch):
            x = lib.ones(3, requires_grad=True)
            y = x * 2
            y.register_hook(change)
            with pytest.raises(RuntimeError, match=f"hook '<lambda>' has changed the {what}"):
                y.exp().sum().backward()
    x = cr.ones(3, requires_grad=True)
    x.register_hook(lambda g: g.tolist())
    with pytest.raises(TypeError, match="returned a list"):
        (x * 2).sum().backward()
