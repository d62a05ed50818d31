"""Ordering ops against PyTorch: sort, argsort, msort, topk (values, gradients, second
derivatives, indices incl. ties and NaN), unique, unique_consecutive, searchsorted (values and
dtypes), and their errors."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from tests.tensor.oracle import SETTINGS, check_op, distinct, raises_with, values

pytestmark = pytest.mark.torch


@st.composite
def shape_and_dim(draw, min_side: int = 0, min_dims: int = 0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4))
    nd = len(shape)
    return shape, draw(st.integers(-nd, nd - 1) if nd else st.sampled_from([0, -1]))


def same(ours, theirs):
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}", (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def t64(x):
    return cr.tensor(np.asarray(x), dtype=cr.float64)


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(), descending=st.booleans())
def test_sort_matches_torch_with_ties(data, sd, descending):
    shape, dim = sd
    x = data.draw(values(shape, st.sampled_from([-1.0, 0.5, 2.0, math.nan])))
    check_op(lambda a: cr.sort(a, dim, descending).values,
             lambda a: torch.sort(a, dim=dim, descending=descending, stable=True).values, [x])
    ours = t64(x).sort(dim, descending=descending, stable=True)
    theirs = torch.tensor(x).sort(dim=dim, descending=descending, stable=True)
    assert type(ours).__name__ == "sort" and ours[1] is ours.indices
    same(ours.indices, theirs.indices)
    same(ours.values, theirs.values)
    same(cr.argsort(t64(x), dim, descending),
         torch.argsort(torch.tensor(x), dim=dim, descending=descending, stable=True))


@SETTINGS
@given(data=st.data(), sd=shape_and_dim())
def test_sort_unstable_default_matches_torch_on_distinct_values(data, sd):
    shape, dim = sd
    x = data.draw(distinct(shape))
    same(cr.sort(t64(x), dim).indices, torch.sort(torch.tensor(x), dim).indices)
    same(t64(x).argsort(dim, True), torch.tensor(x).argsort(dim, True))
    if shape:
        check_op(cr.msort, torch.msort, [x])


def test_sort_integer_and_bool_dtypes():
    for dtype in ("int32", "int64", "uint8", "bool"):
        x = [3, 1, 0, 1, 2] if dtype != "bool" else [True, False, True]
        ours = cr.sort(cr.tensor(x).to(getattr(cr, "bool_" if dtype == "bool" else dtype)),
                       descending=True)
        theirs = torch.sort(torch.tensor(x).to(getattr(torch, dtype)), descending=True,
                            stable=True)
        assert ours.values.dtype == getattr(cr, "bool_" if dtype == "bool" else dtype)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(), largest=st.booleans())
def test_topk_matches_torch_on_distinct_values(data, sd, largest):
    shape, dim = sd
    x = data.draw(distinct(shape))
    n = shape[dim] if shape else 1
    k = data.draw(st.integers(0, n))
    check_op(lambda a: cr.topk(a, k, dim, largest).values,
             lambda a: torch.topk(a, k, dim, largest).values, [x])
    ours = t64(x).topk(k, dim, largest=largest)
    same(ours.indices, torch.tensor(x).topk(k, dim, largest=largest).indices)
    assert type(ours).__name__ == "topk"


def test_topk_errors():
    raises_with(RuntimeError, lambda: cr.topk(cr.zeros(2, 3), 4), "topk", "out of range")
    raises_with(RuntimeError, lambda: cr.topk(cr.zeros(2, 3), -1), "topk", "out of range")
    raises_with(IndexError, lambda: cr.sort(cr.zeros(2, 3), 2), "sort")
    raises_with(RuntimeError, lambda: cr.unique(cr.zeros(2, 0), dim=0), "unique", "(2, 0)")
    raises_with(RuntimeError, lambda: cr.unique_consecutive(cr.zeros(0, 0), dim=1), "unique")


@SETTINGS
@given(data=st.data(), sd=shape_and_dim(), inverse=st.booleans(), counts=st.booleans(),
       by_dim=st.booleans())
def test_unique_matches_torch(data, sd, inverse, counts, by_dim):
    shape, dim = sd
    x = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 2)))
    zeros = shape.count(0)
    dim = dim if by_dim and shape and (zeros == 0 or (zeros == 1 and shape[dim] == 0)) else None
    for name in ("unique", "unique_consecutive"):
        ours = getattr(cr, name)(cr.tensor(x), return_inverse=inverse, return_counts=counts,
                                 dim=dim)
        theirs = getattr(torch, name)(torch.tensor(x), return_inverse=inverse,
                                      return_counts=counts, dim=dim)
        if not (inverse or counts):
            ours, theirs = (ours,), (theirs,)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            same(o, t)


def test_unique_floats_and_method():
    x = [2.5, -1.0, 2.5, math.inf, 0.0]
    same(cr.tensor(x).unique(), torch.tensor(x).unique())
    same(cr.tensor(x).unique_consecutive(), torch.tensor(x).unique_consecutive())


@SETTINGS
@given(data=st.data(), batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
       n=st.integers(0, 5), m=st.integers(0, 4), right=st.booleans(), flat=st.booleans())
def test_searchsorted_matches_torch(data, batch, n, m, right, flat):
    seq_shape = (n,) if flat else (*batch, n)
    seq = np.sort(data.draw(hnp.arrays(np.float64, seq_shape,
                                       elements=st.sampled_from([0.0, 1.0, 1.5, 3.0]))), -1)
    v = data.draw(hnp.arrays(np.float64, (*batch, m),
                             elements=st.sampled_from([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])))
    ours = cr.searchsorted(cr.tensor(seq), cr.tensor(v), right=right)
    same(ours, torch.searchsorted(torch.tensor(seq), torch.tensor(v), right=right))
    side = "right" if right else "left"
    same(cr.searchsorted(cr.tensor(seq), cr.tensor(v), side=side, out_int32=True),
         torch.searchsorted(torch.tensor(seq), torch.tensor(v), side=side, out_int32=True))


def test_searchsorted_scalar_sorter_and_errors():
    seq = [1, 3, 5, 7]
    same(cr.searchsorted(cr.tensor(seq), 5), torch.searchsorted(torch.tensor(seq), 5))
    same(cr.searchsorted(cr.tensor(seq), 5, right=True),
         torch.searchsorted(torch.tensor(seq), 5, right=True))
    raw, order = [7, 1, 5, 3], [1, 3, 2, 0]
    same(cr.searchsorted(cr.tensor(raw), cr.tensor([4, 8]), sorter=cr.tensor(order)),
         torch.searchsorted(torch.tensor(raw), torch.tensor([4, 8]), sorter=torch.tensor(order)))
    raises_with(RuntimeError, lambda: cr.searchsorted(cr.zeros(2, 3), cr.zeros(3, 1)),
                "boundaries", "(2, 3)", "(3, 1)")
    raises_with(RuntimeError, lambda: cr.searchsorted(cr.zeros(3), cr.zeros(1), right=True,
                                                      side="left"), "opposites")


@pytest.mark.parametrize("case", [
    ([1, 1, 3], None, 0), ([], None, 3), ([0, 5, 5, 2], None, 2), ([2, 0], [0.5, 1.5], 4),
    ([2, 0, 2], "float64", 0), ([4, 4], "int", 1),
])
def test_bincount_matches_torch(case) -> None:
    values_, weights, minlength = case
    x = np.array(values_, dtype=np.int64)
    if weights == "float64":
        w = np.arange(len(x), dtype=np.float64) + 0.25
    elif weights == "int":
        w = np.arange(len(x), dtype=np.int64)
    elif weights is not None:
        w = np.array(weights, dtype=np.float32)
    else:
        w = None
    ours = cr.bincount(cr.tensor(x), None if w is None else cr.tensor(w), minlength=minlength)
    theirs = torch.bincount(torch.tensor(x), None if w is None else torch.tensor(w),
                            minlength=minlength)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert cr.tensor(x).bincount().shape == torch.tensor(x).bincount().shape


def test_bincount_errors() -> None:
    raises_with(RuntimeError, lambda: cr.bincount(cr.tensor([-1, 2])), "non-negative integral")
    raises_with(RuntimeError, lambda: cr.bincount(cr.tensor([[1]])), "1-d")
    raises_with(RuntimeError, lambda: cr.bincount(cr.tensor([1.0])), "integral")
    raises_with(RuntimeError, lambda: cr.bincount(cr.tensor([1]), minlength=-1), "minlength")
    raises_with(RuntimeError, lambda: cr.bincount(cr.tensor([1, 2]), cr.tensor([1.0])),
                "same length")
