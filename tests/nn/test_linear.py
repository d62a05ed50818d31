"""Linear, Bilinear, Identity, Embedding, Dropout, Flatten/Unflatten and their functionals
against torch (float64, weights copied by name): outputs, input and parameter gradients,
second derivatives of the functionals, state dicts, init bounds, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import SETTINGS, check_op, raises_with, rand

pytestmark = pytest.mark.torch


def paired(ours: nn.Module, theirs: torch.nn.Module) -> tuple[nn.Module, torch.nn.Module]:
    """Both float64, ours holding torch's weights (loaded by name through numpy)."""
    theirs = theirs.double()
    ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def compare(ours: nn.Module, theirs: torch.nn.Module, *arrays: np.ndarray,
            rtol: float = 1e-8) -> None:
    """Outputs, input gradients and parameter gradients equal torch's."""
    xs = [cr.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol,
                               atol=1e-12)
    g = rand(tuple(tout.shape), seed=7)
    out.backward(cr.tensor(g))
    tout.backward(torch.tensor(g))
    for x, t in zip(xs, ts, strict=True):
        if t.requires_grad:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=rtol,
                                   atol=1e-12, err_msg=name)


def same_state_dict_layout(ours: nn.Module, theirs: torch.nn.Module) -> None:
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape)
        assert str(sd[k].dtype).split(".")[1] == str(tsd[k].dtype).split(".")[1]


# ----- Linear ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4), (1, 1, 4)])
def test_linear_matches_torch(bias: bool, shape: tuple[int, ...]) -> None:
    ours, theirs = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    compare(*paired(ours, theirs), rand(shape))


def test_linear_dtype_and_default_dtype() -> None:
    assert nn.Linear(2, 3).weight.dtype == cr.float32
    assert nn.Linear(2, 3, dtype=cr.float64).bias.dtype == cr.float64
    assert nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)
    assert nn.Linear(2, 3).weight.requires_grad


def test_linear_init_bounds() -> None:
    cr.manual_seed(0)
    m = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), ...)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    cr.manual_seed(0)
    again = nn.Linear(50, 400)
    np.testing.assert_array_equal(again.weight.detach().numpy(), w)  # seeded


def test_linear_wrong_input_names_layer_and_shapes() -> None:
    m = nn.Linear(4, 3)
    raises_with(RuntimeError, lambda: m(cr.randn(2, 5)), "Linear", "4", "(2, 5)")
    raises_with(RuntimeError, lambda: F.linear(cr.randn(2, 5), cr.randn(3, 4)), "linear",
                "(2, 5)", "(3, 4)")
    raises_with(RuntimeError, lambda: m(cr.randn(2, 4, dtype=cr.float64)), "dtype")
    raises_with(TypeError, lambda: F.linear([1.0], cr.randn(3, 4)), "linear", "Tensor")


@SETTINGS
@given(lead=st.lists(st.integers(0, 3), max_size=2), n_in=st.integers(1, 4),
       n_out=st.integers(1, 3), bias=st.booleans())
def test_functional_linear_second_order(lead: list[int], n_in: int, n_out: int,
                                        bias: bool) -> None:
    arrays = [rand((*lead, n_in), 1), rand((n_out, n_in), 2)] + ([rand((n_out,), 3)] if bias
                                                                  else [])
    check_op(F.linear, TF.linear, arrays)


def test_functional_linear_one_dim_weight_and_scalar_bias() -> None:
    check_op(F.linear, TF.linear, [rand((3, 4)), rand((4,))])
    check_op(F.linear, TF.linear, [rand((3, 4)), rand((2, 4)), rand(())])


def test_functional_linear_with_no_input_or_output_features_matches_torch() -> None:
    # empty rows and columns: zero-sized gradients, and the bias's gradient from empty rows
    for x, w, b in [((5, 3), (0, 3), (0,)), ((5, 0), (4, 0), (4,)), ((2, 0, 3), (4, 3), (4,))]:
        check_op(F.linear, TF.linear, [rand(x, 1), rand(w, 2), rand(b, 3)])


def test_linear_grad_only_of_what_requires_it() -> None:
    w = nn.Parameter(cr.randn(3, 4, dtype=cr.float64))
    x = cr.randn(2, 4, dtype=cr.float64)
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad is not None
    frozen = cr.randn(3, 4, dtype=cr.float64)
    xg = cr.randn(2, 4, dtype=cr.float64, requires_grad=True)
    F.linear(xg, frozen).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), np.tile(frozen.numpy().sum(0), (2, 1)))


# ----- Bilinear, Identity -------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias: bool) -> None:
    ours, theirs = nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    compare(*paired(ours, theirs), rand((5, 3), 1), rand((5, 2), 2))
    ours, theirs = paired(nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias))
    compare(ours, theirs, rand((2, 5, 3), 1), rand((2, 5, 2), 2))
    check_op(F.bilinear, TF.bilinear, [rand((4, 3), 1), rand((4, 2), 2), rand((5, 3, 2), 3)]
             + ([rand((5,), 4)] if bias else []))
    cr.manual_seed(0)
    w = nn.Bilinear(9, 2, 50).weight.detach().numpy()
    assert np.abs(w).max() <= 1 / 3 and np.abs(w).max() > 0.95 / 3
    raises_with(RuntimeError, lambda: nn.Bilinear(3, 2, 4)(cr.randn(5, 3), cr.randn(5, 3)),
                "bilinear", "in2_features 2")


def test_identity() -> None:
    x = cr.randn(2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


# ----- Embedding ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True},
                                    {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}])
def test_embedding_matches_torch(kwargs: dict) -> None:
    ours, theirs = nn.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    same_state_dict_layout(ours, theirs)
    if "padding_idx" in kwargs:
        assert float(ours.weight[ours.padding_idx].abs().sum()) == 0
    idx = np.array([[1, 2, 3, 9], [2, 2, 0, 9]])
    compare(*paired(ours, theirs), idx)
    if "max_norm" in kwargs:  # the looked-up rows were renormalised in place, as torch's
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                   rtol=1e-12)


def test_embedding_functional_second_order_and_shapes() -> None:
    idx = np.array([[0, 3], [3, 1], [2, 2]])

    def ours(w: cr.Tensor) -> cr.Tensor:
        return F.embedding(cr.tensor(idx), w) ** 2

    def theirs(w: torch.Tensor) -> torch.Tensor:
        return TF.embedding(torch.tensor(idx), w) ** 2

    check_op(ours, theirs, [rand((4, 5))])
    assert F.embedding(cr.tensor(3), cr.randn(4, 5)).shape == (5,)
    assert F.embedding(cr.tensor(np.zeros((0, 2), dtype=np.int64)), cr.randn(4, 5)).shape == \
        (0, 2, 5)


def test_embedding_from_pretrained_and_errors() -> None:
    table = cr.randn(4, 3)
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad
    assert np.shares_memory(e.weight.detach().numpy(), table.numpy())
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    raises_with(IndexError, lambda: e(cr.tensor([4])), "index out of range")
    raises_with(RuntimeError, lambda: e(cr.tensor([1.0])), "Long, Int")
    raises_with(AssertionError, lambda: nn.Embedding(3, 2, padding_idx=3), "Padding_idx")
    raises_with(AssertionError, lambda: nn.Embedding.from_pretrained(cr.randn(3)), "2-dim")
    cr.manual_seed(0)
    w = nn.Embedding(200, 50).weight.detach().numpy()
    assert abs(w.std() - 1) < 0.03 and abs(w.mean()) < 0.03  # N(0, 1)


# ----- Dropout ------------------------------------------------------------------------------------
def test_dropout_scaling_seed_and_modes() -> None:
    m = nn.Dropout(0.25)
    assert repr(m) == repr(torch.nn.Dropout(0.25))
    x = cr.ones(20000, dtype=cr.float64, requires_grad=True)
    cr.manual_seed(3)
    y = m(x)
    kept = y.detach().numpy() != 0
    assert set(np.unique(y.detach().numpy())) == {0.0, 1 / 0.75}
    assert abs(kept.mean() - 0.75) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # the same mask
    cr.manual_seed(3)
    np.testing.assert_array_equal(m(x).detach().numpy(), y.detach().numpy())
    m.eval()
    assert m(x) is x
    m.train()
    assert F.dropout(x, 0.0) is x
    z = F.dropout(x, 1.0)
    assert float(z.abs().sum()) == 0 and z.requires_grad
    assert F.dropout(x, 0.5, training=False) is x
    raises_with(ValueError, lambda: nn.Dropout(1.5), "between 0 and 1, but got 1.5")
    raises_with(ValueError, lambda: F.dropout(x, -0.1), "between 0 and 1")
    assert F.dropout(cr.ones(3, dtype=cr.float32), 0.5).dtype == cr.float32


def test_dropout_inplace_and_channelwise() -> None:
    x = cr.ones(4, 6, 5)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
    cr.manual_seed(1)
    y = nn.Dropout1d(0.5)(cr.ones(8, 16, 5)).numpy()
    assert (y == y[:, :, :1]).all()  # whole channels
    assert 0 < (y == 0).mean() < 1
    y2 = nn.Dropout2d(0.5)(cr.ones(3, 16, 2, 2)).numpy()
    assert (y2 == y2[:, :, :1, :1]).all()
    assert nn.Dropout1d(0.5)(cr.ones(16, 5)).shape == (16, 5)
    raises_with(RuntimeError, lambda: F.dropout1d(cr.ones(2, 3, 4, 5)), "Expected 2D or 3D")
    assert repr(nn.Dropout2d(0.3)) == repr(torch.nn.Dropout2d(0.3))


def test_alpha_dropout_keeps_mean_and_variance() -> None:
    cr.manual_seed(0)
    x = cr.randn(200000, dtype=cr.float64)
    y = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False in the functional
    assert nn.AlphaDropout(0.3).eval()(x) is x


# ----- Flatten ----------------------------------------------------------------------------------
def test_flatten_unflatten() -> None:
    a = rand((2, 3, 4, 5))
    for ours, theirs in [(nn.Flatten(), torch.nn.Flatten()), (nn.Flatten(0, 2),
                                                               torch.nn.Flatten(0, 2)),
                         (nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1))),
                         (nn.Unflatten(-1, [5, -1]), torch.nn.Unflatten(-1, [5, -1]))]:
        assert repr(ours) == repr(theirs)
        compare(ours, theirs, a)
    raises_with(TypeError, lambda: nn.Unflatten(1, 3), "tuple of ints")


# ----- other functionals ----------------------------------------------------------------------
@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(p: float, dim: int) -> None:
    a = rand((3, 4))
    check_op(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), [a])
    a[1] = 0.0  # a zero vector: the eps floor (first order: the norm's second derivative at 0
    # is nan in torch and 0 in chainrule)
    check_op(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), [a],
             second_order=False)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((2, 3, 4), (3, 4))])
def test_cosine_similarity_and_pairwise_distance(shapes: tuple) -> None:
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    for dim in (1, -1):
        check_op(lambda x, y, d=dim: F.cosine_similarity(x, y, d),
                 lambda x, y, d=dim: TF.cosine_similarity(x, y, d), [a, b])
    check_op(F.pairwise_distance, TF.pairwise_distance, [a, b])
    check_op(lambda x, y: F.pairwise_distance(x, y, 1.0, keepdim=True),
             lambda x, y: TF.pairwise_distance(x, y, 1.0, keepdim=True), [a, b])
    zero = np.zeros(shapes[0])  # a zero vector: the norm floor in value only (first order:
    # chainrule's norm rule has a nan second derivative at 0 where torch's has 0)
    check_op(F.cosine_similarity, TF.cosine_similarity, [zero, b], second_order=False)


@pytest.mark.parametrize(("mode", "pad"), [("constant", (1, 2)), ("constant", (1, 0, 2, 1)),
                                           ("reflect", (2, 1)), ("reflect", (1, 2, 2, 1)),
                                           ("replicate", (3, 1, 0, 2)), ("circular", (2, 1)),
                                           ("circular", (1, 1, 2, 0)), ("constant", (-1, 2)),
                                           ("replicate", (1, 2))])
def test_pad_matches_torch(mode: str, pad: tuple) -> None:
    # torch pads n pairs in the other modes only for inputs of n + 1 or n + 2 dims
    a = rand((2, 3, 4, 5) if len(pad) == 4 or mode == "constant" else (2, 4, 5))
    check_op(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), [a])
    if mode == "constant":
        check_op(lambda x: F.pad(x, pad, value=2.5), lambda x: TF.pad(x, pad, value=2.5), [a])


def test_one_hot_matches_torch() -> None:
    idx = np.array([[0, 3], [2, 1]])
    for n in (-1, 6):
        ours, theirs = F.one_hot(cr.tensor(idx), n), TF.one_hot(torch.tensor(idx), n)
        assert ours.dtype == cr.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
