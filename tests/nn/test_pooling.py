"""Pooling against torch (float64): F.max_pool1d/2d, avg_pool1d/2d, adaptive_avg/max_pool1d/2d
(values, gradients, second derivatives, indices), gradcheck/gradgradcheck, the modules (outputs,
gradients, reprs), ties/NaN/-inf, integer inputs, and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch

X1 = (2, 3, 9)  # (N, C, L)
X2 = (2, 2, 7, 8)  # (N, C, H, W)

# (function, input shape, positional args, kwargs); random inputs have no ties (max is smooth)
CASES = [
    ("max_pool1d", X1, (3,), {}),
    ("max_pool1d", X1, (3,), dict(stride=1)),  # overlapping windows: gradients add up
    ("max_pool1d", X1, (4,), dict(stride=2, padding=2, ceil_mode=True)),
    ("max_pool1d", X1, (3,), dict(stride=2, padding=1, dilation=2)),
    ("max_pool1d", (3, 8), (2,), {}),  # unbatched
    ("max_pool2d", X2, (2,), {}),
    ("max_pool2d", X2, ((3, 2),), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ("max_pool2d", X2, (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (2, 5, 5), (2,), dict(stride=1)),
    ("avg_pool1d", X1, (3,), {}),
    ("avg_pool1d", X1, (4,), dict(stride=2, padding=2, ceil_mode=True)),
    ("avg_pool1d", X1, (3,), dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True)),
    ("avg_pool1d", (3, 8), (2,), dict(stride=1)),
    ("avg_pool2d", X2, (2,), {}),
    ("avg_pool2d", X2, ((3, 2),), dict(stride=(2, 1), padding=1, ceil_mode=True)),
    ("avg_pool2d", X2, (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("avg_pool2d", X2, (3,), dict(stride=1, padding=1, divisor_override=4)),
    ("adaptive_avg_pool1d", X1, (4,), {}),
    ("adaptive_avg_pool1d", X1, (12,), {}),  # more outputs than inputs
    ("adaptive_avg_pool1d", (3, 8), (3,), {}),
    ("adaptive_avg_pool2d", X2, ((3, 5),), {}),
    ("adaptive_avg_pool2d", X2, (1,), {}),  # global average
    ("adaptive_avg_pool2d", X2, ((None, 3),), {}),
    ("adaptive_avg_pool2d", (2, 7, 8), (4,), {}),
    ("adaptive_max_pool1d", X1, (4,), {}),
    ("adaptive_max_pool1d", X1, (9,), {}),
    ("adaptive_max_pool2d", X2, ((3, 5),), {}),
    ("adaptive_max_pool2d", (2, 7, 8), (1,), {}),
]


@pytest.mark.parametrize("fn, shape, args, kwargs", CASES)
def test_pooling_matches_torch(fn: str, shape: tuple, args: tuple, kwargs: dict) -> None:
    check_op(lambda x: getattr(F, fn)(x, *args, **kwargs),
             lambda x: getattr(TF, fn)(x, *args, **kwargs), [rand(shape)])


@pytest.mark.parametrize("fn, shape, args, kwargs",
                         [c for c in CASES if "max" in c[0]])
def test_max_pool_indices_match_torch(fn: str, shape: tuple, args: tuple, kwargs: dict) -> None:
    x = rand(shape)
    out, idx = getattr(F, fn)(cr.tensor(x), *args, return_indices=True, **kwargs)
    tout, tidx = getattr(TF, fn)(torch.tensor(x), *args, return_indices=True, **kwargs)
    assert idx.dtype == cr.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(out.numpy(), tout.numpy())


@pytest.mark.parametrize("values, args, kwargs", [
    ([1.0, np.nan, 3.0, np.nan, 0.0], (4, 1), {}),  # a NaN wins, the last one (as torch)
    ([-np.inf, -np.inf, 3.0, 2.0], (2, 1), dict(padding=1)),  # -inf beside the padding
    ([2.0, 2.0, 3.0, 3.0, 1.0], (2, 1), {}),  # ties: the first
    ([2.0, 2.0, 3.0, 3.0, 1.0], (3, 2), dict(padding=1, ceil_mode=True)),
])
def test_max_pool_ties_nan_and_inf_as_torch(values: list, args: tuple, kwargs: dict) -> None:
    x = np.array([[values]])
    out, idx = F.max_pool1d(cr.tensor(x), *args, return_indices=True, **kwargs)
    tout, tidx = TF.max_pool1d(torch.tensor(x), *args, return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    xc = cr.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool1d(xc, *args, **kwargs).sum().backward()
    TF.max_pool1d(xt, *args, **kwargs).sum().backward()
    np.testing.assert_array_equal(xc.grad.numpy(), xt.grad.numpy())


def test_gradcheck_and_gradgradcheck() -> None:
    x = cr.tensor(rand((1, 2, 5, 6)), requires_grad=True)
    for fn in (lambda x: F.max_pool2d(x, 2, stride=1, padding=1),
               lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False),
               lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
               lambda x: F.adaptive_max_pool2d(x, (2, 4))):
        assert cr.gradcheck(fn, (x,))
        assert cr.gradgradcheck(fn, (x,))


def test_integer_and_float32_inputs() -> None:
    xi = np.arange(2 * 3 * 7 * 7).reshape(2, 3, 7, 7) * 37 % 19 - 9
    for fn, args in (("max_pool2d", (3, 2, 1)), ("avg_pool2d", (3, 2, 1)),
                     ("avg_pool1d", (2, 2, 0, True))):
        x = xi if fn.endswith("2d") else xi[:, :, 0]
        ours, theirs = getattr(F, fn)(cr.tensor(x), *args), getattr(TF, fn)(torch.tensor(x), *args)
        assert ours.dtype == cr.int64  # the quotient truncated toward zero, as torch's
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = rand((2, 3, 8, 8)).astype(np.float32)
    for fn, args in (("max_pool2d", (2,)), ("avg_pool2d", (3, 2, 1)),
                     ("adaptive_avg_pool2d", (3,))):
        ours, theirs = getattr(F, fn)(cr.tensor(x), *args), getattr(TF, fn)(torch.tensor(x), *args)
        assert ours.dtype == cr.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls, args, kwargs, shape", [
    ("MaxPool1d", (3,), {}, X1),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), (3, 9)),
    ("MaxPool2d", (2,), {}, X2),
    ("MaxPool2d", ((3, 2),), dict(stride=1, padding=1), X2),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), X1),
    ("AvgPool2d", (2,), {}, X2),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, divisor_override=5), X2),
    ("AdaptiveAvgPool1d", (4,), {}, X1),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, X2),
    ("AdaptiveMaxPool1d", (4,), {}, X1),
    ("AdaptiveMaxPool2d", (3,), {}, X2),
])
def test_pooling_modules_match_torch(cls: str, args: tuple, kwargs: dict, shape: tuple) -> None:
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.state_dict() == {} and list(ours.parameters()) == []
    for attr in ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                 "count_include_pad", "divisor_override", "output_size", "return_indices"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    x = rand(shape)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xc), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    g = rand(tuple(tout.shape), 3)
    out.backward(cr.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_pooling_modules_return_indices() -> None:
    x = rand(X2)
    for ours, theirs in ((nn.MaxPool2d(3, 2, return_indices=True),
                          torch.nn.MaxPool2d(3, 2, return_indices=True)),
                         (nn.AdaptiveMaxPool1d(3, return_indices=True),
                          torch.nn.AdaptiveMaxPool1d(3, return_indices=True))):
        xin = x if "2d" in type(ours).__name__ else x[:, :, 0]
        (out, idx), (tout, tidx) = ours(cr.tensor(xin)), theirs(torch.tensor(xin))
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
        np.testing.assert_array_equal(out.numpy(), tout.numpy())


def test_errors() -> None:
    x = cr.randn(2, 3, 10)
    raises_with(RuntimeError, lambda: F.max_pool1d(x, 3, padding=2), "max_pool1d",
                "half of kernel size")
    raises_with(RuntimeError, lambda: F.avg_pool1d(x, 3, padding=2), "half of kernel size")
    raises_with(RuntimeError, lambda: F.max_pool1d(cr.randn(10), 3), "2D (unbatched) or 3D",
                "(10,)")
    raises_with(RuntimeError, lambda: F.max_pool2d(cr.randn(2, 0, 7, 7), 2), "non-zero",
                "(2, 0, 7, 7)")
    raises_with(RuntimeError, lambda: F.max_pool1d(cr.randn(2, 3, 2), 3), "output size",
                "(2, 3, 2)")
    raises_with(RuntimeError, lambda: F.max_pool1d(x, 3, stride=0), "stride", "greater than")
    raises_with(RuntimeError, lambda: F.max_pool1d(x, 0), "kernel_size", "greater than")
    raises_with(RuntimeError, lambda: F.max_pool2d(cr.randn(1, 1, 9, 9), (3, 3, 3)),
                "list of 2 values")
    raises_with(NotImplementedError, lambda: F.max_pool1d(x.long(), 3), "max_pool1d", "int64")
    raises_with(NotImplementedError, lambda: F.adaptive_avg_pool2d(cr.randn(2, 5, 5).long(), 2),
                "int64")
    raises_with(RuntimeError, lambda: F.avg_pool2d(cr.randn(2, 3, 7, 7), 2,
                                                    divisor_override=0), "not zero")
    raises_with(RuntimeError, lambda: F.adaptive_avg_pool1d(x, -1), "greater than or equal")
    raises_with(RuntimeError, lambda: F.adaptive_avg_pool2d(cr.randn(9, 9), 3),
                "3D (unbatched) or 4D")
    raises_with(TypeError, lambda: F.avg_pool1d(x, 3.0), "kernel_size")
    raises_with(RuntimeError, lambda: nn.MaxPool2d(2)(cr.randn(40)), "MaxPool2d(kernel_size=2",
                "(40,)")
    raises_with(RuntimeError, lambda: nn.AvgPool1d(3)(cr.randn(2, 3, 4, 5)), "AvgPool1d(",
                "(2, 3, 4, 5)")
    assert F.adaptive_avg_pool1d(x, 0).shape == (2, 3, 0)
    assert F.max_pool2d(cr.randn(0, 3, 7, 7), 2).shape == (0, 3, 3, 3)
    assert F.adaptive_max_pool2d(cr.randn(0, 3, 7, 7), 2).shape == (0, 3, 2, 2)
