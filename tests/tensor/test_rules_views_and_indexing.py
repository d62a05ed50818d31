"""The movement, indexing and in-place ops' derivative rules, each written once: the same rule
runs on bare arrays (a backward pass without create_graph) and on Tensors (create_graph), and the
adjoints they call (scatter into zeros, diagonal embedding, folding windows back, a view replayed)
are differentiated again. Compared with PyTorch float64 up to third derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.tensor.ops._util import primitive
from chainrule.tensor.ops.index import IndexGrad, IndexPut
from chainrule.tensor.ops.movement import DiagonalEmbed, Permute, UnfoldBackward, pad
from tests.tensor.oracle import check_op, rand

pytestmark = pytest.mark.torch

_I = [2, 0, 2, 1]  # an index read twice


def _both(fn):
    """fn for chainrule and torch: ``fn(lib, *xs)``, lib the module."""
    return (lambda *xs: fn(cr, *xs)), (lambda *xs: fn(torch, *xs))


def _pad(lib, x):
    if lib is cr:
        return pad(x, (1, 2, -1, 1), value=0.5)
    return torch.nn.functional.pad(x, (1, 2, -1, 1), value=0.5)


def _scatter_reduce(reduce, include_self):
    def fn(lib, x, s):
        return lib.scatter_reduce(x, 0, lib.tensor([[0, 1, 0], [1, 1, 0]]), s, reduce,
                                  include_self=include_self)
    return fn


def _write_into_view(view):
    """y = x * 1 written through a view of it (CopySlices): y's gradient to x and to s."""
    def fn(lib, x, s):
        y = x * 1
        view(y).mul_(s)
        return y
    return fn


# (name, fn(lib, *inputs), input shapes)
CASES = [
    ("reshape", lambda lib, x: x.reshape(6, 2), [(3, 4)]),
    ("reshape copy", lambda lib, x: x.T.reshape(12), [(3, 4)]),
    ("expand", lambda lib, x: x.expand(2, 3, 4), [(3, 1)]),
    ("permute", lambda lib, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    ("cat", lambda lib, x, y: lib.cat([x, y, x], 1), [(2, 3), (2, 1)]),
    ("stack", lambda lib, x, y: lib.stack([x, y], 2), [(2, 3), (2, 3)]),
    ("flip", lambda lib, x: x.flip(0, 2), [(2, 3, 4)]),
    ("rot90", lambda lib, x: x.rot90(1, (0, 1)), [(2, 3)]),
    ("repeat", lambda lib, x: x.repeat(2, 1, 3), [(3, 2)]),
    ("repeat 0-d", lambda lib, x: x.repeat(2, 3), [()]),
    ("diagonal", lambda lib, x: x.diagonal(-1, 2, 0), [(3, 2, 4)]),
    ("diag_embed", lambda lib, x: lib.diag_embed(x, 2, 0, 2), [(2, 3)]),
    ("tril", lambda lib, x: x.tril(-1), [(2, 3, 4)]),
    ("unfold", lambda lib, x: x.unfold(1, 3, 2), [(2, 7, 3)]),
    ("unfold overlapping", lambda lib, x: x.unfold(0, 3, 1), [(5, 2)]),
    ("slice", lambda lib, x: x[1:, ::2, 1], [(3, 4, 2)]),
    ("index read twice", lambda lib, x: x[lib.tensor(_I)], [(3, 4)]),
    ("ints and an index", lambda lib, x: x[1, :, lib.tensor(_I)], [(2, 3, 4)]),
    ("index_put", lambda lib, x, v: x.index_put((lib.tensor(_I),), v), [(3, 4), (4,)]),
    ("index_put accumulate", lambda lib, x, v: x.index_put((lib.tensor(_I),), v,
                                                           accumulate=True), [(3, 4), (4, 4)]),
    ("index_fill", lambda lib, x: x.index_fill(1, lib.tensor([0, 2]), 3.0), [(2, 3)]),
    ("pad", _pad, [(3, 4)]),
    ("scatter_reduce sum", _scatter_reduce("sum", False), [(2, 3), (2, 3)]),
    ("scatter_reduce mean", _scatter_reduce("mean", True), [(2, 3), (2, 3)]),
    ("write into a slice", _write_into_view(lambda y: y[1:, ::2]), [(3, 4), (2, 2)]),
    ("write into a transpose", _write_into_view(lambda y: y.T[1]), [(3, 4), (3,)]),
    ("write into a diagonal", _write_into_view(lambda y: y.diagonal()), [(3, 3), (3,)]),
    ("write into windows", _write_into_view(lambda y: y.unfold(0, 2, 2)[1]), [(5, 2), (2, 2)]),
    ("write into reshape, permute, slice",
     _write_into_view(lambda y: y.reshape(2, 6).permute(1, 0)[3:5]), [(3, 4), (2, 2)]),
]


@pytest.mark.parametrize(("name", "fn", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_rules_on_arrays_and_tensors_match_torch(name, fn, shapes):
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    ours, theirs = _both(fn)
    check_op(ours, theirs, arrays)
    # squared: the gradient depends on x, so the adjoint the rule called (recorded under
    # create_graph) has its own rule run, on arrays, for the second derivative
    check_op(lambda *xs: ours(*xs) ** 2, lambda *xs: theirs(*xs) ** 2, arrays)


@pytest.mark.parametrize(("reduce", "include_self"), [("prod", True), ("prod", False),
                                                      ("amax", True), ("amin", False)])
def test_scatter_reduce_rules_with_zeros_and_ties_match_torch(reduce, include_self):
    x, s = rand((2, 3)), rand((2, 3), 1)
    x[0, 1] = s[1, 1] = 0.0  # prod: a zero in self and one sent to a position
    s[0, 0] = x[0, 0]  # amax/amin: a tie between self and src
    ours, theirs = _both(_scatter_reduce(reduce, include_self))
    check_op(ours, theirs, [x, s], second_order=False)
    check_op(lambda *xs: ours(*xs) ** 2, lambda *xs: theirs(*xs) ** 2, [x, s],
             second_order=reduce != "prod")


def _third_derivatives(lib, fn, arrays):
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    grad = torch.autograd.grad if lib is torch else cr.grad
    g1 = grad(fn(lib, *xs).sum(), xs, create_graph=True)
    g2 = grad(sum((g * g).sum() for g in g1), xs, create_graph=True)
    return [g.detach().numpy() for g in grad(sum((g ** 3).sum() for g in g2), xs)]


THIRD = [
    ("index", lambda lib, x: x[lib.tensor([2, 0, 2])] ** 3, [(3, 2)]),
    ("slice", lambda lib, x: x[1:, 0] ** 3, [(3, 2)]),
    ("diagonal", lambda lib, x: x.diagonal(1) ** 3, [(3, 4)]),
    ("diag_embed", lambda lib, x: lib.diag_embed(x) ** 3, [(2, 3)]),
    ("unfold", lambda lib, x: x.unfold(0, 3, 1) ** 3, [(5, 2)]),
    ("index_put", lambda lib, x, v: x.index_put((lib.tensor([2, 0]),), v ** 2) ** 3,
     [(3, 2), (2, 2)]),
    ("write into a transposed slice",
     lambda lib, x, s: _write_into_view(lambda y: y.T[1:3])(lib, x, s) ** 3, [(4, 3), (4,)]),
    ("scatter_reduce prod", lambda lib, x, s: _scatter_reduce("prod", True)(lib, x, s) ** 2,
     [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize(("name", "fn", "shapes"), THIRD, ids=[c[0] for c in THIRD])
def test_third_derivatives_run_every_rule_on_tensors_and_match_torch(name, fn, shapes):
    arrays = [rand(s, i + 3) for i, s in enumerate(shapes)]
    for ours, theirs in zip(_third_derivatives(cr, fn, arrays),
                            _third_derivatives(torch, fn, arrays), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


def test_primitive_computes_on_arrays_and_records_on_tensors():
    g = rand((2, 3))
    cases = [(IndexGrad, ((3, 3), (np.array([2, 0]),), g, True, False)),
             (IndexPut, (g, (np.array([1, 1]),), 0.0, False, False)),
             (DiagonalEmbed, (g, (2, 4, 4), 1, 1, 2)),
             (UnfoldBackward, (g.reshape(2, 1, 3), (2, 3), 1, 3, 1)),
             (Permute, (g, (1, 0)))]
    for fn, args in cases:
        arr = primitive(fn, *args)
        assert type(arr) is np.ndarray
        t = cr.tensor(next(a for a in args if isinstance(a, np.ndarray)), requires_grad=True)
        rec = primitive(fn, *(t if isinstance(a, np.ndarray) else a for a in args))
        assert isinstance(rec, cr.Tensor) and rec.grad_fn is not None, fn.__name__
        np.testing.assert_array_equal(rec.detach().numpy(), arr)


def test_write_into_a_view_of_a_tensor_stored_column_major():
    """rot90's result owns a transposed buffer: the region a chain of views selects there is
    found in a mask laid out the same way (a row-major mask took the wrong elements)."""
    def fn(lib, x, s):
        y = x.rot90()
        y.permute(1, 0).reshape(12)[2:5] = s
        return y
    ours, theirs = _both(fn)
    check_op(ours, theirs, [rand((3, 4)), rand((3,), 1)])


def test_write_into_a_view_sends_no_nan_to_the_overwritten_base():
    """dy/dbase is a selection: nan or inf in g where the view was written give 0 there."""
    g = np.ones((3, 2))
    g[0] = [np.nan, np.inf]
    grads = []
    for lib in (cr, torch):
        x = lib.tensor(rand((3, 2)), requires_grad=True)
        y = x * 1
        y[0] = lib.tensor([1.0, 2.0], dtype=lib.float64)
        y.backward(lib.tensor(g))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0][0].tolist() == [0.0, 0.0]


def test_sampled_gradient_is_zero_with_and_without_create_graph():
    mean = cr.zeros(2, 1, dtype=cr.float64, requires_grad=True)
    std = cr.ones(3, dtype=cr.float64, requires_grad=True)
    out = cr.normal(mean, std)
    for create_graph in (False, True):
        gm, gs = cr.grad(out.sum(), [mean, std], create_graph=create_graph, retain_graph=True)
        assert gm.shape == (2, 1) and gs.shape == (3,)
        assert not gm.numpy().any() and not gs.numpy().any()
