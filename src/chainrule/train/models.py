"""The models ``chainrule train`` builds, per data set (MNIST-1D's are the paper's).

Every model maps a batch of inputs to class logits; for ``names`` the input is a block of
character indices and the classes are the next character.
"""

from __future__ import annotations

from collections.abc import Callable

from chainrule import nn
from chainrule.tensor import Tensor

__all__ = ["MODELS", "build_model"]


class MLP(nn.Module):
    """MNIST-1D's MLP: ``h = relu(W1 x); h = h + relu(W2 h); logits = W3 h`` (a residual
    hidden layer)."""

    def __init__(self, inputs: int, classes: int, hidden: int = 100) -> None:
        super().__init__()
        self.linear1 = nn.Linear(inputs, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


class CNN1d(nn.Module):
    """MNIST-1D's CNN: three Conv1d of 25 channels (kernels 5, 3, 3; stride 2; padding 1) with
    ReLU, the 25 x 5 features flattened into Linear(125, classes)."""

    def __init__(self, length: int, classes: int, channels: int = 25) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        for k in (5, 3, 3):
            length = (length + 2 - k) // 2 + 1
        self.linear = nn.Linear(channels * length, classes)

    def forward(self, x: Tensor) -> Tensor:
        h = x.view(-1, 1, x.shape[-1])
        h = self.conv1(h).relu()
        h = self.conv2(h).relu()
        h = self.conv3(h).relu()
        return self.linear(h.view(h.shape[0], -1))


class CNN2d(nn.Module):
    """A small image CNN for 8 x 8 digits: Conv2d(1, 16, 3) and Conv2d(16, 32, 3, stride 2),
    each padded and followed by ReLU, then Linear(32 * 4 * 4, classes)."""

    def __init__(self, side: int, classes: int) -> None:
        super().__init__()
        self.side = side
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.linear = nn.Linear(32 * ((side + 1) // 2) ** 2, classes)

    def forward(self, x: Tensor) -> Tensor:
        h = x.view(-1, 1, self.side, self.side)
        h = self.conv2(self.conv1(h).relu()).relu()
        return self.linear(h.flatten(1))


class GRUClassifier(nn.Module):
    """MNIST-1D's GRU: a bidirectional GRU over the sequence (one feature per step, or
    ``features`` per step), every output flattened into one Linear layer."""

    def __init__(self, steps: int, classes: int, hidden: int = 6, features: int = 1) -> None:
        super().__init__()
        self.features = features
        self.gru = nn.GRU(features, hidden, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(2 * hidden * steps, classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.gru(x.view(x.shape[0], -1, self.features))
        return self.linear(out.reshape(out.shape[0], -1))


class Bigram(nn.Module):
    """The bigram model: a table of next-character logits indexed by the current character."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.table = nn.Embedding(vocab, vocab)

    def forward(self, x: Tensor) -> Tensor:
        return self.table(x[:, -1])


class CharMLP(nn.Module):
    """makemore's MLP: embed each of the ``block`` previous characters, concatenate, a tanh
    hidden layer with BatchNorm, then next-character logits."""

    def __init__(self, vocab: int, block: int, embed: int = 10, hidden: int = 200) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.hidden = nn.Linear(block * embed, hidden, bias=False)
        self.norm = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: Tensor) -> Tensor:
        h = self.embed(x).flatten(1)
        return self.out(self.norm(self.hidden(h)).tanh())


class CharGRU(nn.Module):
    """A GRU language model: embed the previous characters, run a GRU over them, and predict the
    next character from the last hidden state."""

    def __init__(self, vocab: int, embed: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.gru(self.embed(x))
        return self.out(out[:, -1])


# (data set kind, model) -> builder(input shape without batch, classes)
Builder = Callable[[tuple[int, ...], int], nn.Module]
MODELS: dict[str, dict[str, Builder]] = {
    "vector": {
        "linear": lambda shape, k: nn.Linear(shape[0], k),
        "mlp": lambda shape, k: MLP(shape[0], k),
    },
    "sequence": {
        "linear": lambda shape, k: nn.Linear(shape[0], k),
        "mlp": lambda shape, k: MLP(shape[0], k),
        "cnn": lambda shape, k: CNN1d(shape[0], k),
        "gru": lambda shape, k: GRUClassifier(shape[0], k),
    },
    "image": {
        "linear": lambda shape, k: nn.Linear(shape[0], k),
        "mlp": lambda shape, k: MLP(shape[0], k),
        "cnn": lambda shape, k: CNN2d(round(shape[0] ** 0.5), k),
        "gru": lambda shape, k: GRUClassifier(round(shape[0] ** 0.5), k, hidden=32,
                                              features=round(shape[0] ** 0.5)),
    },
    "text": {
        "bigram": lambda shape, k: Bigram(k),
        "mlp": lambda shape, k: CharMLP(k, shape[0]),
        "gru": lambda shape, k: CharGRU(k),
    },
}


def build_model(kind: str, model: str, shape: tuple[int, ...], classes: int) -> nn.Module:
    """The ``model`` for a data set of ``kind`` with inputs of ``shape`` (without the batch)."""
    return MODELS[kind][model](shape, classes)
