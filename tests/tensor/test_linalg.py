"""matmul, einsum, dot/mv/mm/bmm/outer against PyTorch float64 (values, first and second
derivatives), gradcheck, and their errors."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, leaf, raises_with, rand

pytestmark = pytest.mark.torch




# ----- matmul ----------------------------------------------------------------------------------
@SETTINGS
@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    m=st.integers(0, 3), k=st.integers(0, 3), n=st.integers(0, 3),
    a_vec=st.booleans(), b_vec=st.booleans(),
)
def test_matmul(batch, m, k, n, a_vec, b_vec):
    a_shape = (k,) if a_vec else (*batch.input_shapes[0], m, k)
    b_shape = (k,) if b_vec else (*batch.input_shapes[1], k, n)
    check_op(cr.matmul, torch.matmul, [rand(a_shape), rand(b_shape, 1)])
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, [rand(a_shape), rand(b_shape, 1)])
    # second derivative with respect to both (the products of x with itself)
    check_op(lambda a, b: (a * a) @ (b * b), lambda a, b: (a * a) @ (b * b),
             [rand(a_shape), rand(b_shape, 1)])


@pytest.mark.parametrize(("a", "b"), [
    ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (5, 4, 2)),
    ((2, 3, 4), (4,)), ((1, 4), (3, 4, 1)),
])
def test_matmul_cases(a, b):
    check_op(lambda x, y: (x * x) @ y, lambda x, y: (x * x) @ y, [rand(a), rand(b, 1)])


def test_rmatmul_with_array():
    a = rand((2, 3))
    x = cr.tensor(rand((3, 4)), dtype=cr.float64)
    assert np.allclose((a @ x).numpy(), a @ x.numpy())


# ----- thin wrappers ---------------------------------------------------------------------------
@SETTINGS
@given(n=st.integers(0, 4), m=st.integers(0, 4), b=st.integers(0, 3), k=st.integers(0, 3))
def test_dot_mv_mm_bmm_outer(n, m, b, k):
    check_op(cr.dot, torch.dot, [rand((n,)), rand((n,), 1)])
    check_op(lambda x, y: x.dot(y * y), lambda x, y: x.dot(y * y), [rand((n,)), rand((n,), 1)])
    check_op(cr.mv, torch.mv, [rand((m, n)), rand((n,), 1)])
    check_op(cr.mm, torch.mm, [rand((m, n)), rand((n, k), 1)])
    check_op(lambda x, y: x.mm(y * y), lambda x, y: x.mm(y * y), [rand((m, n)), rand((n, k), 1)])
    check_op(cr.bmm, torch.bmm, [rand((b, m, n)), rand((b, n, k), 1)])
    check_op(cr.outer, torch.outer, [rand((n,)), rand((m,), 1)])
    check_op(lambda x, y: (x * x).outer(y), lambda x, y: (x * x).outer(y),
             [rand((n,)), rand((m,), 1)])


# ----- einsum ----------------------------------------------------------------------------------
EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("iji->ij", [(3, 2, 3)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("ab,bc,cd", [(2, 3), (3, 2), (2, 4)]),
    ("ab,cd->ad", [(2, 3), (4, 5)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 3), (4, 3, 2)]),
    ("i...,i...->...", [(3, 2), (3, 1)]),
    ("...ij->ij", [(2, 2, 3)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("i,i->i", [(1,), (3,)]),
    ("ij,j->i", [(2, 0), (0,)]),
    ("Ab,bA", [(2, 3), (3, 2)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize(("eq", "shapes"), EQUATIONS)
def test_einsum_equations(eq, shapes):
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    check_op(lambda *xs: cr.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs), arrays)
    # operands that are functions of the inputs: second derivatives through einsum's backward
    check_op(lambda *xs: cr.einsum(eq, *[x * x for x in xs]),
             lambda *xs: torch.einsum(eq, *[x * x for x in xs]), arrays)


def test_einsum_operand_list():
    a, b = rand((2, 3)), rand((3, 4), 1)
    check_op(lambda x, y: cr.einsum("ij,jk", [x, y]), lambda x, y: torch.einsum("ij,jk", [x, y]),
             [a, b])


@st.composite
def einsum_case(draw):
    """A random equation over letters a-d: 1-3 operands of 0-3 subscripts (repeats allowed),
    sizes 0-3, some dims of size 1 broadcasting, explicit or implicit output."""
    letters = "abcd"
    size = {c: draw(st.integers(0, 3)) for c in letters}
    terms = [draw(st.lists(st.sampled_from(letters), max_size=3)) for _ in
             range(draw(st.integers(1, 3)))]
    shapes = []
    for t in terms:
        own = {c: 1 if draw(st.integers(0, 4)) == 0 else size[c] for c in set(t)}
        shapes.append(tuple(own[c] for c in t))
    used = sorted(set("".join("".join(t) for t in terms)))
    lhs = ",".join("".join(t) for t in terms)
    if draw(st.booleans()):
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        eq = lhs + "->" + "".join(out)
    else:
        eq = lhs
    return eq, shapes


@SETTINGS
@given(case=einsum_case())
def test_einsum_random(case):
    eq, shapes = case
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    check_op(lambda *xs: cr.einsum(eq, *[x * x for x in xs]),
             lambda *xs: torch.einsum(eq, *[x * x for x in xs]), arrays)


def test_einsum_result_does_not_alias():
    x = cr.randn(3, 3)
    for eq in ("ij->ji", "ii->i", "ij->ij"):
        assert not np.shares_memory(cr.einsum(eq, x)._data, x._data)


# ----- gradcheck -------------------------------------------------------------------------------
GRADCHECK = [
    (lambda a, b: a @ b, [(2, 3), (3, 2)]),
    (lambda a, b: a @ b, [(3,), (2, 3, 2)]),
    (lambda a, b: cr.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    (lambda a, b: cr.einsum("ii,ij->j", a, b), [(3, 3), (3, 2)]),
    (lambda a, b: cr.einsum("i...,j->...ij", a, b), [(2, 3), (2,)]),
    (lambda a, b: cr.dot(a, b[0]), [(3,), (2, 3)]),
    (lambda a, b: cr.mm(a, b), [(2, 3), (3, 2)]),
    (lambda a, b: cr.bmm(a, b), [(2, 2, 3), (2, 3, 1)]),
    (lambda a, b: cr.mv(b, a), [(3,), (2, 3)]),
    (lambda a, b: cr.outer(a, b[0]), [(3,), (2, 3)]),
]


@pytest.mark.parametrize(("fn", "shapes"), GRADCHECK)
def test_gradcheck_gradgradcheck(fn, shapes):
    inputs = [leaf(s, i) for i, s in enumerate(shapes)]
    assert cr.gradcheck(fn, inputs)
    assert cr.gradgradcheck(fn, inputs)


# ----- errors ----------------------------------------------------------------------------------


def test_matmul_errors():
    raises_with(RuntimeError, lambda: cr.randn(3, 4) @ cr.randn(5, 6),
            "matmul: (3, 4) @ (5, 6): inner sizes 4 and 5 differ")
    raises_with(RuntimeError, lambda: cr.randn(3) @ cr.randn(4), "(3,) @ (4,)")
    raises_with(RuntimeError, lambda: cr.randn(2, 3, 4) @ cr.randn(3, 4, 5),
            "(2, 3, 4) @ (3, 4, 5)", "batch")
    raises_with(RuntimeError, lambda: cr.tensor(1.0) @ cr.randn(2), "()", "(2,)")
    raises_with(TypeError, lambda: cr.randn(2) @ "a", "str")


def test_wrapper_errors():
    x = cr.randn(3, 4)
    raises_with(RuntimeError, lambda: cr.dot(x, x), "(3, 4)")
    raises_with(RuntimeError, lambda: cr.dot(cr.randn(3), cr.randn(4)), "(3,)", "(4,)")
    raises_with(RuntimeError, lambda: cr.mm(x, cr.randn(4)), "(3, 4)", "(4,)")
    raises_with(RuntimeError, lambda: cr.mm(x, x), "(3, 4) @ (3, 4)")
    raises_with(RuntimeError, lambda: cr.mv(x, cr.randn(3)), "(3, 4) @ (3,)")
    raises_with(RuntimeError, lambda: cr.bmm(x, x), "(3, 4)")
    raises_with(RuntimeError, lambda: cr.bmm(cr.randn(2, 3, 4), cr.randn(3, 4, 5)),
            "(2, 3, 4)", "(3, 4, 5)")
    raises_with(RuntimeError, lambda: cr.outer(x, cr.randn(3)), "(3, 4)")
    raises_with(TypeError, lambda: cr.mm(x, [[1.0]]), "list")


def test_einsum_errors():
    a, b = cr.randn(2, 3), cr.randn(4, 2)
    raises_with(RuntimeError, lambda: cr.einsum("ij,jk", a, b), "subscript j has size 4",
            "size 3", "(2, 3)", "(4, 2)")
    raises_with(RuntimeError, lambda: cr.einsum("ij,jk", a), "2 operand subscripts", "1 operand")
    raises_with(RuntimeError, lambda: cr.einsum("ii", a), "subscript i is repeated", "2 != 3")
    raises_with(RuntimeError, lambda: cr.einsum("ijk", a), "(2, 3)", "no ellipsis")
    raises_with(RuntimeError, lambda: cr.einsum("i2", a), "'2'")
    raises_with(RuntimeError, lambda: cr.einsum("ij->ii", a), "more than once")
    raises_with(RuntimeError, lambda: cr.einsum("ij->k", a), "k does not appear")
    a3, b3 = cr.randn(2, 2, 3), cr.randn(3, 3, 4)
    raises_with(RuntimeError, lambda: cr.einsum("...ij,...jk", a3, b3), "does not broadcast")
    raises_with(RuntimeError, lambda: cr.einsum("i"), "at least one operand")
