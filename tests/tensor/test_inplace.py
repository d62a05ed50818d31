"""In-place ops against PyTorch: values, recorded gradients, the version counter and the errors
PyTorch raises (leaf requiring grad, views, stale saved tensors, dtype and shape)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

pytestmark = pytest.mark.torch

FLOATS = st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 0.1)


def pair(a, requires_grad=False, dtype=np.float64):
    a = np.asarray(a, dtype=dtype)
    return (cr.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def same(ours, theirs):
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@st.composite
def target_and_operand(draw):
    """A shape for self and one that broadcasts to it (in-place results keep self's shape)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    n = draw(st.integers(0, len(shape)))
    other = tuple(draw(st.sampled_from([1, s])) for s in shape[len(shape) - n:])
    a = draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    b = draw(hnp.arrays(np.float64, other, elements=FLOATS))
    return a, b


OPS = ["add_", "sub_", "mul_", "div_"]


@settings(max_examples=25, deadline=None)
@given(target_and_operand(), st.sampled_from(OPS), st.booleans())
def test_binary_in_place_values_match_torch(ab, op, scalar):
    a, b = ab
    (x, tx), (y, ty) = pair(a), pair(b)
    other, tother = (1.5, 1.5) if scalar else (y, ty)
    out = getattr(x, op)(other)
    getattr(tx, op)(tother)
    assert out is x
    same(x, tx)
    assert x._version == 1


@settings(max_examples=25, deadline=None)
@given(target_and_operand(), st.sampled_from(OPS))
def test_recorded_in_place_gradients_match_torch(ab, op):
    a, b = ab
    (x, tx), (w, tw) = pair(a, True), pair(b, True)
    h, th = x * 2, tx * 2
    getattr(h, op)(w)
    getattr(th, op)(tw)
    same(h, th)
    assert h.grad_fn is not None and h.grad_fn.name().lower().startswith(op[:3])
    g = np.random.default_rng(0).standard_normal(a.shape)
    (h * h).backward(cr.tensor(g))
    (th * th).backward(torch.tensor(g))
    same(x.grad, tx.grad)
    same(w.grad, tw.grad)


def test_operators_are_in_place_and_keep_identity():
    (x, tx) = pair([1.0, 2.0, 4.0])
    ident = id(x)
    x += 1
    x -= cr.tensor([0.5, 0.5, 0.5], dtype=cr.float64)
    x *= 2
    x /= 4
    tx += 1
    tx -= torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64)
    tx *= 2
    tx /= 4
    assert id(x) == ident
    same(x, tx)
    assert x._version == 4


def test_alpha_argument():
    (x, tx), (y, ty) = pair([1.0, 2.0]), pair([3.0, 4.0])
    x.add_(y, alpha=2).sub_(y, alpha=0.5)
    tx.add_(ty, alpha=2).sub_(ty, alpha=0.5)
    same(x, tx)


def test_recorded_in_place_with_scalar_and_alpha():
    (x, tx) = pair([1.0, -2.0], True)
    (w, tw) = pair([0.5, 3.0], True)
    h, th = x.clone(), tx.clone()
    h.add_(w, alpha=3).mul_(x.detach()).div_(2.0).sub_(1)
    th.add_(tw, alpha=3).mul_(tx.detach()).div_(2.0).sub_(1)
    (h * w).sum().backward()
    (th * tw).sum().backward()
    same(x.grad, tx.grad)
    same(w.grad, tw.grad)


def test_mul_in_place_by_tensor_requiring_grad_uses_the_old_self():
    # mul_'s gradient for `other` is the old self: it must survive the write (PyTorch saves it)
    (x, tx), (w, tw) = pair([1.0, 2.0, 3.0], True), pair([2.0, 3.0, 4.0], True)
    h, th = x * 1, tx * 1
    h.mul_(w)
    th.mul_(tw)
    h.sum().backward()
    th.sum().backward()
    same(w.grad, tw.grad)
    same(x.grad, tx.grad)
    (x, tx), (w, tw) = pair([1.0, 2.0], True), pair([2.0, 4.0], True)
    h, th = x * 1, tx * 1
    h.div_(w)
    th.div_(tw)
    (h * h).sum().backward()
    (th * th).sum().backward()
    same(w.grad, tw.grad)
    same(x.grad, tx.grad)


def test_in_place_on_tensor_not_requiring_grad_with_operand_that_does():
    x, tx = pair([1.0, 2.0])
    w, tw = pair([3.0, 4.0], True)
    x.mul_(w)
    tx.mul_(tw)
    assert x.requires_grad and not x.is_leaf and x.grad_fn is not None
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    same(w.grad, tw.grad)


@pytest.mark.parametrize("op", ["zero_", "fill_", "copy_"])
def test_overwriting_ops_send_zero_gradient_to_the_old_value(op):
    (x, tx) = pair([1.0, 2.0, 3.0], True)
    h, th = x * 2, tx * 2
    args = {"zero_": (), "fill_": (7.0,), "copy_": (cr.tensor([5.0]),)}[op]
    targs = {"zero_": (), "fill_": (7.0,), "copy_": (torch.tensor([5.0]),)}[op]
    getattr(h, op)(*args)
    getattr(th, op)(*targs)
    same(h, th)
    assert h.requires_grad == th.requires_grad is True
    (h * 3).sum().backward()
    (th * 3).sum().backward()
    same(x.grad, tx.grad)


def test_copy_sends_gradient_to_source_with_broadcast_and_dtype():
    x, tx = pair(np.zeros((2, 3)))
    s, ts = pair([1.0, 2.0, 3.0], True, dtype=np.float32)
    x.copy_(s)
    tx.copy_(ts)
    same(x, tx)
    assert x.dtype == cr.float64
    g = np.arange(6.0).reshape(2, 3)
    x.backward(cr.tensor(g))
    tx.backward(torch.tensor(g))
    assert s.grad.dtype == cr.float32
    same(s.grad, ts.grad)


def test_fill_with_0d_tensor_value_gets_gradient():
    x, tx = pair([1.0, 2.0, 3.0])
    v, tv = pair(2.5, True)
    x.fill_(v)
    tx.fill_(tv)
    (x * cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64)).sum().backward()
    (tx * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    same(v.grad, tv.grad)
    with pytest.raises(RuntimeError, match=r"0-dimension.*\(2,\)"):
        x.fill_(cr.ones(2))


def test_copy_casts_like_torch():
    x, tx = pair([0, 0, 0], dtype=np.int64)
    src = np.array([1.7, -2.7, 3.2])
    x.copy_(cr.tensor(src))
    tx.copy_(torch.tensor(src))
    same(x, tx)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        x.copy_(cr.ones(2))


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                  elements=FLOATS),
       st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None)]))
def test_clamp_in_place_matches_torch(a, bounds):
    (x, tx), (y, ty) = pair(a), pair(a, True)
    x.clamp_(*bounds)
    tx.clamp_(*bounds)
    same(x, tx)
    h, th = y * 1, ty * 1
    h.clamp_(*bounds)
    th.clamp_(*bounds)
    (h * h).sum().backward()
    (th * th).sum().backward()
    same(y.grad, ty.grad)


# ----- __setitem__ --------------------------------------------------------------------------------
KEYS = [
    (1, 5.0),
    ((slice(None), 0), np.array([1.0, 2.0, 3.0])),
    ((slice(0, 2), slice(1, None)), np.array([[9.0], [8.0]])),
    ((Ellipsis, None, 1), -1.0),
    ("index", np.array([[7.0, 7.0, 7.0, 7.0]])),
    ("mask", 0.0),
    ("pairs", np.array([10.0, 20.0])),
]


def _key(k, lib):
    make = (lambda v: cr.tensor(v)) if lib is cr else torch.tensor
    if k == "index":
        return make([2, 0])
    if k == "mask":
        return make(np.arange(12).reshape(3, 4) % 3 == 0)
    if k == "pairs":
        return (make([0, 2]), make([1, 3]))
    return k


@pytest.mark.parametrize(("key", "value"), KEYS)
def test_setitem_values_match_torch(key, value):
    a = np.arange(12.0).reshape(3, 4)
    x, tx = pair(a)
    v = value if isinstance(value, float) else cr.tensor(value)
    tv = value if isinstance(value, float) else torch.tensor(value)
    x[_key(key, cr)] = v
    tx[_key(key, torch)] = tv
    same(x, tx)
    assert x._version == 1


@pytest.mark.parametrize(("key", "value"), [kv for kv in KEYS if not isinstance(kv[1], float)])
def test_setitem_gradients_match_torch(key, value):
    a = np.arange(12.0).reshape(3, 4)
    (x, tx), (v, tv) = pair(a, True), pair(value, True)
    h, th = x * 2, tx * 2
    h[_key(key, cr)] = v * 3
    th[_key(key, torch)] = tv * 3
    g = np.random.default_rng(1).standard_normal(a.shape)
    (h * h).backward(cr.tensor(g))
    (th * th).backward(torch.tensor(g))
    same(x.grad, tx.grad)
    same(v.grad, tv.grad)


def test_setitem_into_tensor_not_requiring_grad_records_the_value():
    x, tx = pair(np.zeros(4))
    v, tv = pair([1.0, 2.0], True)
    x[1:3] = v
    tx[1:3] = tv
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    same(v.grad, tv.grad)


def test_setitem_errors():
    x = cr.zeros(3, 4)
    with pytest.raises(IndexError, match=r"5.*\(3, 4\)"):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(4,\)"):
        x[0] = cr.ones(2)
    leaf = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf[0] = 1.0
    with cr.no_grad():
        leaf[0] = 1.0
    assert leaf.tolist() == [1.0, 0.0, 0.0]


# ----- what in-place ops refuse -----------------------------------------------------------------
@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_",
                                "clamp_"])
def test_in_place_on_leaf_requiring_grad_raises_naming_the_op(op):
    x, tx = pair([1.0, 2.0], True)
    args = {"zero_": (), "fill_": (1.0,), "copy_": (cr.ones(2),), "clamp_": (0.0, 1.0)}.get(
        op, (2.0,))
    with pytest.raises(RuntimeError, match=f"{op}.*leaf Variable that requires grad"):
        getattr(x, op)(*args)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(tx, op)(*[torch.ones(2) if type(a) is cr.Tensor else a for a in args])
    assert x._version == 0


def test_in_place_on_leaf_under_no_grad_works_like_an_optimizer_step():
    w, tw = pair([1.0, 2.0], True)
    for lib, p in ((cr, w), (torch, tw)):
        (p * p).sum().backward()
        with lib.no_grad():
            p -= 0.1 * p.grad
            p.grad.zero_()
    same(w, tw)
    same(w.grad, tw.grad)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_in_place_on_view_of_a_leaf_or_made_in_no_grad_raises():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_.*view of a leaf"):
        x[0].add_(1)
    with cr.no_grad():
        v = x[0]
    with pytest.raises(RuntimeError, match="no_grad mode"):
        v.add_(1)
    tx = torch.tensor([[1.0, 2.0]], requires_grad=True)
    with torch.no_grad():
        tv = tx[0]
    with pytest.raises(RuntimeError, match="no_grad mode"):
        tv.add_(1)
    with cr.no_grad():
        v.add_(1)  # consistent modes: allowed
    assert x.tolist()[0] == [2.0, 3.0]


def test_modifying_a_saved_tensor_makes_backward_raise_naming_the_op():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h * h  # MulBackward saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*MulBackward"):
        y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    th = tx * 1
    ty = th * th
    th.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()


def test_modifying_a_saved_output_is_caught():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # ExpBackward saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward"):
        y.sum().backward()


def test_views_share_the_version_counter():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    v = h.reshape(4)
    y = v * v  # saves the view
    assert v._version == h._version == 0
    h.add_(1)  # writes the base
    assert v._version == 1
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    with cr.no_grad():
        base = cr.zeros(3)
        base[1:].add_(1)
    assert base._version == 1 and base.tolist() == [0.0, 1.0, 1.0]


def test_in_place_after_backward_is_fine_and_not_saved_tensors_are_not_checked():
    x, tx = pair([1.0, 2.0], True)
    h, th = x * 1, tx * 1
    y, ty = (h * 2).sum(), (th * 2).sum()  # the scalar 2 is saved, not h
    h.add_(1)
    th.add_(1)
    y.backward()
    ty.backward()
    same(x.grad, tx.grad)


def test_dtype_and_shape_errors_follow_torch():
    i = cr.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"float32.*int64"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match=r"float32.*int64"):
        i.div_(2)
    i.add_(2)
    i.mul_(cr.tensor([1, 2, 3]))
    assert i.tolist() == [3, 8, 15]
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\).*\(2, 3\)"):
        cr.ones(3).add_(cr.ones(2, 3))
    with pytest.raises(RuntimeError, match="read-only"):
        cr.ones(3).expand(2, 3).add_(1)
    with pytest.raises(TypeError, match="add_"):
        cr.ones(3).add_("a")
    f = cr.ones(2, dtype=cr.float32)
    f.add_(cr.ones(2, dtype=cr.float64))  # same kind: cast back, as torch
    assert f.dtype == cr.float32 and f.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("write", [
    lambda m: (lambda a: a.mul_(a.view(1)))(m.ones(1, 1)),
    lambda m: (lambda x: x[:3].add_(x[1:]))(m.arange(4.0)),
    lambda m: (lambda x: x[1:].sub_(x[:3]))(m.arange(4.0)),
    lambda m: (lambda x: x.div_(x))(m.ones(3)),
    lambda m: (lambda x: x[:2].add_(x[2:]))(m.arange(4.0)),
])
def test_partly_overlapping_operand_raises_as_torch(write):
    """add_/sub_/mul_/div_ refuse an operand that partly overlaps the written memory (the same
    tensor, or disjoint slices of one storage, are fine), as PyTorch."""
    try:
        write(torch)
        expected = None
    except RuntimeError:
        expected = RuntimeError
    if expected is None:
        write(cr)
    else:
        with pytest.raises(RuntimeError, match="single memory location"):
            write(cr)
