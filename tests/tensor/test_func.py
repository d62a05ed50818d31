"""chainrule.func (jacobian, hessian, vjp, jvp, hvp, vhp) against torch.autograd.functional."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as tfunc
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
import chainrule.func as crfunc

pytestmark = pytest.mark.torch

SMALL = st.floats(-1.5, 1.5, allow_nan=False)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


def both(a):
    a = np.asarray(a, dtype=np.float64)
    return cr.tensor(a, dtype=cr.float64), torch.tensor(a, dtype=torch.float64)


def same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            same(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert not ours.requires_grad
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)


def vec_fn(lib):
    def f(x):
        return (x.tanh() * x.exp() + x * x).sum(-1) if x.ndim else x.tanh() * x.exp() + x * x
    return f


def two_input_fn(lib):
    def f(x, w):
        return (w * x.sum() + x.reshape(-1)[0] * w.exp()).tanh()
    return f


def scalar_fn(lib):
    def f(x):
        return ((x * x).sum() * x.exp().sum()).tanh() + (x ** 3).sum()
    return f


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, SHAPES, elements=SMALL))
def test_jacobian_matches_torch(a):
    x, tx = both(a)
    same(crfunc.jacobian(vec_fn(cr), x), tfunc.jacobian(vec_fn(torch), tx))


def test_jacobian_of_tuple_inputs_and_tuple_outputs():
    (x, tx), (w, tw) = both([[0.5, -1.0], [2.0, 0.3]]), both([0.1, 0.2, -0.4])
    same(crfunc.jacobian(two_input_fn(cr), (x, w)), tfunc.jacobian(two_input_fn(torch), (tx, tw)))

    def pair_out(x):
        return x * 2, x.sum()

    same(crfunc.jacobian(pair_out, x), tfunc.jacobian(pair_out, tx))


def test_jacobian_of_unused_input_and_constant_output_is_zero():
    (x, tx), (u, tu) = both([1.0, 2.0]), both([3.0])
    same(crfunc.jacobian(lambda x, u: x * 2, (x, u)), tfunc.jacobian(lambda x, u: x * 2, (tx, tu)))
    same(crfunc.jacobian(lambda x: cr.ones(2, dtype=cr.float64), x),
         tfunc.jacobian(lambda x: torch.ones(2, dtype=torch.float64), tx))


def test_jacobian_leaves_inputs_untouched():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64)
    crfunc.jacobian(lambda t: t * t, x)
    assert not x.requires_grad and x.grad is None


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, SHAPES, elements=SMALL))
def test_hessian_matches_torch(a):
    x, tx = both(a)
    same(crfunc.hessian(scalar_fn(cr), x), tfunc.hessian(scalar_fn(torch), tx))


def test_hessian_of_tuple_inputs():
    (x, tx), (w, tw) = both([0.5, -1.0]), both([[0.1, 0.2], [0.3, -0.4]])

    def f(x, w):
        return (w @ x.tanh()).exp().sum() + (x * x).sum()

    ours, theirs = crfunc.hessian(f, (x, w)), tfunc.hessian(f, (tx, tw))
    assert len(ours) == 2 and all(len(r) == 2 for r in ours)
    same(ours, theirs)


def test_hessian_requires_scalar_function():
    x, _ = both([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"single-element.*\(2,\)"):
        crfunc.hessian(lambda t: t * t, x)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_vjp_jvp_hvp_vhp_match_torch(data):
    a = data.draw(hnp.arrays(np.float64, SHAPES, elements=SMALL))
    v_in = data.draw(hnp.arrays(np.float64, a.shape, elements=SMALL))
    x, tx = both(a)
    v, tv = both(v_in)
    out_shape = tuple(vec_fn(torch)(tx).shape)
    u_out = data.draw(hnp.arrays(np.float64, out_shape, elements=SMALL))
    u, tu = both(u_out)
    same(crfunc.vjp(vec_fn(cr), x, u), tfunc.vjp(vec_fn(torch), tx, tu))
    same(crfunc.jvp(vec_fn(cr), x, v), tfunc.jvp(vec_fn(torch), tx, tv))
    same(crfunc.hvp(scalar_fn(cr), x, v), tfunc.hvp(scalar_fn(torch), tx, tv))
    same(crfunc.vhp(scalar_fn(cr), x, v), tfunc.vhp(scalar_fn(torch), tx, tv))


def test_vjp_and_jvp_with_tuple_inputs_and_default_v():
    (x, tx), (w, tw) = both([[0.5, -1.0], [2.0, 0.3]]), both([0.1, 0.2, -0.4])
    (u, tu) = both([1.0, -2.0, 0.5])
    same(crfunc.vjp(two_input_fn(cr), (x, w), u), tfunc.vjp(two_input_fn(torch), (tx, tw), tu))
    (vx, tvx), (vw, tvw) = both(np.ones((2, 2))), both([0.3, 0.3, 0.3])
    same(crfunc.jvp(two_input_fn(cr), (x, w), (vx, vw)),
         tfunc.jvp(two_input_fn(torch), (tx, tw), (tvx, tvw)))
    same(crfunc.vjp(scalar_fn(cr), x), tfunc.vjp(scalar_fn(torch), tx))
    (s, ts) = both(0.7)
    same(crfunc.jvp(lambda t: t.exp() * 2, s), tfunc.jvp(lambda t: t.exp() * 2, ts))


def test_hvp_with_tuple_inputs():
    (x, tx), (w, tw) = both([0.5, -1.0]), both([0.3, 0.2])
    (a, ta), (b, tb) = both([1.0, 2.0]), both([-1.0, 0.5])

    def f(x, w):
        return (x * w).exp().sum() * (w * w).sum()

    same(crfunc.hvp(f, (x, w), (a, b)), tfunc.hvp(f, (tx, tw), (ta, tb)))


def test_functional_create_graph_is_differentiable():
    x = cr.tensor([0.5, -0.3], dtype=cr.float64, requires_grad=True)
    tx = torch.tensor([0.5, -0.3], dtype=torch.float64, requires_grad=True)
    J = crfunc.jacobian(lambda t: t.exp() * t, x, create_graph=True)
    tJ = tfunc.jacobian(lambda t: t.exp() * t, tx, create_graph=True)
    assert J.requires_grad
    J.sum().backward()
    tJ.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    _, hv = crfunc.hvp(lambda t: (t ** 4).sum(), x, cr.ones(2, dtype=cr.float64), create_graph=True)
    (g,) = cr.grad(hv.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * x.detach().numpy(), rtol=1e-10)


def test_functional_argument_errors():
    x, _ = both([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"v\[0\] has shape \(3,\).*\(2,\)"):
        crfunc.jvp(lambda t: t * 2, x, cr.ones(3, dtype=cr.float64))
    with pytest.raises(RuntimeError, match=r"omitted.*\(2,\)"):
        crfunc.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="omitted"):
        crfunc.jvp(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="Tensor"):
        crfunc.jacobian(lambda t: t, [1.0, 2.0])
    with pytest.raises(TypeError, match="floating"):
        crfunc.jacobian(lambda t: t, cr.tensor([1, 2]))
