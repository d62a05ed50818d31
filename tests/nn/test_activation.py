"""Activations: F.* against torch.nn.functional (value, gradient, second derivative), the
modules' reprs and in-place variants."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812
from hypothesis import given, settings

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import SETTINGS, check_op, raises_with, shapes, values

FEW = settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 3, 5))  # 25 ops x shapes

pytestmark = pytest.mark.torch

# (name, ours, torch's): elementwise, compared over hypothesis shapes and values in [-3, 3]
# plus the kinks (0, +-3, +-1, +-0.5) that the draws may hit
UNARY = [
    ("relu", F.relu, TF.relu),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("leaky_relu_slope", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("elu", F.elu, TF.elu),
    ("elu_alpha", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("selu", F.selu, TF.selu),
    ("celu", lambda x: F.celu(x, 1.3), lambda x: TF.celu(x, 1.3)),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    ("tanh", F.tanh, TF.tanh),
    ("sigmoid", F.sigmoid, TF.sigmoid),
    ("mish", F.mish, TF.mish),
    ("hardtanh", F.hardtanh, TF.hardtanh),
    ("hardtanh_range", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0)),
    ("relu6", lambda x: F.relu6(x * 3), lambda x: TF.relu6(x * 3)),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid),
    ("softsign", F.softsign, TF.softsign),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink),
    ("softshrink", F.softshrink, TF.softshrink),
    ("hardshrink", F.hardshrink, TF.hardshrink),
    ("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: TF.threshold(x, 0.1, -2.0)),
]

NO_DOUBLE_BACKWARD = {"hardsigmoid"}  # torch has none (ours: zero)
KINKS = np.array([0.0, 3.0, -3.0, 1.0, -1.0, 0.5, -0.5, 0.1, 2.0, -2.0])


@pytest.mark.parametrize(("name", "ours", "theirs"), UNARY, ids=[u[0] for u in UNARY])
@FEW
@given(data=shapes().flatmap(values))
def test_unary_matches_torch(name: str, ours: object, theirs: object, data: np.ndarray) -> None:
    check_op(ours, theirs, [data], second_order=name not in NO_DOUBLE_BACKWARD)


@pytest.mark.parametrize(("name", "ours", "theirs"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_at_kinks_and_extremes(name: str, ours: object, theirs: object) -> None:
    check_op(ours, theirs, [KINKS], second_order=name not in NO_DOUBLE_BACKWARD)
    big = np.array([-800.0, -40.0, -21.0, 19.0, 21.0, 40.0, 800.0])
    x = cr.tensor(big, dtype=cr.float64)
    t = torch.tensor(big)
    np.testing.assert_allclose(ours(x).numpy(), theirs(t).numpy(), rtol=1e-12)


def test_float32_keeps_dtype() -> None:
    x = cr.randn(3, 4)
    for _, ours, _ in UNARY:
        assert ours(x).dtype == cr.float32


@FEW
@given(data=shapes(min_dims=1).flatmap(values))
def test_softmax_family(data: np.ndarray) -> None:
    for dim in {0, -1, data.ndim // 2}:
        check_op(lambda x, d=dim: F.softmax(x, d), lambda x, d=dim: TF.softmax(x, d), [data])
        check_op(lambda x, d=dim: F.log_softmax(x, d), lambda x, d=dim: TF.log_softmax(x, d),
                 [data])
        check_op(lambda x, d=dim: F.softmin(x, d), lambda x, d=dim: TF.softmin(x, d), [data])


def test_softmax_implicit_dim_warns_and_picks_torchs_dim() -> None:
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        a = np.random.default_rng(0).standard_normal(shape)
        with pytest.warns(UserWarning, match="Implicit dimension"):
            ours = F.softmax(cr.tensor(a)).numpy()
        with pytest.warns(UserWarning):
            theirs = TF.softmax(torch.tensor(a)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_glu_and_prelu() -> None:
    rng = np.random.default_rng(1)
    check_op(lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1), [rng.standard_normal((3, 4, 2))])
    x = rng.standard_normal((2, 3, 4))
    x[0, 0, 0] = 0.0
    check_op(F.prelu, TF.prelu, [x, rng.standard_normal(3)])
    check_op(F.prelu, TF.prelu, [x, np.array([0.25])])
    raises_with(RuntimeError, lambda: F.glu(cr.randn(3, 5)), "Halving dimension must be even")


def test_hardswish_inside() -> None:
    x = np.array([-2.9, -1.0, 0.0, 0.4, 2.5, -5.0, 5.0])
    check_op(F.hardswish, TF.hardswish, [x])


def test_inplace_variants_write_the_input() -> None:
    for fn, tfn in [(F.relu, TF.relu), (F.leaky_relu, TF.leaky_relu), (F.elu, TF.elu),
                    (F.silu, TF.silu), (F.hardtanh, TF.hardtanh), (F.relu6, TF.relu6)]:
        a = np.random.default_rng(2).standard_normal((3, 4)) * 4
        x = cr.tensor(a)
        out = fn(x, inplace=True)
        assert out is x
        np.testing.assert_allclose(x.numpy(), tfn(torch.tensor(a)).numpy(), rtol=1e-6)
    # in place in a graph: gradients still flow (through the recorded write)
    leaf = cr.tensor([-1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = leaf * 2
    F.relu(y, inplace=True)
    y.sum().backward()
    assert leaf.grad.tolist() == [0.0, 2.0]


def test_gelu_bad_approximate() -> None:
    raises_with(RuntimeError, lambda: F.gelu(cr.randn(2), approximate="exact"), "approximate")


MODULES = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.ELU(), torch.nn.ELU()),
    (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
    (nn.SELU(), torch.nn.SELU()),
    (nn.CELU(0.7), torch.nn.CELU(0.7)),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Softmin(dim=1), torch.nn.Softmin(dim=1)),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(beta=2, threshold=10), torch.nn.Softplus(beta=2, threshold=10)),
    (nn.Mish(), torch.nn.Mish()),
    (nn.Hardtanh(), torch.nn.Hardtanh()),
    (nn.Hardtanh(-2.0, 3.0), torch.nn.Hardtanh(-2.0, 3.0)),
    (nn.ReLU6(), torch.nn.ReLU6()),
    (nn.LogSigmoid(), torch.nn.LogSigmoid()),
    (nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
    (nn.Hardswish(), torch.nn.Hardswish()),
    (nn.Softsign(), torch.nn.Softsign()),
    (nn.Tanhshrink(), torch.nn.Tanhshrink()),
    (nn.Softshrink(), torch.nn.Softshrink()),
    (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
    (nn.Threshold(0.1, 20.0), torch.nn.Threshold(0.1, 20.0)),
    (nn.GLU(), torch.nn.GLU()),
]


@pytest.mark.parametrize(("ours", "theirs"), MODULES, ids=[repr(m[1]) for m in MODULES])
def test_modules_match_torch(ours: nn.Module, theirs: torch.nn.Module) -> None:
    assert repr(ours) == repr(theirs)
    a = np.random.default_rng(3).standard_normal((2, 4, 6)) * 2
    x = cr.tensor(a, dtype=cr.float64, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    if getattr(theirs, "inplace", False):  # in place on a leaf: act on a copy, as a layer does
        y, ty = ours(x * 1), theirs(t * 1)
    else:
        y, ty = ours(x), theirs(t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(4).standard_normal(tuple(ty.shape))
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_prelu_module() -> None:
    ours, theirs = nn.PReLU(3, dtype=cr.float64), torch.nn.PReLU(3).double()
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    np.testing.assert_allclose(ours.weight.detach().numpy(), 0.25)
    a = np.random.default_rng(5).standard_normal((2, 3, 4))
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours(x).sum().backward()
    theirs(t).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)
