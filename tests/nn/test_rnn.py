"""RNN, GRU, LSTM and their cells against torch (float64, weights copied by name through
load_state_dict): outputs, final states, input/state gradients and every parameter gradient;
the functionals' second derivatives (against torch) and gradcheck/gradgradcheck; state dicts,
init, dropout between layers, repr and errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from chainrule.nn.functional import rnn as rnn_f
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch

T, B, I, H = 4, 3, 2, 3  # sequence length, batch, input and hidden size
KINDS = {  # name: (torch class and kwargs, gates)
    "rnn_tanh": (lambda *a, **k: torch.nn.RNN(*a, **k), lambda *a, **k: nn.RNN(*a, **k)),
    "rnn_relu": (lambda *a, **k: torch.nn.RNN(*a, nonlinearity="relu", **k),
                 lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)),
    "gru": (torch.nn.GRU, nn.GRU),
    "lstm": (torch.nn.LSTM, nn.LSTM),
}


def paired(kind: str, *args: int, **kwargs: object) -> tuple[nn.Module, torch.nn.Module]:
    """Torch's layer in float64 and ours holding its weights."""
    theirs = KINDS[kind][0](*args, **kwargs).double()
    ours = KINDS[kind][1](*args, **kwargs, dtype=cr.float64)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _leaves(arrays: list[np.ndarray]) -> tuple[list[cr.Tensor], list[torch.Tensor]]:
    return ([cr.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _close(a: cr.Tensor | None, b: torch.Tensor | None, what: str) -> None:
    assert (a is None) == (b is None), what
    if a is not None:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=what)


def compare(ours: nn.Module, theirs: torch.nn.Module, x: np.ndarray,
            states: list[np.ndarray]) -> None:
    """Outputs, final states, gradients of input, initial states and parameters equal torch's
    for a random upstream gradient on every output."""
    (cx, *chs), (tx, *ths) = _leaves([x, *states])
    lstm = isinstance(theirs, torch.nn.LSTM | torch.nn.LSTMCell)
    hx, thx = (None, None) if not states else (
        (tuple(chs), tuple(ths)) if lstm else (chs[0], ths[0]))
    out, tout = ours(cx, hx), theirs(tx, thx)
    flat = list(out) if isinstance(out, tuple) else [out]
    tflat = list(tout) if isinstance(tout, tuple) else [tout]
    if isinstance(flat[-1], tuple):  # LSTM: (output, (h_n, c_n))
        flat, tflat = [flat[0], *flat[1]], [tflat[0], *tflat[1]]
    assert len(flat) == len(tflat)
    for i, (a, b) in enumerate(zip(flat, tflat, strict=True)):
        _close(a, b, f"output {i}")
    gs = [rand(tuple(b.shape), seed=i + 3) for i, b in enumerate(tflat)]
    cr.autograd.backward(flat, [cr.tensor(g) for g in gs])
    torch.autograd.backward(tflat, [torch.tensor(g) for g in gs])
    _close(cx.grad, tx.grad, "input grad")
    for i, (a, b) in enumerate(zip(chs, ths, strict=True)):
        _close(a.grad, b.grad, f"state {i} grad")
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        _close(p.grad, tparams[name].grad, name)


@pytest.mark.parametrize(("kind", "layers", "bidirectional", "batch_first", "h0"),
                         list(itertools.product(KINDS, (1, 2), (False, True), (False, True),
                                                (False, True))))
def test_layers_match_torch(kind: str, layers: int, bidirectional: bool, batch_first: bool,
                            h0: bool) -> None:
    ours, theirs = paired(kind, I, H, num_layers=layers, bidirectional=bidirectional,
                          batch_first=batch_first)
    x = rand((B, T, I) if batch_first else (T, B, I), seed=1)
    shape = (layers * (2 if bidirectional else 1), B, H)
    states = [rand(shape, seed=2 + i) for i in range(2 if kind == "lstm" else 1)] if h0 else []
    compare(ours, theirs, x, states)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("h0", "batch_first"), [(False, False), (True, False), (True, True)])
def test_unbatched_and_no_bias(kind: str, h0: bool, batch_first: bool) -> None:
    ours, theirs = paired(kind, I, H, num_layers=2, bidirectional=True, bias=False,
                          batch_first=batch_first)
    assert not any("bias" in n for n, _ in ours.named_parameters())
    states = [rand((4, H), seed=2 + i) for i in range(2 if kind == "lstm" else 1)] if h0 else []
    compare(ours, theirs, rand((T, I), seed=1), states)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_sequence_of_one_and_batch_of_one(kind: str) -> None:
    ours, theirs = paired(kind, I, H, batch_first=True)
    compare(ours, theirs, rand((1, 1, I), seed=1), [])
    compare(ours, theirs, rand((2, 1, I), seed=2), [])


CELLS = {
    "rnn_tanh": (torch.nn.RNNCell, nn.RNNCell, {}),
    "rnn_relu": (torch.nn.RNNCell, nn.RNNCell, {"nonlinearity": "relu"}),
    "gru": (torch.nn.GRUCell, nn.GRUCell, {}),
    "lstm": (torch.nn.LSTMCell, nn.LSTMCell, {}),
}


@pytest.mark.parametrize(("kind", "batched", "hx", "bias"),
                         list(itertools.product(CELLS, (True, False), (False, True),
                                                (True, False))))
def test_cells_match_torch(kind: str, batched: bool, hx: bool, bias: bool) -> None:
    tcls, ccls, kw = CELLS[kind]
    theirs = tcls(I, H, bias=bias, **kw).double()
    ours = ccls(I, H, bias=bias, dtype=cr.float64, **kw)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    lead = (B,) if batched else ()
    states = [rand((*lead, H), seed=2 + i) for i in range(2 if kind == "lstm" else 1)] if hx else []
    compare(ours, theirs, rand((*lead, I), seed=1), states)


# ----- second derivatives and numerical checks of the functionals ------------------------------
def _functional_args(kind: str, bidirectional: bool, rng: np.random.Generator
                     ) -> tuple[list[np.ndarray], int]:
    gates = {"gru": 3, "lstm": 4}.get(kind, 1)
    dirs = 2 if bidirectional else 1
    n_states = 2 if kind == "lstm" else 1
    arrays = [rng.standard_normal((3, 2, 2))]
    arrays += [rng.standard_normal((dirs, 2, 2)) for _ in range(n_states)]
    for _ in range(dirs):
        arrays += [rng.standard_normal((gates * 2, 2)), rng.standard_normal((gates * 2, 2)),
                   rng.standard_normal(gates * 2), rng.standard_normal(gates * 2)]
    return arrays, n_states


def _layer_fn(lib: object, kind: str, bidirectional: bool, n_states: int) -> object:
    def f(x: object, *rest: object) -> object:
        states, params = rest[:n_states], list(rest[n_states:])
        hx = tuple(states) if kind == "lstm" else states[0]
        res = getattr(lib, kind)(x, hx, params, True, 1, 0.0, False, bidirectional, False)
        # every result enters the scalar-per-element output
        out = res[0] * 1.5 + res[1].sum(0).sum(-1).unsqueeze(0).unsqueeze(-1)
        return out + res[2].sum() if kind == "lstm" else out

    return f


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_functional_second_derivatives_match_torch(kind: str, bidirectional: bool) -> None:
    arrays, n = _functional_args(kind, bidirectional, np.random.default_rng(0))
    check_op(_layer_fn(F, kind, bidirectional, n), _layer_fn(torch, kind, bidirectional, n),
             arrays)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_rules_in_blocks_of_steps_match_torch(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large layers run their rule in blocks of steps: force blocks of one and two steps."""
    for block in (1, 2 * B * H):
        monkeypatch.setattr(rnn_f, "_BLOCK", block)
        ours, theirs = paired(kind, I, H, num_layers=2, bidirectional=True)
        states = [rand((4, B, H), seed=2 + i) for i in range(2 if kind == "lstm" else 1)]
        compare(ours, theirs, rand((T, B, I), seed=1), states)
        arrays, n = _functional_args(kind, True, np.random.default_rng(0))
        check_op(_layer_fn(F, kind, True, n), _layer_fn(torch, kind, True, n), arrays)


@pytest.mark.parametrize("kind", ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell"])
def test_cell_functionals_match_torch(kind: str) -> None:
    rng = np.random.default_rng(1)
    gates = {"gru_cell": 3, "lstm_cell": 4}.get(kind, 1)
    n = 2 if kind == "lstm_cell" else 1
    arrays = [rng.standard_normal((2, 3))] + [rng.standard_normal((2, 2)) for _ in range(n)]
    arrays += [rng.standard_normal((gates * 2, 3)), rng.standard_normal((gates * 2, 2)),
               rng.standard_normal(gates * 2), rng.standard_normal(gates * 2)]

    def fn(lib: object) -> object:
        def f(x: object, *rest: object) -> object:
            hx = tuple(rest[:n]) if n == 2 else rest[0]
            r = getattr(lib, kind)(x, hx, *rest[n:])
            return r[0] * 2 + r[1] if n == 2 else r
        return f

    check_op(fn(F), fn(torch), arrays)


@pytest.mark.parametrize("kind", ["rnn_tanh", "gru", "lstm"])
def test_gradcheck_and_gradgradcheck(kind: str) -> None:
    arrays, n = _functional_args(kind, False, np.random.default_rng(2))
    arrays[0] = arrays[0][:2]  # two steps: finite differences over every element stay quick
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    f = _layer_fn(F, kind, False, n)
    assert cr.gradcheck(f, xs)
    assert cr.gradgradcheck(f, xs)


# ----- state dicts, init, dropout, repr --------------------------------------------------------
@pytest.mark.parametrize(("kind", "kwargs"), [
    ("gru", {"num_layers": 2, "bidirectional": True}),
    ("lstm", {"num_layers": 3, "bias": False}),
    ("rnn_tanh", {"bidirectional": True, "batch_first": True}),
])
def test_state_dict_layout_and_round_trip(kind: str, kwargs: dict) -> None:
    ours = KINDS[kind][1](I, H, **kwargs)
    theirs = KINDS[kind][0](I, H, **kwargs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert sd[k].dtype == cr.float32 and tsd[k].dtype == torch.float32
    # ours -> torch (through NumPy): equal outputs
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sd.items()})
    x = rand((T, B, I), seed=4).astype(np.float32)
    if kwargs.get("batch_first"):
        x = x.transpose(1, 0, 2).copy()
    out, tout = ours(cr.tensor(x))[0].detach(), theirs(torch.tensor(x))[0]
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_cell_state_dict_layout() -> None:
    for ours, theirs in [(nn.GRUCell(I, H), torch.nn.GRUCell(I, H)),
                         (nn.LSTMCell(I, H, bias=False), torch.nn.LSTMCell(I, H, bias=False)),
                         (nn.RNNCell(I, H), torch.nn.RNNCell(I, H))]:
        sd, tsd = ours.state_dict(), theirs.state_dict()
        assert list(sd) == list(tsd)
        assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM, nn.GRUCell, nn.LSTMCell, nn.RNNCell])
def test_init_is_uniform_within_one_over_sqrt_hidden(cls: type) -> None:
    cr.manual_seed(0)
    layer = cls(4, 16)
    bound = 1 / math.sqrt(16)
    for name, p in layer.named_parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound, name
        assert a.std() > bound / 3, name  # spread over the interval, not a constant
    cr.manual_seed(0)
    again = cls(4, 16)
    for (n, p), (_, q) in zip(layer.named_parameters(), again.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


def test_dropout_between_layers_only_in_training() -> None:
    ours, theirs = paired("gru", I, H, num_layers=2, dropout=0.5)
    x = rand((T, B, I), seed=1)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, x, [])  # eval: no dropout, torch's numbers
    ours.train()

    def run(layer: nn.Module) -> np.ndarray:
        return layer(cr.tensor(x))[0].detach().numpy()

    cr.manual_seed(1)
    a = run(ours)
    cr.manual_seed(1)
    b = run(ours)
    c = run(ours)
    np.testing.assert_array_equal(a, b)  # seeded
    assert not np.allclose(a, c)
    assert not np.allclose(a, run(ours.eval()))
    # the last layer's outputs are not dropped: a one-layer GRU is deterministic in training
    one, _ = paired("gru", I, H)
    np.testing.assert_array_equal(run(one), run(one))


def test_repr_matches_torch() -> None:
    for args, kwargs in [((3, 4), {}), ((3, 4), {"num_layers": 2, "dropout": 0.1}),
                         ((3, 4), {"bias": False, "batch_first": True, "bidirectional": True})]:
        for name in ("RNN", "GRU", "LSTM"):
            assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
                getattr(torch.nn, name)(*args, **kwargs))
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == repr(
        torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"))
    assert repr(nn.LSTMCell(3, 4)) == repr(torch.nn.LSTMCell(3, 4))


def test_modules_move_to_float64() -> None:
    layer = nn.GRU(I, H).double()
    out, h = layer(cr.randn(T, B, I, dtype=cr.float64))
    assert out.dtype == h.dtype == cr.float64


def test_backward_through_a_training_loss_updates_every_weight() -> None:
    layer = nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    head = nn.Linear(2 * H, 2)
    out, (_, c) = layer(cr.randn(B, T, I))
    (head(out).square().mean() + c.square().mean()).backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0, name


# ----- errors ---------------------------------------------------------------------------------
def test_bad_input_names_layer_and_shapes() -> None:
    raises_with(RuntimeError, lambda: nn.GRU(4, 3)(cr.randn(2, 3, 5)), "GRU", "Expected 4",
                "got 5", "(2, 3, 5)")
    raises_with(RuntimeError, lambda: nn.LSTM(4, 3)(cr.randn(2, 5)), "LSTM", "Expected 4",
                "got 5")
    raises_with(ValueError, lambda: nn.RNN(4, 3)(cr.randn(2, 3, 4, 1)), "RNN",
                "2D or 3D", "4D")
    raises_with(RuntimeError, lambda: nn.GRU(4, 3, num_layers=2)(cr.randn(2, 3, 4),
                                                                 cr.randn(2, 2, 3)),
                "GRU", "Expected hidden size (2, 3, 3)", "[2, 2, 3]")
    raises_with(RuntimeError, lambda: nn.LSTM(4, 3)(cr.randn(2, 3, 4),
                                                    (cr.randn(1, 3, 3), cr.randn(1, 2, 3))),
                "LSTM", "Expected hidden[1] size (1, 3, 3)", "[1, 2, 3]")
    raises_with(RuntimeError, lambda: nn.GRU(4, 3)(cr.randn(2, 4), cr.randn(1, 1, 3)),
                "unbatched 2-D", "3-D")
    raises_with(ValueError, lambda: nn.GRU(4, 3)(cr.randn(2, 3, 4, dtype=cr.float64)),
                "GRU", "float64", "float32")
    raises_with(RuntimeError, lambda: nn.GRU(4, 3)(cr.randn(0, 3, 4)),
                "sequence length", "(0, 3, 4)")
    raises_with(RuntimeError, lambda: nn.GRUCell(4, 3)(cr.randn(2, 5)), "GRUCell",
                "Expected 4", "got 5")
    raises_with(ValueError, lambda: nn.GRUCell(4, 3)(cr.randn(1, 2, 4)), "GRUCell",
                "1D or 2D", "3D")
    raises_with(RuntimeError, lambda: nn.GRUCell(4, 3)(cr.randn(2, 4), cr.randn(3, 3)),
                "GRUCell", "(2, 3)", "(3, 3)")
    raises_with(RuntimeError, lambda: nn.LSTMCell(4, 3)(cr.randn(2, 4),
                                                        (cr.randn(2, 3), cr.randn(1, 3))),
                "LSTMCell", "c state", "(2, 3)", "(1, 3)")


def test_bad_construction() -> None:
    raises_with(ValueError, lambda: nn.GRU(4, 3, dropout=1.5), "dropout")
    raises_with(ValueError, lambda: nn.RNN(4, 3, nonlinearity="gelu"), "nonlinearity", "gelu")
    raises_with(ValueError, lambda: nn.LSTM(4, 0), "hidden_size")
    raises_with(ValueError, lambda: nn.LSTM(4, 3, num_layers=0), "num_layers")
    raises_with(TypeError, lambda: nn.GRU(4, 3.0), "hidden_size", "float")
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(4, 3, dropout=0.2)
