"""chainrule.autograd as torch.autograd: grad, backward, Function, functional, grad modes; the
graph core stays importable without either engine."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.autograd as ag

pytestmark = pytest.mark.torch

SRC = pathlib.Path(cr.__file__).parent


def test_importing_the_core_loads_no_engine():
    """autograd's package, graph and grad_mode import neither engine; a PyTorch-facing name
    loads the tensor engine on first use. (chainrule's own __init__ imports both engines, so the
    check stands chainrule's package up empty.)"""
    code = f"""
import sys, types
pkg = types.ModuleType("chainrule"); pkg.__path__ = [{str(SRC)!r}]
sys.modules["chainrule"] = pkg
import chainrule.autograd, chainrule.autograd.graph, chainrule.autograd.grad_mode
engines = [m for m in sys.modules if m.startswith(("chainrule.tensor", "chainrule.scalar"))]
assert not engines, engines
with chainrule.autograd.inference_mode():
    assert not chainrule.autograd.is_grad_enabled()
assert "chainrule.tensor" not in sys.modules
g = chainrule.autograd.grad
assert "chainrule.tensor" in sys.modules and g.__module__ == "chainrule.tensor.backward"
print("ok")
"""
    env = dict(os.environ, PYTHONPATH=str(SRC.parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_core_names_live_in_graph():
    from chainrule.autograd import graph

    assert callable(graph.backward) and callable(graph.topological_order)
    assert ag.grad is cr.grad and ag.Function is cr.Function
    with pytest.raises(AttributeError, match="no_such_name"):
        ag.no_such_name  # noqa: B018
    assert {"grad", "backward", "functional", "Function"} <= set(dir(ag))


def test_autograd_backward_matches_torch():
    a = np.arange(1.0, 5.0)
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = (x * x).sum(), (tx * tx).sum()
    z, tz = x * 3, tx * 3
    g = np.array([1.0, -1.0, 2.0, 0.5])
    ag.backward([y, z], [None, cr.tensor(g)])
    torch.autograd.backward([ty, tz], [None, torch.tensor(g)])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    # a single tensor, retain_graph, inputs=
    w, tw = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    u, tu = (x * w).sum(), (tx * tw).sum()
    ag.backward(u, retain_graph=True, inputs=[w])
    torch.autograd.backward(tu, retain_graph=True, inputs=[tw])
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())  # untouched by inputs=[w]
    ag.backward(u, inputs=w)
    np.testing.assert_allclose(w.grad.numpy(), 2 * a)


def test_autograd_backward_errors():
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        ag.backward(x * 2)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.backward(cr.ones(1).sum())
    with pytest.raises(TypeError, match="tensors"):
        ag.backward(3.0)


def _f(x):
    return (x**3).sum() + (x[..., :1] * x).sum()


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_functional_matches_torch(name):
    a = np.random.default_rng(0).standard_normal((2, 3))
    v = np.random.default_rng(1).standard_normal((2, 3))
    x, tx = cr.tensor(a), torch.tensor(a)
    fn, tfn = getattr(ag.functional, name), getattr(torch.autograd.functional, name)
    if name == "jacobian":
        ours, theirs = fn(lambda t: t.sin() * t, x), tfn(lambda t: t.sin() * t, tx)
    elif name == "hessian":
        ours, theirs = fn(_f, x), tfn(_f, tx)
    elif name == "vjp":
        ours, theirs = fn(lambda t: t * t, x, cr.tensor(v)), tfn(lambda t: t * t, tx,
                                                                  torch.tensor(v))
    else:
        f = (lambda t: t * t) if name == "jvp" else _f
        ours, theirs = fn(f, x, cr.tensor(v)), tfn(f, tx, torch.tensor(v))
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)
    assert fn is getattr(cr.func, name)


def test_inference_mode():
    x = cr.ones(2, requires_grad=True)
    with cr.inference_mode():
        assert not cr.is_grad_enabled() and cr.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled() and not cr.is_inference_mode_enabled()
    with cr.no_grad(), cr.inference_mode(False):  # False changes nothing, as torch
        assert not cr.is_grad_enabled() and not cr.is_inference_mode_enabled()

    @cr.inference_mode
    def bare():
        return (x * 2).requires_grad

    @ag.inference_mode()
    def called():
        return (x * 2).requires_grad

    assert bare() is False and called() is False and cr.is_grad_enabled()
    assert ag.no_grad is cr.no_grad and ag.enable_grad is cr.enable_grad
    assert ag.set_grad_enabled is cr.set_grad_enabled and ag.is_grad_enabled()


def test_autograd_function_subclass():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a._data**2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = cr.tensor([3.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [6.0]
