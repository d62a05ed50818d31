"""broadcast_shapes/tensors, meshgrid, cartesian_prod (values, gradients, second derivatives)
and isclose/allclose/equal, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("shapes", [[(2, 1), 3, [1, 3]], [(), (4,)], [], [(0, 1), (3,)],
                                    [(5, 1, 2), (4, 1), (1,)]])
def test_broadcast_shapes(shapes):
    ours, theirs = cr.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes)
    assert isinstance(ours, cr.Size) and ours == tuple(theirs)


def test_broadcast_shapes_errors():
    raises_with(RuntimeError, lambda: cr.broadcast_shapes((2, 1), (3, 2)), "(2, 1)", "(3, 2)")
    raises_with(ValueError, lambda: cr.broadcast_shapes((-1,)), "negative")


@pytest.mark.parametrize("shapes", [[(2, 1), (3,)], [(), (2, 3)], [(0, 1), (1, 4), (4,)],
                                    [(3,)]])
def test_broadcast_tensors(shapes):
    arrays = [rand(s, seed=i) for i, s in enumerate(shapes)]

    def ours(*xs):
        return sum((y * (i + 1) for i, y in enumerate(cr.broadcast_tensors(*xs))), 0) ** 2

    def theirs(*xs):
        return sum((y * (i + 1) for i, y in enumerate(torch.broadcast_tensors(*xs))), 0) ** 2

    check_op(ours, theirs, arrays)
    assert isinstance(cr.broadcast_tensors(cr.ones(1)), tuple)
    raises_with(RuntimeError, lambda: cr.broadcast_tensors(cr.ones(2, 1), cr.ones(3, 3)),
                "(2, 1)", "(3, 3)")


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [[3], [2, 3], [2, 0], [1, 3, 2], [(), 3]])
def test_meshgrid(indexing, sizes):
    arrays = [rand(() if s == () else (s,), seed=i) for i, s in enumerate(sizes)]

    def combine(grids):
        return sum((g * g * (i + 1) for i, g in enumerate(grids)), 0)

    check_op(lambda *xs: combine(cr.meshgrid(*xs, indexing=indexing)),
             lambda *xs: combine(torch.meshgrid(*xs, indexing=indexing)), arrays)
    ours = cr.meshgrid([cr.tensor(a) for a in arrays], indexing=indexing)
    theirs = torch.meshgrid([torch.tensor(a) for a in arrays], indexing=indexing)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_meshgrid_errors():
    raises_with(RuntimeError, lambda: cr.meshgrid(cr.ones(2, 2)), "0D or 1D", "(2, 2)")
    raises_with(RuntimeError, lambda: cr.meshgrid(cr.ones(2), indexing="foo"), "foo")
    raises_with(RuntimeError, lambda: cr.meshgrid(), "non-empty")
    raises_with(RuntimeError, lambda: cr.meshgrid(cr.ones(2), cr.ones(2, dtype=cr.float64)),
                "same dtype")


@pytest.mark.parametrize("sizes", [[3], [2, 3], [2, 3, 2], [2, 0]])
def test_cartesian_prod(sizes):
    arrays = [rand((s,), seed=i) for i, s in enumerate(sizes)]
    check_op(lambda *xs: cr.cartesian_prod(*xs) ** 2, lambda *xs: torch.cartesian_prod(*xs) ** 2,
             arrays)
    ints = [cr.arange(s) for s in sizes]
    ours = cr.cartesian_prod(*ints)
    theirs = torch.cartesian_prod(*[torch.arange(s) for s in sizes])
    assert ours.dtype == cr.int64 and ours.tolist() == theirs.tolist()
    raises_with(RuntimeError, lambda: cr.cartesian_prod(cr.ones(2, 2)), "1D", "[2, 2]")


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("a,b", [
    ([1.0, 2.0, 3.0], [1.0, 2.00001, 3.1]),
    ([INF, -INF, NAN, 1.0], [INF, INF, NAN, 1.0 + 1e-9]),
    ([[1.0], [2.0]], [1.0, 2.0 + 1e-6]),
    ([0.0], [1e-9]),
])
@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.05},
                                {"rtol": 0.1}])
def test_isclose_allclose(a, b, kw):
    ca, cb = cr.tensor(a, dtype=cr.float64), cr.tensor(b, dtype=cr.float64)
    ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    ours, theirs = cr.isclose(ca, cb, **kw), torch.isclose(ta, tb, **kw)
    assert ours.dtype == cr.bool_ and ours.tolist() == theirs.tolist()
    assert ca.isclose(cb, **kw).tolist() == theirs.tolist()
    assert cr.allclose(ca, cb, **kw) is torch.allclose(ta, tb, **kw)
    assert ca.allclose(cb, **kw) is torch.allclose(ta, tb, **kw)


def test_isclose_integers_and_errors():
    ours = cr.isclose(cr.tensor([1, 2]), cr.tensor([1, 3]))
    assert ours.tolist() == torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])).tolist()
    raises_with(RuntimeError, lambda: cr.isclose(cr.ones(2), cr.ones(2, dtype=cr.float64)),
                "float32", "float64")
    raises_with(RuntimeError, lambda: cr.allclose(cr.ones(2), cr.ones(3)), "(2,)", "(3,)")


@pytest.mark.parametrize("a,b", [
    (([1.0, 2.0], None), ([1.0, 2.0], None)),
    (([1.0, 2.0], None), ([1.0, 2.0], "float64")),
    (([1.0], None), ([1.0, 1.0], None)),
    (([NAN], None), ([NAN], None)),
    (([[1, 2]], "int64"), ([1, 2], "int64")),
    (([1, 2], "int64"), ([1.0, 2.0], None)),
])
def test_equal(a, b):
    def mk(mod, spec):
        data, d = spec
        return mod.tensor(data, dtype=None if d is None else getattr(mod, d))

    assert cr.equal(mk(cr, a), mk(cr, b)) is torch.equal(mk(torch, a), mk(torch, b))
    assert mk(cr, a).equal(mk(cr, b)) is torch.equal(mk(torch, a), mk(torch, b))
