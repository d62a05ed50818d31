"""scaled_dot_product_attention and MultiheadAttention against torch (float64): values,
gradients (and second derivatives for the functional), every mask kind, need_weights and
averaging, batch_first, unbatched input, kdim/vdim, bias_kv, zero_attn; state dicts, init,
repr and errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch


# ----- scaled_dot_product_attention -----------------------------------------------------------
def _sdpa_case(shapes: tuple[tuple[int, ...], ...], **kwargs: object) -> None:
    """check_op (value, gradient, second derivative) with masks passed as constants."""
    mask = kwargs.pop("attn_mask", None)
    cm = None if mask is None else cr.tensor(mask)
    tm = None if mask is None else torch.tensor(mask)
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=cm, **kwargs),
             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=tm, **kwargs),
             [rand(s, seed=i) for i, s in enumerate(shapes)])


SHAPES = [
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2)),  # L != S, value width != query width
    ((4, 5), (4, 5), (4, 5)),  # no batch dims
    ((1, 1, 1, 3), (1, 1, 1, 3), (1, 1, 1, 1)),  # size-1 everywhere
    ((2, 4, 3), (1, 5, 3), (1, 5, 2)),  # broadcast batch dims
]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}])
def test_sdpa_matches_torch(shapes: tuple, kwargs: dict) -> None:
    _sdpa_case(shapes, **kwargs)


def test_sdpa_masks_match_torch() -> None:
    shapes = SHAPES[0]
    rng = np.random.default_rng(3)
    keep = rng.random((4, 6)) > 0.4
    keep[2] = False  # a query that sees no key: zeros and zero gradient, as torch
    _sdpa_case(shapes, attn_mask=keep)
    _sdpa_case(shapes, attn_mask=keep[None, None, 1:2])  # broadcast (1, 1, 1, S)
    bias = rng.standard_normal((4, 6))
    _sdpa_case(shapes, attn_mask=bias)
    bias[1] = -np.inf
    bias[3, :2] = -np.inf
    _sdpa_case(shapes, attn_mask=bias)


def test_sdpa_float_mask_gets_a_gradient() -> None:
    q, k, v = SHAPES[0]
    check_op(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m),
             lambda a, b, c, m: TF.scaled_dot_product_attention(a, b, c, attn_mask=m),
             [rand(q, 0), rand(k, 1), rand(v, 2), rand((4, 6), 3)])


def test_sdpa_grouped_query_heads() -> None:
    _sdpa_case(((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3)), enable_gqa=True)


def test_sdpa_dropout() -> None:
    q, k, v = (cr.tensor(rand(s, seed=i)) for i, s in enumerate(SHAPES[0]))
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)
    cr.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    cr.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, F.scaled_dot_product_attention(q, k, v).numpy())


def test_sdpa_errors() -> None:
    q, k, v = (cr.tensor(rand(s, seed=i)) for i, s in enumerate(SHAPES[0]))
    m = cr.ones(4, 6, dtype=cr.bool)
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=m,
                                                                     is_causal=True),
                "attn_mask", "is_causal")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k.float(), v), "dtype",
                "float32")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k, v[:, :, :5]),
                "(2, 3, 6, 5)", "(2, 3, 5, 2)")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k[..., :4], v),
                "(2, 3, 4, 5)", "(2, 3, 6, 4)")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=cr.ones(
        5, 6, dtype=cr.bool)), "attn_mask", "(5, 6)")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=cr.ones(
        4, 6, dtype=cr.int64)), "attn_mask", "int64")
    raises_with(RuntimeError, lambda: F.scaled_dot_product_attention(q[0, 0, 0], k[0, 0, 0],
                                                                     v[0, 0, 0]), "2-D")


# ----- MultiheadAttention ---------------------------------------------------------------------
E, HEADS, L, S, N = 8, 2, 3, 4, 2


def paired(**kwargs: object) -> tuple[nn.MultiheadAttention, torch.nn.MultiheadAttention]:
    theirs = torch.nn.MultiheadAttention(E, HEADS, **kwargs).double()
    ours = nn.MultiheadAttention(E, HEADS, dtype=cr.float64, **kwargs)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def compare(ours: nn.Module, theirs: torch.nn.Module, arrays: list[np.ndarray], same: str,
            masks: dict[str, np.ndarray], **kwargs: object) -> None:
    """Output and weights, and the gradients of inputs and parameters, equal torch's.
    ``same``: 'qkv' self-attention (one tensor), 'kv' key is value, '' three tensors."""
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    args = {"qkv": lambda t: (t[0], t[0], t[0]), "kv": lambda t: (t[0], t[1], t[1]),
            "": lambda t: tuple(t)}[same]
    out, w = ours(*args(xs), **{k: cr.tensor(m) for k, m in masks.items()}, **kwargs)
    tout, tw = theirs(*args(ts), **{k: torch.tensor(m) for k, m in masks.items()}, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-8,
                               atol=1e-12)
    assert (w is None) == (tw is None)
    loss, tloss = (out * cr.tensor(rand(tuple(tout.shape), 5))).sum(), (
        tout * torch.tensor(rand(tuple(tout.shape), 5))).sum()
    if tw is not None:
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-8,
                                   atol=1e-12)
        loss = loss + (w * cr.tensor(rand(tuple(tw.shape), 6))).sum()
        tloss = tloss + (tw * torch.tensor(rand(tuple(tw.shape), 6))).sum()
    loss.backward()
    tloss.backward()
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


CAUSAL = np.triu(np.full((L, L), -np.inf), 1)
MASKS = {  # name: (masks, forward kwargs); self-attention, so S = L
    "none": ({}, {}),
    "causal": ({"attn_mask": CAUSAL}, {"is_causal": True}),
    "bool": ({"attn_mask": np.triu(np.ones((L, L), bool), 1)}, {}),
    "float": ({"attn_mask": rand((L, L), 9)}, {}),
    "per-head": ({"attn_mask": rand((N * HEADS, L, L), 9)}, {}),
    "padding": ({"key_padding_mask": np.array([[False, False, True], [False, True, True]])}, {}),
    "padding+causal": ({"key_padding_mask": np.array([[0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]]),
                        "attn_mask": CAUSAL}, {}),
}


@pytest.mark.parametrize(("mask", "batch_first", "need_weights", "average"),
                         [(m, bf, *w) for m, bf, w in itertools.product(
                             MASKS, (False, True), ((True, True), (True, False), (False, True)))])
def test_self_attention_matches_torch(mask: str, batch_first: bool, need_weights: bool,
                                      average: bool) -> None:
    ours, theirs = paired(batch_first=batch_first)
    masks, kwargs = MASKS[mask]
    x = rand((N, L, E) if batch_first else (L, N, E), 1)
    compare(ours, theirs, [x], "qkv", masks, need_weights=need_weights,
            average_attn_weights=average, **kwargs)


@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched_input(need_weights: bool) -> None:
    ours, theirs = paired()
    compare(ours, theirs, [rand((L, E), 1)], "qkv",
            {"key_padding_mask": np.array([False, True, False])}, need_weights=need_weights)
    compare(ours, theirs, [rand((L, E), 1), rand((S, E), 2)], "kv", {},
            need_weights=need_weights)


@pytest.mark.parametrize(("kwargs", "same"), [
    ({}, "kv"), ({}, ""), ({"bias": False}, ""), ({"kdim": 5, "vdim": 6}, ""),
    ({"add_bias_kv": True}, "kv"), ({"add_zero_attn": True}, ""),
    ({"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, ""),
])
@pytest.mark.parametrize("need_weights", [True, False])
def test_cross_attention_and_options(kwargs: dict, same: str, need_weights: bool) -> None:
    ours, theirs = paired(**kwargs)
    kd, vd = kwargs.get("kdim", E), kwargs.get("vdim", E)
    lead = (N,) if kwargs.get("batch_first") else ()
    shape = (lambda n, e: (N, n, e)) if lead else (lambda n, e: (n, N, e))
    arrays = [rand(shape(L, E), 1), rand(shape(S, kd), 2), rand(shape(S, vd), 3)]
    if same == "kv":
        arrays = arrays[:2]
    padding = np.array([[False, False, True, False], [True, False, False, False]])
    compare(ours, theirs, arrays, same, {"key_padding_mask": padding},
            need_weights=need_weights)


def test_dropout_only_in_training() -> None:
    ours, theirs = paired(dropout=0.5)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, [rand((L, N, E), 1)], "qkv", {})
    ours.train()
    x = cr.tensor(rand((L, N, E), 1))
    cr.manual_seed(0)
    a = ours(x, x, x)[0].detach().numpy()
    cr.manual_seed(0)
    b = ours(x, x, x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, ours.eval()(x, x, x)[0].detach().numpy())


@pytest.mark.parametrize("kwargs", [{}, {"kdim": 5, "vdim": 6, "add_bias_kv": True},
                                    {"bias": False}])
def test_state_dict_init_and_repr(kwargs: dict) -> None:
    ours = nn.MultiheadAttention(16, 4, **kwargs)
    theirs = torch.nn.MultiheadAttention(16, 4, **kwargs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert sd[k].dtype == cr.float32
    assert repr(ours) == repr(theirs)
    if kwargs.get("bias", True):
        assert np.all(ours.in_proj_bias.detach().numpy() == 0)
        assert np.all(ours.out_proj.bias.detach().numpy() == 0)
    w = ours.in_proj_weight if "kdim" not in kwargs else ours.k_proj_weight
    fan_out, fan_in = w.shape
    bound = math.sqrt(6 / (fan_in + fan_out))  # xavier_uniform_
    assert np.abs(w.detach().numpy()).max() <= bound
    assert w.detach().numpy().std() > bound / 3
    assert isinstance(ours.out_proj, nn.Linear)


def test_errors_name_the_layer_and_shapes() -> None:
    layer = nn.MultiheadAttention(8, 2)
    x = cr.randn(3, 2, 8)
    raises_with(AssertionError, lambda: layer(cr.randn(3, 2, 6), x, x), "MultiheadAttention",
                "query", "(L, N, 8)", "(3, 2, 6)")
    raises_with(AssertionError, lambda: layer(x, x, cr.randn(3, 2, 8, 1)), "MultiheadAttention",
                "value", "(3, 2, 8, 1)")
    raises_with(RuntimeError, lambda: layer(x, x, x, is_causal=True), "attn_mask", "is_causal")
    raises_with(RuntimeError, lambda: layer(x, x, x, attn_mask=cr.zeros(3, 4)),
                "2D attn_mask", "(3, 4)", "(3, 3)")
    raises_with(AssertionError, lambda: layer(x, x, x, key_padding_mask=cr.zeros(2, 4)),
                "key_padding_mask", "(2, 3)", "(2, 4)")
    raises_with(AssertionError, lambda: nn.MultiheadAttention(8, 3), "divisible", "8", "3")
    raises_with(ValueError, lambda: nn.MultiheadAttention(0, 2), "embed_dim")
