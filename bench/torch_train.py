"""The PyTorch twin of ``chainrule train`` (bench/bench_train.py runs both): the same data (taken
from chainrule's loader as arrays), the same models written in torch.nn, Adam, the same batch
order, validation after each epoch and a checkpoint (torch.save) after each epoch.

    python bench/torch_train.py mnist1d cnn --seed 0 [--steps N] [--out DIR]

Prints one JSON line: wall time of the training loop, final test accuracy, steps.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from chainrule.train.loop import Config
from chainrule.train.tasks import DEFAULTS, load_task


class MLP(nn.Module):
    def __init__(self, inputs: int, classes: int, hidden: int = 100) -> None:
        super().__init__()
        self.linear1 = nn.Linear(inputs, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


class CNN1d(nn.Module):
    def __init__(self, classes: int, channels: int = 25) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(channels * 5, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.view(-1, 1, x.shape[-1])
        h = self.conv3(self.conv2(self.conv1(h).relu()).relu()).relu()
        return self.linear(h.view(h.shape[0], -1))


class GRU(nn.Module):
    def __init__(self, steps: int, classes: int, hidden: int = 6) -> None:
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(2 * hidden * steps, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x.view(x.shape[0], -1, 1))
        return self.linear(out.reshape(out.shape[0], -1))


def build(model: str, inputs: int, classes: int) -> nn.Module:
    return {"linear": lambda: nn.Linear(inputs, classes), "mlp": lambda: MLP(inputs, classes),
            "cnn": lambda: CNN1d(classes), "gru": lambda: GRU(inputs, classes)}[model]()


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    model.train()
    return loss, acc


def train(model: nn.Module, task: Any, config: Config, out: Path | None = None) -> dict:
    """Train ``model`` on ``task`` (chainrule's loaded data set) as ``chainrule train`` does."""
    x, y = (torch.from_numpy(t.numpy().copy()) for t in task.train)
    xv, yv = (torch.from_numpy(t.numpy().copy()) for t in (task.val or task.test))
    xt, yt = (torch.from_numpy(t.numpy().copy()) for t in task.test)
    bs, steps = config.batch_size, config.steps
    per_epoch = math.ceil(len(x) / bs)
    out = out or Path(tempfile.mkdtemp())
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    start = time.perf_counter()
    step = 0
    while step < steps:
        epoch = step // per_epoch
        g = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        order = torch.randperm(len(x), generator=g) if config.shuffle else torch.arange(len(x))
        for j in range(per_epoch):
            if step == steps:
                break
            idx = order[j * bs:(j + 1) * bs]
            xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
            with torch.no_grad():
                (logits.argmax(1) == yb).float().mean().item()
            step += 1
        evaluate(model, xv, yv)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step},
                   out / "checkpoint.pt")
    wall = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, xt, yt)
    return {"wall_time_s": wall, "steps": steps, "test_accuracy": test_acc,
            "test_loss": test_loss}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dataset")
    p.add_argument("model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int)
    p.add_argument("--out")
    args = p.parse_args()
    recipe = DEFAULTS[args.dataset]
    task = load_task(args.dataset, args.model, recipe["val_fraction"])
    per_epoch = math.ceil(len(task.train[0]) / recipe["batch_size"])
    steps = args.steps or recipe.get("steps") or recipe["epochs"] * per_epoch
    config = Config(args.dataset, args.model, "adam", recipe["lr"], 0.0, recipe["batch_size"],
                    steps, args.seed, recipe["shuffle"], recipe["val_fraction"])
    torch.manual_seed(args.seed)
    model = build(args.model, task.train[0].shape[1], len(task.classes))
    print(json.dumps(train(model, task, config, Path(args.out) if args.out else None)))


if __name__ == "__main__":
    main()
