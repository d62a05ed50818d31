"""A tiny neural-net library over Values: Neuron, Layer, MLP (micrograd's, without its traps).

A neuron computes act(b + sum_i w_i x_i). The weighted sum is one fused ``linear`` node (one
graph node per neuron instead of 2n), so a training step builds a graph several times smaller
than micrograd's. Weights start at uniform(-1, 1) draws in micrograd's order, biases at 0, so
``random.seed(s)`` gives the same initial network as micrograd's ``MLP`` under the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Union

from chainrule.scalar.value import Value, linear

Operand = Union[Value, int, float]  # noqa: UP007

# activation name -> (method applied to the neuron's sum, repr prefix); None means identity
_ACTIVATIONS: dict[str, tuple[Callable[[Value], Value] | None, str]] = {
    "relu": (Value.relu, "ReLU"),
    "tanh": (Value.tanh, "Tanh"),
    "linear": (None, "Linear"),
}


def _check_activation(activation: str) -> None:
    if activation not in _ACTIVATIONS:
        known = ", ".join(repr(a) for a in _ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; expected one of {known}")


class Module:
    """Anything with parameters: ``parameters()`` lists them, ``zero_grad()`` clears their grads."""

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set p.grad = 0 for every parameter p (leaves accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(b + sum_i w_i x_i), with act one of "relu", "tanh", "linear" (the identity)."""

    def __init__(
        self, nin: int, activation: str = "relu", rng: random.Random | None = None
    ) -> None:
        _check_activation(activation)
        if nin < 0:
            raise ValueError(f"Neuron: number of inputs must be >= 0, got {nin}")
        uniform = (rng if rng is not None else random).uniform
        self.w = [Value(uniform(-1, 1), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.activation = activation
        self._act = _ACTIVATIONS[activation][0]

    def __call__(self, x: Sequence[Operand]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        out = linear(self.w, x, self.b)
        act = self._act
        return out if act is None else act(out)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def _relabel(self, prefix: str) -> None:
        for i, w in enumerate(self.w):
            w.label = f"{prefix}w{i}"
        self.b.label = f"{prefix}b"

    def __repr__(self) -> str:
        return f"{_ACTIVATIONS[self.activation][1]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; calling it returns a list of nout Values.

    Always a list, even for nout == 1 (micrograd returned a bare Value there, which broke the
    next layer of ``MLP(2, [16, 1, 1])``).
    """

    def __init__(
        self, nin: int, nout: int, activation: str = "relu", rng: random.Random | None = None
    ) -> None:
        _check_activation(activation)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]
        for j, n in enumerate(self.neurons):
            n._relabel(f"N{j}.")

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _relabel(self, prefix: str) -> None:
        for j, n in enumerate(self.neurons):
            n._relabel(f"{prefix}N{j}.")

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multilayer perceptron: hidden layers use ``activation``, the last layer is linear.

    ``MLP(nin, [h1, ..., hk, nout])`` has sum over layers of (fan_in + 1) * fan_out parameters,
    labelled "L{layer}.N{neuron}.w{input}" and "L{layer}.N{neuron}.b". Calling it returns a single
    Value when the last layer has one neuron, else the list of outputs.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        rng: random.Random | None = None,
    ) -> None:
        _check_activation(activation)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i != last else "linear", rng)
            for i in range(len(nouts))
        ]
        for i, layer in enumerate(self.layers):
            layer._relabel(f"L{i}.")

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        out: Sequence[Operand] = x
        for layer in self.layers:
            out = layer(out)
        if self.layers and len(self.layers[-1].neurons) == 1:
            return out[0]  # type: ignore[return-value]
        return list(out)  # type: ignore[arg-type]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
