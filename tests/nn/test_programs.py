"""PyTorch model code runs on chainrule with only the import changed and gives PyTorch's numbers.

Each program below is one source, run with ``m = torch`` and with ``m = chainrule``: the model is
built in both, torch's float64 weights are loaded into chainrule's by name through
``load_state_dict``, and three steps of training (forward, cross-entropy, backward, an SGD update
written by hand with ``p.data``) must give the same losses, logits, gradients and weights.
Dropout is switched to eval mode inside the models (its random masks cannot agree); everything
else, BatchNorm's batch statistics included, runs in train mode.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule

pytestmark = pytest.mark.torch


def mlp_classifier(m: Any) -> Any:
    nn = m.nn
    return nn.Sequential(
        nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5),
    )


def cnn(m: Any) -> Any:
    nn, F = m.nn, m.nn.functional

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv1d(1, 8, kernel_size=5, padding=2)
            self.bn1 = nn.BatchNorm1d(8)
            self.conv2 = nn.Conv1d(8, 16, kernel_size=3, stride=2)
            self.pool = nn.MaxPool1d(2)
            self.drop = nn.Dropout(0.3)
            self.fc = nn.Linear(16 * 9, 10)

        def forward(self, x: Any) -> Any:
            x = self.pool(F.relu(self.bn1(self.conv1(x))))
            x = F.relu(self.conv2(x))
            x = self.drop(x.flatten(1))
            return self.fc(x)

    net = Net()
    net.drop.eval()
    return net


def gru_classifier(m: Any) -> Any:
    nn = m.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(3, 6, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(12, 4)

        def forward(self, x: Any) -> Any:
            out, _ = self.gru(x)
            return self.head(out[:, -1])

    return Net()


def gpt_block(m: Any) -> Any:
    nn, F = m.nn, m.nn.functional

    class Block(nn.Module):
        def __init__(self, vocab: int = 11, c: int = 16, heads: int = 2, t: int = 8) -> None:
            super().__init__()
            self.heads = heads
            self.tok = nn.Embedding(vocab, c)
            self.pos = nn.Embedding(t, c)
            self.ln1 = nn.LayerNorm(c)
            self.qkv = nn.Linear(c, 3 * c)
            self.proj = nn.Linear(c, c)
            self.ln2 = nn.LayerNorm(c)
            self.mlp = nn.Sequential(nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c))
            self.head = nn.Linear(c, vocab)
            self.register_buffer("mask", m.tril(m.ones(t, t)).view(1, 1, t, t))

        def attention(self, x: Any) -> Any:
            b, t, c = x.shape
            q, k, v = self.qkv(x).split(c, dim=2)
            q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.heads) ** 0.5)
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
            return self.proj(y)

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(m.arange(t))
            x = x + self.attention(self.ln1(x))
            x = x + self.mlp(self.ln2(x))
            return self.head(x)

    return Block()


def _data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if kind == "mlp":
        return rng.standard_normal((16, 20)), rng.integers(0, 5, 16)
    if kind == "cnn":
        return rng.standard_normal((6, 1, 40)), rng.integers(0, 10, 6)
    if kind == "gru":
        return rng.standard_normal((5, 7, 3)), rng.integers(0, 4, 5)
    idx = rng.integers(0, 11, (3, 8))
    return idx, rng.integers(0, 11, (3, 8))


def _train(m: Any, model: Any, x: np.ndarray, y: np.ndarray, kind: str) -> list[dict[str, Any]]:
    """Three SGD steps; what each step saw: loss, logits, gradients, weights after."""
    F = m.nn.functional
    xt = m.tensor(x) if kind == "gpt" else m.tensor(x, dtype=m.float64)
    yt = m.tensor(y)
    record = []
    for _ in range(3):
        model.zero_grad()
        logits = model(xt)
        flat = logits.view(-1, logits.shape[-1])
        loss = F.cross_entropy(flat, yt.view(-1))
        loss.backward()
        with m.no_grad():
            for p in model.parameters():
                p.data -= 0.1 * p.grad
        record.append({
            "loss": loss.item(), "logits": logits.detach().numpy().copy(),
            **{f"grad {n}": p.grad.numpy().copy() for n, p in model.named_parameters()},
            **{f"weight {n}": p.detach().numpy().copy() for n, p in model.named_parameters()},
            **{f"buffer {n}": b.numpy().copy() for n, b in model.named_buffers()},
        })
    return record


@pytest.mark.parametrize(("kind", "build"), [
    ("mlp", mlp_classifier), ("cnn", cnn), ("gru", gru_classifier), ("gpt", gpt_block),
])
def test_pytorch_program_gives_pytorchs_numbers(kind: str, build: Callable[[Any], Any]) -> None:
    torch.manual_seed(0)
    theirs = build(torch).double()
    ours = build(chainrule).double()
    state = {k: chainrule.tensor(v.detach().numpy().copy()) for k, v in
             theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x, y = _data(kind)
    expected = _train(torch, theirs, x, y, kind)
    got = _train(chainrule, ours, x, y, kind)
    for step, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert a.keys() == b.keys()
        for key in b:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-8, atol=1e-10,
                                       err_msg=f"{kind}, step {step}: {key}")
