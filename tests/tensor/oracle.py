"""Shared oracles for tensor-op tests: PyTorch float64 (values, gradients, second derivatives).

``check_op(cr_fn, torch_fn, arrays)`` runs both functions on float64 copies of ``arrays`` and
compares: the values; the vector-Jacobian product for a random upstream gradient; and the second
derivative, d/dx of <grad(x), v> for a random v (create_graph on both sides).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st

import chainrule as cr

RTOL = 1e-8
ATOL = 1e-10
# few examples by default (a fast suite); HYPOTHESIS_PROFILE=thorough multiplies them by 20
SETTINGS = settings(deadline=None,
                    max_examples=500 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 25)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0) -> st.SearchStrategy:
    """Array shapes with sides up to 4, size-1 and (with min_side=0) empty dimensions."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=4)


def values(shape: tuple[int, ...], elements: Any = None) -> st.SearchStrategy:
    """float64 arrays of a shape, elements in [-3, 3] unless given."""
    elements = st.floats(-3, 3) if elements is None else elements
    return hnp.arrays(np.float64, shape, elements=elements)


def distinct(shape: tuple[int, ...]) -> st.SearchStrategy:
    """float64 arrays of a shape with pairwise distinct elements (no ties for sort, max, ...)."""
    n = int(np.prod(shape))
    return st.permutations(range(n)).map(
        lambda p: np.array(p, dtype=np.float64).reshape(shape) * 0.37 - 1.1)


def rand(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Standard-normal float64 values of a shape, reproducible from the seed."""
    return np.random.default_rng(seed).standard_normal(shape)


def raises_with(exc: type[BaseException], fn: Callable[[], Any], *fragments: str) -> None:
    """``fn()`` raises ``exc`` with every fragment (shapes, op names) in its message."""
    with pytest.raises(exc) as info:
        fn()
    for frag in fragments:
        assert frag in str(info.value), (frag, str(info.value))


def leaf(shape: tuple[int, ...], seed: int = 0) -> cr.Tensor:
    """A float64 leaf that requires grad, filled by rand(shape, seed)."""
    return cr.tensor(rand(shape, seed), dtype=cr.float64, requires_grad=True)


def _close(ours: Any, theirs: Any, what: str, rtol: float, atol: float) -> None:
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _grads(out: Any, xs: Sequence[Any], g: Any, mod: str, create_graph: bool) -> list[Any]:
    if mod == "cr":
        return list(cr.grad(out, list(xs), grad_outputs=g, create_graph=create_graph,
                            allow_unused=True))
    return list(torch.autograd.grad(out, list(xs), grad_outputs=g, create_graph=create_graph,
                                    allow_unused=True))


def check_op(
    cr_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    second_order: bool = True,
    rtol: float = RTOL,
    atol: float = ATOL,
    seed: int = 0,
) -> None:
    """Assert cr_fn agrees with torch_fn in value, first and second derivatives (float64)."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    xs = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, tout = cr_fn(*xs), torch_fn(*ts)
    _close(out.detach().numpy(), tout.detach().numpy(), "value", rtol, atol)
    if not tout.requires_grad:
        return
    g = rng.standard_normal(tuple(tout.shape))
    gx = _grads(out, xs, cr.tensor(g, dtype=cr.float64), "cr", True)
    tgx = _grads(tout, ts, torch.tensor(g), "torch", True)
    # the same gradient without create_graph: the rules' fast path on bare arrays
    plain = list(cr.grad(out, xs, grad_outputs=cr.tensor(g, dtype=cr.float64), retain_graph=True,
                         allow_unused=True))
    for i, (a, p, b) in enumerate(zip(gx, plain, tgx, strict=True)):
        a = np.zeros(arrays[i].shape) if a is None else a.detach().numpy()
        p = np.zeros(arrays[i].shape) if p is None else p.numpy()
        b = np.zeros(arrays[i].shape) if b is None else b.detach().numpy(force=True)
        _close(a, b, f"grad of input {i}", rtol, atol)
        _close(p, b, f"grad of input {i} (no create_graph)", rtol, atol)
    if not second_order:
        return
    vs = [rng.standard_normal(a.shape) for a in arrays]
    s = sum(((gi * cr.tensor(v, dtype=cr.float64)).sum() for gi, v in zip(gx, vs, strict=True)
             if gi is not None and gi.requires_grad), cr.tensor(0.0, dtype=cr.float64))
    ts_ = sum(((gi * torch.tensor(v)).sum() for gi, v in zip(tgx, vs, strict=True)
               if gi is not None and gi.requires_grad), torch.tensor(0.0, dtype=torch.float64))
    if not ts_.requires_grad:
        assert not s.requires_grad or np.allclose(
            [0 if h is None else np.abs(h.detach().numpy()).max(initial=0) for h in
             _grads(s, xs, None, "cr", False)], 0)
        return
    hx = _grads(s, xs, None, "cr", False) if s.requires_grad else [None] * len(xs)
    thx = _grads(ts_, ts, None, "torch", False)
    for i, (a, b) in enumerate(zip(hx, thx, strict=True)):
        a = np.zeros(arrays[i].shape) if a is None else a.detach().numpy()
        b = np.zeros(arrays[i].shape) if b is None else b.detach().numpy(force=True)
        _close(a, b, f"second derivative of input {i}", rtol, atol)
