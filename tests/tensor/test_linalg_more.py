"""More linear algebra against PyTorch float64: inverse, det, trace, addmm/addmv/baddbmm/addbmm,
kron, tensordot; outer and bmm's dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, leaf, raises_with, rand, shapes

pytestmark = pytest.mark.torch


def well_conditioned(shape, seed=0):
    """Random matrices plus n * I: far from singular."""
    n = shape[-1]
    return rand(shape, seed) + n * np.eye(n)


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 3), (2, 4, 4), (2, 0, 1, 1)])
def test_inverse_det(shape):
    a = well_conditioned(shape)
    check_op(cr.inverse, torch.inverse, [a], rtol=1e-7)
    check_op(lambda x: x.inverse(), lambda x: x.inverse(), [a], rtol=1e-7)
    check_op(cr.det, torch.det, [a], rtol=1e-7)
    check_op(lambda x: x.det(), lambda x: x.det(), [a], rtol=1e-7)


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (2, 3), (4, 2)])
def test_trace(shape):
    check_op(cr.trace, torch.trace, [rand(shape)])
    ours, theirs = cr.trace(cr.ones(*shape, dtype=cr.int32)), torch.trace(
        torch.ones(*shape, dtype=torch.int32))
    assert ours.dtype == cr.int64 and ours.item() == theirs.item()


@SETTINGS
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.data(),
       st.sampled_from([(1, 1), (0.5, -2.0), (0, 1.5)]))
def test_addmm_addmv(n, m, p, data, scales):
    beta, alpha = scales
    ishape = data.draw(st.sampled_from([(n, p), (p,), (1, p), (n, 1), ()]))
    check_op(lambda i, a, b: cr.addmm(i, a, b, beta=beta, alpha=alpha),
             lambda i, a, b: torch.addmm(i, a, b, beta=beta, alpha=alpha),
             [rand(ishape), rand((n, m), 1), rand((m, p), 2)])
    check_op(lambda i, a, b: i.addmm(a, b), lambda i, a, b: i.addmm(a, b),
             [rand((n, p)), rand((n, m), 1), rand((m, p), 2)])
    # an empty product or result (m or n = 0): torch returns a broadcast input unbroadcast (its
    # quirk: we give shape (n,)), so only a full-size input there
    vshape = data.draw(st.sampled_from([(n,), (1,), ()])) if m and n else (n,)
    check_op(lambda i, a, v: cr.addmv(i, a, v, beta=beta, alpha=alpha),
             lambda i, a, v: torch.addmv(i, a, v, beta=beta, alpha=alpha),
             [rand(vshape), rand((n, m), 1), rand((m,), 2)])


@SETTINGS
@given(st.integers(0, 3), st.integers(0, 2), st.integers(0, 3), st.integers(0, 2),
       st.sampled_from([(1, 1), (0.5, -2.0), (0, 1.5)]))
def test_baddbmm_addbmm(b, n, m, p, scales):
    beta, alpha = scales
    check_op(lambda i, x, y: cr.baddbmm(i, x, y, beta=beta, alpha=alpha),
             lambda i, x, y: torch.baddbmm(i, x, y, beta=beta, alpha=alpha),
             [rand((b, n, p)), rand((b, n, m), 1), rand((b, m, p), 2)])
    check_op(lambda i, x, y: i.baddbmm(x, y), lambda i, x, y: i.baddbmm(x, y),
             [rand((1, p)), rand((b, n, m), 1), rand((b, m, p), 2)])
    check_op(lambda i, x, y: cr.addbmm(i, x, y, beta=beta, alpha=alpha),
             lambda i, x, y: torch.addbmm(i, x, y, beta=beta, alpha=alpha),
             [rand((n, p)), rand((b, n, m), 1), rand((b, m, p), 2)])


def test_beta_zero_ignores_nan():
    i = np.full((2, 2), np.nan)
    out = cr.addmm(cr.tensor(i, dtype=cr.float32), cr.ones(2, 3), cr.ones(3, 2), beta=0)
    np.testing.assert_array_equal(out.numpy(), torch.addmm(
        torch.tensor(i, dtype=torch.float32), torch.ones(2, 3), torch.ones(3, 2), beta=0).numpy())


@SETTINGS
@given(shapes(max_dims=3), shapes(max_dims=3))
def test_kron(sa, sb):
    check_op(cr.kron, torch.kron, [rand(sa), rand(sb, 1)])
    check_op(lambda a, b: a.kron(b), lambda a, b: a.kron(b), [rand(sa), rand(sb, 1)])


@SETTINGS
@given(shapes(max_dims=4), st.data())
def test_tensordot(sa, data):
    na = len(sa)
    n = data.draw(st.integers(0, na))
    contracted = list(sa[na - n:])
    sb = tuple(contracted) + data.draw(shapes(max_dims=2))
    check_op(lambda a, b: cr.tensordot(a, b, n), lambda a, b: torch.tensordot(a, b, n),
             [rand(sa), rand(sb, 1)])
    # explicit lists: a's dims in any order, matched with b's (negative dims too)
    da = data.draw(st.permutations(range(na)))[: data.draw(st.integers(0, na))]
    free = data.draw(shapes(max_dims=2))
    sb = tuple(sa[d] for d in da) + free
    db = [k - len(sb) if data.draw(st.booleans()) else k for k in range(len(da))]
    check_op(lambda a, b: cr.tensordot(a, b, (da, db)),
             lambda a, b: torch.tensordot(a, b, (da, db)), [rand(sa), rand(sb, 1)])


def test_outer_bmm_dtypes():
    ours = cr.outer(cr.ones(2, dtype=cr.int32), cr.ones(3, dtype=cr.int64))
    assert ours.dtype == cr.int64 and ours.shape == (2, 3)
    check_op(cr.outer, torch.outer, [rand((2,)), rand((0,), 1)])
    check_op(cr.bmm, torch.bmm, [rand((2, 3, 4)), rand((2, 4, 1), 1)])


def test_errors():
    raises_with(RuntimeError, lambda: cr.inverse(cr.zeros(2, 2, dtype=cr.float64)), "singular")
    raises_with(RuntimeError, lambda: cr.inverse(leaf((2, 3))), "inv", "2 by 3")
    raises_with(RuntimeError, lambda: cr.inverse(cr.zeros(2, 2, dtype=cr.int64)), "floating")
    raises_with(RuntimeError, lambda: cr.inverse(leaf((2,))), "at least 2 dimensions")
    raises_with(RuntimeError, lambda: cr.det(leaf((2, 3))), "det", "2 by 3")
    raises_with(RuntimeError, lambda: cr.trace(leaf((2, 2, 2))), "trace", "dim 3")
    raises_with(RuntimeError, lambda: cr.addmm(leaf((3,)), leaf((4,)), leaf((4, 3))),
                "addmm", "mat1 must be a matrix")
    raises_with(RuntimeError, lambda: cr.addmm(leaf((3,)), leaf((2, 4)), leaf((5, 3))),
                "addmm", "2x4 and 5x3")
    raises_with(RuntimeError, lambda: cr.addmm(leaf((4,)), leaf((2, 4)), leaf((4, 3))),
                "addmm", "(4,)", "(2, 3)")
    raises_with(RuntimeError, lambda: cr.addmm(cr.ones(3), leaf((2, 4)), leaf((4, 3))),
                "addmm", "dtype")
    raises_with(RuntimeError, lambda: cr.baddbmm(leaf((1,)), leaf((2, 2, 3)), leaf((3, 3, 1))),
                "baddbmm", "batches")
    raises_with(RuntimeError, lambda: cr.addmv(leaf((2,)), leaf((2, 3)), leaf((3, 1))),
                "addmv", "vec must be a vector")
    a, b = leaf((2, 3)), leaf((4, 4))
    raises_with(RuntimeError, lambda: cr.tensordot(a, b, 1), "contracted dimensions need to match",
                "size 3 in dim -1", "size 4 in dim 0")
    raises_with(RuntimeError, lambda: cr.tensordot(a, b, -1), "dims >= 0")
    raises_with(RuntimeError, lambda: cr.tensordot(a, b, 3), "dims=3")
    raises_with(RuntimeError, lambda: cr.tensordot(a, b, ([0, 1], [1])), "same length")
