"""nn.init: gains and fans equal torch's; samples in place, seeded, with torch's bounds and
spreads (statistical checks on large tensors); deterministic fills equal torch's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn import init
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch

N = 200_000  # samples for the statistical checks: std errors ~0.2%


@pytest.mark.parametrize(("name", "param"), [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv_transpose2d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("leaky_relu", 0), ("selu", None)])
def test_calculate_gain_equals_torch(name: str, param: float | None) -> None:
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors() -> None:
    raises_with(ValueError, lambda: init.calculate_gain("swish"), "Unsupported nonlinearity")
    raises_with(ValueError, lambda: init.calculate_gain("leaky_relu", True), "not a valid")


@pytest.mark.parametrize("shape", [(3, 4), (5, 3, 2), (6, 2, 3, 3), (1, 0)])
def test_fans_equal_torch(shape: tuple[int, ...]) -> None:
    assert init._calculate_fan_in_and_fan_out(cr.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dims_and_modes() -> None:
    raises_with(ValueError, lambda: init.kaiming_uniform_(cr.empty(3)), "fewer than 2 dimensions")
    raises_with(ValueError, lambda: init.kaiming_normal_(cr.empty(3, 3), mode="fan"),
                "Mode fan not supported")


def _stats(t: cr.Tensor) -> tuple[float, float, float]:
    a = t.detach().numpy().astype(np.float64)
    return float(np.abs(a).max()), float(a.mean()), float(a.std())


@pytest.mark.parametrize(("kwargs", "fan"), [
    ({}, 400), ({"a": math.sqrt(5)}, 400), ({"mode": "fan_out"}, 500),
    ({"nonlinearity": "relu"}, 400), ({"a": 0.1, "mode": "fan_out"}, 500)])
def test_kaiming_bounds_and_std(kwargs: dict, fan: int) -> None:
    shape = (500, 400)  # fan_in 400, fan_out 500
    gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"),
                                        kwargs.get("a", 0))
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    top, mean, spread = _stats(init.kaiming_uniform_(cr.empty(shape), **kwargs))
    assert top <= bound and top > 0.999 * bound
    assert abs(mean) < 0.01 * std and abs(spread - std) < 0.01 * std
    top, mean, spread = _stats(init.kaiming_normal_(cr.empty(shape), **kwargs))
    assert abs(mean) < 0.01 * std and abs(spread - std) < 0.01 * std
    assert top > 4 * std  # unbounded: the normal's tails show up in 200k draws


def test_xavier_bounds_and_std() -> None:
    shape = (400, 100, 5)  # fan_in 500, fan_out 2000
    std = 2.0 * math.sqrt(2.0 / (500 + 2000))
    top, mean, spread = _stats(init.xavier_uniform_(cr.empty(shape), gain=2.0))
    assert math.sqrt(3) * std * 0.999 < top <= math.sqrt(3) * std
    assert abs(spread - std) < 0.01 * std
    _, mean, spread = _stats(init.xavier_normal_(cr.empty(shape), gain=2.0))
    assert abs(mean) < 0.01 * std and abs(spread - std) < 0.01 * std


def test_uniform_normal_trunc_normal() -> None:
    t = init.uniform_(cr.empty(N), -2.0, 3.0)
    a = t.numpy()
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.02
    a = init.normal_(cr.empty(N, dtype=cr.float64), 1.5, 0.5).numpy()
    assert abs(a.mean() - 1.5) < 0.005 and abs(a.std() - 0.5) < 0.005
    ours = init.trunc_normal_(cr.empty(N, dtype=cr.float64), 0.5, 2.0, -1.0, 3.0).numpy()
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.empty(N, dtype=torch.float64), 0.5, 2.0, -1.0,
                                         3.0).numpy()
    assert ours.min() >= -1.0 and ours.max() <= 3.0
    assert abs(ours.mean() - theirs.mean()) < 0.02 and abs(ours.std() - theirs.std()) < 0.02
    # the density: the same histogram as torch's, up to sampling noise
    h1 = np.histogram(ours, bins=8, range=(-1, 3))[0] / N
    h2 = np.histogram(theirs, bins=8, range=(-1, 3))[0] / N
    np.testing.assert_allclose(h1, h2, atol=0.01)


def test_deterministic_fills_equal_torch() -> None:
    for ours, theirs in [
        (init.constant_(cr.empty(2, 3), 0.3), torch.nn.init.constant_(torch.empty(2, 3), 0.3)),
        (init.zeros_(cr.empty(4)), torch.nn.init.zeros_(torch.empty(4))),
        (init.ones_(cr.empty(2, 2)), torch.nn.init.ones_(torch.empty(2, 2))),
        (init.eye_(cr.empty(3, 5)), torch.nn.init.eye_(torch.empty(3, 5))),
        (init.dirac_(cr.empty(4, 2, 3)), torch.nn.init.dirac_(torch.empty(4, 2, 3))),
        (init.dirac_(cr.empty(6, 2, 3, 3), groups=2),
         torch.nn.init.dirac_(torch.empty(6, 2, 3, 3), groups=2)),
    ]:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    raises_with(ValueError, lambda: init.eye_(cr.empty(2, 2, 2)), "2 dimensions")


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (4, 4)])
def test_orthogonal(shape: tuple[int, ...]) -> None:
    w = init.orthogonal_(cr.empty(shape, dtype=cr.float64), gain=1.5).numpy()
    flat = w.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 2.25 * np.eye(small), atol=1e-12)
    raises_with(ValueError, lambda: init.orthogonal_(cr.empty(3)), "2 or more dimensions")


def test_in_place_on_parameters_seeded_and_generator() -> None:
    p = nn.Parameter(cr.empty(30, 20))
    version = p._version
    out = init.kaiming_uniform_(p)
    assert out is p and p.requires_grad and p.is_leaf and p._version > version
    cr.manual_seed(5)
    a = init.normal_(cr.empty(10)).numpy().copy()
    cr.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(cr.empty(10)).numpy(), a)
    g1, g2 = cr.Generator(7), cr.Generator(7)
    np.testing.assert_array_equal(init.xavier_uniform_(cr.empty(4, 4), generator=g1).numpy(),
                                  init.xavier_uniform_(cr.empty(4, 4), generator=g2).numpy())
    with pytest.warns(UserWarning, match="no-op"):
        init.kaiming_uniform_(cr.empty(0, 3))
    raises_with(TypeError, lambda: init.uniform_([1.0]), "Tensor")
