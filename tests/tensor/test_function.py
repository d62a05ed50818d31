"""Custom autograd Functions: static forward/backward, ctx, saved tensors, double backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

pytestmark = pytest.mark.torch


def f64(a, requires_grad=True):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def t64(a, requires_grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def same(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def make_scaled_mul(lib):
    """y = k * a * b for tensors a, b and a number k (the same class for both libraries)."""
    base = cr.Function if lib is cr else torch.autograd.Function

    class ScaledMul(base):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            ctx.seen = tuple(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            need = ctx.needs_input_grad
            ga = g * b * ctx.k if need[0] else None
            gb = g * a * ctx.k if need[1] else None
            return ga, gb, None

    return ScaledMul


def test_custom_function_values_and_gradients_match_torch():
    Ours, Theirs = make_scaled_mul(cr), make_scaled_mul(torch)
    a, b = f64([1.0, 2.0, 3.0]), f64([0.5, -1.0, 2.0])
    ta, tb = t64([1.0, 2.0, 3.0]), t64([0.5, -1.0, 2.0])
    y, ty = Ours.apply(a, b, 3.0), Theirs.apply(ta, tb, 3.0)
    same(y, ty)
    assert y.grad_fn.name() == "ScaledMulBackward"
    assert y.grad_fn.seen == ty.grad_fn.seen == (True, True, False)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(a.grad, ta.grad)
    same(b.grad, tb.grad)


def test_needs_input_grad_in_backward_matches_torch():
    Ours, Theirs = make_scaled_mul(cr), make_scaled_mul(torch)
    a, ta = f64([1.0, 2.0]), t64([1.0, 2.0])
    b, tb = f64([3.0, 4.0], False), t64([3.0, 4.0], False)
    y, ty = Ours.apply(a, b, 2.0), Theirs.apply(ta, tb, 2.0)
    assert y.grad_fn.needs_input_grad == ty.grad_fn.needs_input_grad == (True, False, False)
    y.sum().backward()
    ty.sum().backward()
    same(a.grad, ta.grad)
    assert b.grad is None


def test_needs_input_grad_is_empty_when_nothing_is_recorded():
    seen = []

    class Probe(cr.Function):
        @staticmethod
        def forward(ctx, a):
            seen.append(ctx.needs_input_grad)
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Probe.apply(f64([1.0], False))
    with cr.no_grad():
        z = Probe.apply(f64([1.0]))
    assert seen == [(), ()]
    assert not y.requires_grad and y.grad_fn is None and not z.requires_grad


def test_non_tensor_arguments_get_no_gradient():
    class Scale(cr.Function):
        @staticmethod
        def forward(ctx, a, k, name):
            ctx.k = k
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, 123.0, "ignored"  # gradients for non-tensors are dropped

    x = f64([1.0, 2.0])
    y = Scale.apply(x, 4.0, "scale")
    assert len(y.grad_fn.next_functions) == 1
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_custom_op_used_twice_in_one_graph():
    Ours, Theirs = make_scaled_mul(cr), make_scaled_mul(torch)
    x, tx = f64([0.5, -1.5]), t64([0.5, -1.5])
    h = Ours.apply(x, x, 2.0)
    th = Theirs.apply(tx, tx, 2.0)
    z = Ours.apply(h, x, -1.0) + Ours.apply(h, h, 0.5)
    tz = Theirs.apply(th, tx, -1.0) + Theirs.apply(th, th, 0.5)
    same(z, tz)
    z.sum().backward()
    tz.sum().backward()
    same(x.grad, tx.grad)


class Cube(cr.Function):
    """y = a^3 with forward on arrays and backward in Tensor ops (so it differentiates again)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a.data ** 3

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * 3 * a * a


def test_backward_in_tensor_ops_supports_gradgradcheck():
    x = f64([0.3, -1.2, 2.0])
    assert cr.gradcheck(Cube.apply, (x,))
    assert cr.gradgradcheck(Cube.apply, (x,))
    (g,) = cr.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy())


class SavedOutputExp(cr.Function):
    """y = e^a; backward uses the saved output: d e^a = e^a."""

    @staticmethod
    def forward(ctx, a):
        out = a.exp()  # grad mode is off inside forward: a plain tensor
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


def test_forward_saving_its_own_output_supports_double_backward():
    x, tx = f64([0.1, -0.4, 1.2]), t64([0.1, -0.4, 1.2])
    y = SavedOutputExp.apply(x)
    assert y.grad_fn.name() == "SavedOutputExpBackward"
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    (h,) = cr.grad(g.sum(), x)
    ty = tx.exp()
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    same(g, tg)
    same(h, th)
    assert cr.gradgradcheck(SavedOutputExp.apply, (f64([0.2, 0.7]),))


def test_saved_output_modified_in_place_is_caught():
    x = f64([0.1, 0.2])
    y = SavedOutputExp.apply(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="SavedOutputExpBackward"):
        y.sum().backward()


def test_wrong_number_of_gradients_is_a_clear_error():
    class TooFew(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class TooMany(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class ExtraNones(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    with pytest.raises(RuntimeError, match=r"TooFewBackward.*incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        TooFew.apply(f64([1.0]), f64([2.0])).sum().backward()
    with pytest.raises(RuntimeError, match=r"TooManyBackward.*\(expected 1, got 2\)"):
        TooMany.apply(f64([1.0])).sum().backward()
    x = f64([1.0])
    ExtraNones.apply(x).sum().backward()  # trailing Nones are allowed, as in torch
    assert x.grad.tolist() == [2.0]


def test_wrong_gradient_shape_is_a_clear_error():
    class BadShape(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return cr.ones(3, 2, dtype=cr.float64)

    with pytest.raises(RuntimeError, match=r"BadShapeBackward.*\(3, 2\).*\(2, 3\)"):
        BadShape.apply(f64(np.ones((2, 3)))).sum().backward()


def test_broadcast_gradients_are_summed_to_the_input_shape():
    class BroadcastAdd(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a.data + b.data

        @staticmethod
        def backward(ctx, g):
            return g, g  # still broadcast: apply sums them back

    a, b = f64(np.ones((2, 3))), f64(np.ones((1, 3)))
    c = f64(np.ones(()))
    BroadcastAdd.apply(BroadcastAdd.apply(a, b), c).sum().backward()
    assert b.grad.shape == (1, 3) and b.grad.tolist() == [[2.0, 2.0, 2.0]]
    assert c.grad.shape == () and c.grad.item() == 6.0


def test_gradient_cast_to_the_input_dtype():
    class Float64Grad(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a.data * 2

        @staticmethod
        def backward(ctx, g):
            return g.to(dtype=cr.float64) * 2

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    Float64Grad.apply(x).sum().backward()
    assert x.grad.dtype == cr.float32


def test_forward_returning_several_outputs_is_refused():
    class Two(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a, a

    with pytest.raises(TypeError, match=r"Two.forward returned a tuple"):
        Two.apply(f64([1.0]))


def test_missing_backward_raises():
    class NoBackward(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(f64([1.0])).sum().backward()


def test_custom_function_saved_tensors_freed_and_retain_graph():
    x = f64([1.0, 2.0])
    y = Cube.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0, 24.0]
    with pytest.raises(RuntimeError, match=r"second time.*CubeBackward"):
        y.backward()


def test_custom_function_on_integer_output_records_nothing():
    class Floor(cr.Function):
        @staticmethod
        def forward(ctx, a):
            return np.floor(a.data.numpy()).astype(np.int64)

    y = Floor.apply(f64([1.5, -0.5]))
    assert y.dtype == cr.int64 and not y.requires_grad and y.grad_fn is None
    assert y.tolist() == [1, -1]


def _builtin_functions():
    todo, found = list(cr.Function.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls._builtin:
            found.append(cls)
    return found


def test_builtin_forwards_record_nothing(monkeypatch):
    """Built-in forwards run without the grad-mode switch (Function._builtin), which is right
    only if none of them applies a recording op itself: every op, with and without create_graph,
    is run with a tripwire on Function.apply inside built-in forwards."""
    inside = []
    apply = cr.Function.apply.__func__

    def guarded_apply(cls, *args, **kwargs):
        if inside and cr.is_grad_enabled() and any(
                type(a) is cr.Tensor and a.requires_grad for a in args):
            raise AssertionError(f"{cls.__name__} recorded inside {inside[-1]}.forward")
        return apply(cls, *args, **kwargs)

    def wrap(cls):
        forward = cls.__dict__["forward"].__func__

        def guarded_forward(ctx, *args, **kwargs):
            inside.append(cls.__name__)
            try:
                return forward(ctx, *args, **kwargs)
            finally:
                inside.pop()
        return staticmethod(guarded_forward)

    classes = [c for c in _builtin_functions() if "forward" in c.__dict__]
    assert len(classes) > 40
    monkeypatch.setattr(cr.Function, "apply", classmethod(guarded_apply))
    for cls in classes:
        monkeypatch.setattr(cls, "forward", wrap(cls))

    rng = np.random.default_rng(0)
    x = cr.tensor(rng.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    w = cr.tensor(rng.uniform(0.5, 1.5, (4, 2)), requires_grad=True)
    v = cr.tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True)
    idx = cr.tensor([0, 2, 2])
    ops = [
        lambda: x + v, lambda: x - 1, lambda: x * v, lambda: x / v, lambda: -x, lambda: x ** 2,
        lambda: 2 ** x, lambda: x ** v, lambda: x.exp(), lambda: x.log(), lambda: x.sqrt(),
        lambda: x.sin(), lambda: x.cos(), lambda: x.tanh(), lambda: x.sigmoid(),
        lambda: x.relu(), lambda: x.abs(), lambda: x.sign(), lambda: x.clamp(0.7, 1.2),
        lambda: cr.maximum(x, v), lambda: cr.minimum(x, v), lambda: cr.where(x > 1, x, v),
        lambda: x.to(dtype=cr.float32), lambda: x.clone(), lambda: x.sum(1), lambda: x.mean(),
        lambda: x.prod(0), lambda: x.amax(1), lambda: x.amin(0), lambda: x.max(1).values,
        lambda: x.min(), lambda: x.var(1), lambda: x.std(), lambda: x.logsumexp(1),
        lambda: x.softmax(1), lambda: x.log_softmax(0), lambda: x.reshape(4, 3),
        lambda: x.flatten(), lambda: x.T, lambda: x.permute(1, 0), lambda: x[None].squeeze(0),
        lambda: x.unsqueeze(1), lambda: v.expand(3, 4), lambda: cr.cat([x, x]),
        lambda: cr.stack([x, x]), lambda: x.split(2, 1)[1], lambda: x.chunk(2)[0],
        lambda: x.flip(0), lambda: x.repeat(2, 1), lambda: cr.pad(x, (1, 1)), lambda: x[1],
        lambda: x[:, 1:3], lambda: x[idx], lambda: x[x > 1], lambda: x.gather(1, idx[:, None]),
        lambda: x.scatter_add(1, idx[:, None], x[:, :1]),
        lambda: x.index_put((idx,), v, accumulate=True), lambda: x @ w, lambda: v @ w,
        lambda: cr.einsum("ij,jk->ik", x, w),
    ]
    for op in ops:
        y = op()
        (g,) = cr.grad(y.sum(), x, create_graph=True, allow_unused=True)
        if g is not None and g.requires_grad:
            cr.grad(g.sum(), x, allow_unused=True)


def test_apply_fast_path_links_as_the_general_path():
    """apply's one fast path (a tensor, alone or with a tensor or a number) builds the node the
    general loop (_link_general) would: same needs_input_grad, edges, input metadata, _exact."""
    from chainrule.tensor.function import _link_general
    from chainrule.tensor.ops.elementwise import Add, Exp, Mul

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    c = cr.tensor([3.0, 4.0])
    s = cr.tensor(5.0, requires_grad=True)
    for cls, args in [(Exp, (y,)), (Exp, (x,)), (Add, (y, 1.0)), (Add, (y, 2)), (Mul, (y, c)),
                      (Mul, (c, y)), (Mul, (x, y)), (Mul, (y, s)), (Add, (s, s))]:
        fast = cls.apply(*args).grad_fn
        general = _link_general(cls, args)
        for attr in ("needs_input_grad", "_next", "_input_meta", "_exact"):
            assert getattr(fast, attr) == getattr(general, attr), (cls.__name__, args, attr)
    assert _link_general(Mul, (c, c)) is None and Mul.apply(c, c).grad_fn is None
