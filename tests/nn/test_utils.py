"""nn.utils: gradient clipping and parameter flattening equal torch.nn.utils'."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn import utils
from tests.tensor.oracle import raises_with, rand

pytestmark = pytest.mark.torch


def params_with_grads(seed: int = 0, scale: float = 1.0,
                      ) -> tuple[list[nn.Parameter], list[torch.nn.Parameter]]:
    shapes = [(3, 4), (5,), (2, 1, 3), ()]
    ours, theirs = [], []
    for i, s in enumerate(shapes):
        p, t = nn.Parameter(cr.tensor(rand(s, seed + i))), torch.nn.Parameter(
            torch.tensor(rand(s, seed + i)))
        g = rand(s, seed + 10 + i) * scale
        p.grad, t.grad = cr.tensor(g), torch.tensor(g)
        ours.append(p)
        theirs.append(t)
    ours.append(nn.Parameter(cr.ones(2, dtype=cr.float64)))  # no grad: skipped
    theirs.append(torch.nn.Parameter(torch.ones(2, dtype=torch.float64)))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_torch(norm_type: float, max_norm: float) -> None:
    ours, theirs = params_with_grads()
    norm_type = float(norm_type)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.dtype == cr.float64 and total.shape == ()
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    for p, t in zip(ours, theirs, strict=True):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_forms_and_errors() -> None:
    p = nn.Parameter(cr.ones(4, dtype=cr.float64))
    p.grad = cr.full((4,), 2.0, dtype=cr.float64)
    total = utils.clip_grad_norm_(p, 1.0)  # a single tensor
    assert total.item() == 4.0
    np.testing.assert_allclose(p.grad.numpy(), 0.5 / (1 + 1e-6 / 4))
    assert utils.clip_grad_norm_([nn.Parameter(cr.ones(2))], 1.0).item() == 0.0  # no grads
    q = nn.Parameter(cr.ones(2, dtype=cr.float64))
    q.grad = cr.tensor([math.inf, 1.0], dtype=cr.float64)
    raises_with(RuntimeError, lambda: utils.clip_grad_norm_([q], 1.0, error_if_nonfinite=True),
                "non-finite", "error_if_nonfinite=False")
    assert math.isinf(utils.clip_grad_norm_((x for x in [q]), 1.0).item())  # a generator


def test_clip_grad_value_equals_torch() -> None:
    ours, theirs = params_with_grads(scale=3.0)
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, t in zip(ours, theirs, strict=True):
        if t.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_get_total_norm_equals_torch() -> None:
    ours, theirs = params_with_grads()
    for p in (2.0, 1.0, math.inf):
        np.testing.assert_allclose(
            utils.get_total_norm([q.grad for q in ours if q.grad is not None], p).item(),
            torch.nn.utils.get_total_norm([t.grad for t in theirs if t.grad is not None],
                                          p).item(), rtol=1e-12)


def test_parameters_to_vector_and_back() -> None:
    m, tm = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    v, tv = utils.parameters_to_vector(m.parameters()), \
        torch.nn.utils.parameters_to_vector(tm.parameters())
    np.testing.assert_array_equal(v.detach().numpy(), tv.detach().numpy())
    (v * cr.arange(8.0)).sum().backward()  # differentiable: each parameter gets its slice
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.arange(6.0).reshape(2, 3))
    new = cr.arange(8.0)
    utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6.0, 7.0])
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    new.add_(1)  # the parameters share the vector's storage, as torch's
    np.testing.assert_array_equal(m.bias.detach().numpy(), [7.0, 8.0])
    raises_with(TypeError, lambda: utils.vector_to_parameters([1.0], m.parameters()),
                "expected torch.Tensor")
