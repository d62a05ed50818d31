"""Neuron, Layer, MLP: shapes, init, labels, errors, and agreement with micrograd and PyTorch."""

from __future__ import annotations

import random

import pytest
import torch
from micrograd import nn as mg_nn

from chainrule.scalar import Value
from chainrule.scalar.nn import MLP, Layer, Module, Neuron


def test_parameter_count() -> None:
    # (2+1)*16 + (16+1)*16 + (16+1)*1 = 48 + 272 + 17
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(Neuron(5).parameters()) == 6
    assert len(Layer(3, 4).parameters()) == 16
    assert Module().parameters() == []


def test_parameters_are_distinct_and_labelled() -> None:
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len({id(p) for p in params}) == 337
    labels = [p.label for p in params]
    assert len(set(labels)) == 337
    assert labels[:3] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.b"]
    assert "L0.N3.w1" in labels and "L1.N15.w15" in labels and labels[-1] == "L2.N0.b"
    assert model.layers[0].neurons[3].w[1].label == "L0.N3.w1"


def test_bias_starts_at_zero_and_weights_in_range() -> None:
    model = MLP(3, [8, 1])
    for layer in model.layers:
        for n in layer.neurons:
            assert n.b.data == 0.0
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)


def test_last_layer_of_one_neuron_returns_a_value() -> None:
    model = MLP(2, [16, 1, 1])  # micrograd's Layer returned a bare Value here and crashed
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert isinstance(MLP(2, [3, 2])([1.0, 2.0]), list)
    assert len(MLP(2, [3, 2])([1.0, 2.0])) == 2


def test_layer_always_returns_a_list() -> None:
    out = Layer(2, 1)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_reproducible_init_with_random_seed() -> None:
    random.seed(42)
    a = [p.data for p in MLP(2, [4, 1]).parameters()]
    random.seed(42)
    b = [p.data for p in MLP(2, [4, 1]).parameters()]
    random.seed(43)
    c = [p.data for p in MLP(2, [4, 1]).parameters()]
    assert a == b and a != c


def test_reproducible_init_with_rng_and_global_state_untouched() -> None:
    state = random.getstate()
    a = [p.data for p in MLP(2, [4, 1], rng=random.Random(0)).parameters()]
    b = [p.data for p in MLP(2, [4, 1], rng=random.Random(0)).parameters()]
    assert a == b
    assert random.getstate() == state


def test_same_init_forward_and_grads_as_micrograd() -> None:
    random.seed(7)
    ours = MLP(2, [16, 16, 1])
    random.seed(7)
    theirs = mg_nn.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.3, -1.2]
    y, ty = ours(x), theirs(x)
    assert y.data == ty.data  # same summation order: b + w0 x0 + w1 x1 + ...
    y.backward()
    ty.backward()
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-15
    )


def test_repr() -> None:
    model = MLP(2, [2, 1])
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )
    assert repr(Neuron(3, "tanh")) == "TanhNeuron(3)"
    assert repr(Layer(1, 2, "linear")) == "Layer of [LinearNeuron(1), LinearNeuron(1)]"


def test_wrong_input_length() -> None:
    with pytest.raises(ValueError, match=r"^Neuron: expected 2 inputs, got 3$"):
        MLP(2, [4, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Neuron: expected 3 inputs, got 1"):
        Neuron(3)([1.0])


def test_unknown_activation() -> None:
    for make in (lambda: Neuron(2, "gelu"), lambda: Layer(2, 2, "gelu"), lambda: MLP(2, [2], "x")):
        with pytest.raises(ValueError, match=r"unknown activation .* 'relu', 'tanh', 'linear'"):
            make()


def test_activations() -> None:
    n = Neuron(2, "relu")
    n.w[0].data, n.w[1].data, n.b.data = 1.0, -2.0, 0.5
    assert n([1.0, 1.0]).data == 0.0  # relu(-0.5)
    n = Neuron(2, "linear")
    n.w[0].data, n.w[1].data, n.b.data = 1.0, -2.0, 0.5
    assert n([1.0, 1.0]).data == -0.5
    n = Neuron(2, "tanh")
    n.w[0].data, n.w[1].data, n.b.data = 1.0, -2.0, 0.5
    assert n([1.0, 1.0]).data == pytest.approx(-0.46211715726000974, rel=1e-15)


def test_zero_grad() -> None:
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_matches_torch_including_value_inputs(activation: str) -> None:
    model = MLP(3, [5, 4, 2], activation, rng=random.Random(5))
    xs = [Value(0.4), Value(-0.7), Value(1.3)]
    outs = model(xs)
    assert isinstance(outs, list)
    loss = outs[0] * outs[0] + 3 * outs[1]
    loss.backward()

    act = torch.relu if activation == "relu" else torch.tanh
    h = torch.tensor([x.data for x in xs], dtype=torch.float64, requires_grad=True)
    tparams = []
    t = h
    for i, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        W.requires_grad_()
        b.requires_grad_()
        tparams += [W, b]
        t = W @ t + b
        if i < len(model.layers) - 1:
            t = act(t)
    tloss = t[0] * t[0] + 3 * t[1]
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    assert [x.grad for x in xs] == pytest.approx(h.grad.tolist(), rel=1e-9, abs=1e-12)
    ours = [p.grad for p in model.parameters()]
    theirs = []
    for W, b in zip(tparams[::2], tparams[1::2], strict=True):
        for row, bias in zip(W.grad.tolist(), b.grad.tolist(), strict=True):
            theirs += [*row, bias]
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
