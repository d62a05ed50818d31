"""The data sets ``chainrule train`` knows: their splits as tensors, and their default recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainrule import data
from chainrule.tensor import Generator, Tensor, randperm, tensor

__all__ = ["DEFAULTS", "TASKS", "Task", "load_task"]

# The default recipe per data set. MNIST-1D's is the paper's: Adam, lr 1e-2, batch 100, 6000
# steps, batches in order from the fixed training set, accuracy measured on the test set.
DEFAULTS: dict[str, dict[str, Any]] = {
    "moons": {"model": "mlp", "optimizer": "adam", "lr": 1e-2, "batch_size": 32, "epochs": 20,
              "shuffle": True, "val_fraction": 0.1},
    "digits": {"model": "mlp", "optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 40,
               "shuffle": True, "val_fraction": 0.1},
    "mnist1d": {"model": "mlp", "optimizer": "adam", "lr": 1e-2, "batch_size": 100,
                "steps": 6000, "shuffle": False, "val_fraction": 0.0},
    "names": {"model": "mlp", "optimizer": "adam", "lr": 1e-2, "batch_size": 64, "steps": 4000,
              "shuffle": True, "val_fraction": 0.1},
}
TASKS = tuple(DEFAULTS)
KIND = {"moons": "vector", "digits": "image", "mnist1d": "sequence", "names": "text"}
BLOCK = {"bigram": 1, "mlp": 3, "gru": 8}  # characters of context per names model
SPLIT_SEED = 0  # validation splits and the names split do not move with --seed


@dataclass
class Task:
    """A data set ready to train on: (x, y) tensors per split and what the classes are called."""

    name: str
    kind: str
    train: tuple[Tensor, Tensor]
    val: tuple[Tensor, Tensor] | None  # None: validation is on the test set (MNIST-1D's recipe)
    test: tuple[Tensor, Tensor]
    classes: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train[0].shape[1:])


def load_task(name: str, model: str, val_fraction: float) -> Task:
    """Load data set ``name`` (inputs shaped for ``model``), with ``val_fraction`` of the
    training set held out for validation (0: validate on the test set)."""
    if name == "names":
        return _names_task(BLOCK[model], val_fraction)
    splits = {"moons": data.moons, "digits": data.digits, "mnist1d": data.mnist1d}[name]()
    train = splits.train.tensors
    val = None
    if val_fraction > 0:
        n = len(train[0])
        order = randperm(n, generator=Generator(SPLIT_SEED))
        k = max(1, round(n * val_fraction))
        held, kept = order[:k], order[k:]
        val = (train[0][held], train[1][held])
        train = (train[0][kept], train[1][kept])
    return Task(name, KIND[name], (train[0], train[1]), val, splits.test.tensors,
                tuple(splits.classes))


def _names_task(block: int, val_fraction: float) -> Task:
    """Next-character prediction on first names: each name, framed by '.', gives one example
    per character, whose input is the ``block`` characters before it ('.'-padded)."""
    words = data.names()
    chars = "." + "".join(sorted(set("".join(words))))
    index = {c: i for i, c in enumerate(chars)}
    order = randperm(len(words), generator=Generator(SPLIT_SEED)).tolist()
    words = [words[i] for i in order]
    n_test = round(0.1 * len(words))
    n_val = round(val_fraction * len(words))
    test, val, train = (words[:n_test], words[n_test:n_test + n_val],
                        words[n_test + n_val:])

    def examples(group: list[str]) -> tuple[Tensor, Tensor]:
        xs, ys = [], []
        for w in group:
            context = [0] * block
            for c in w + ".":
                xs.append(list(context))
                ys.append(index[c])
                context = [*context[1:], index[c]]
        return (tensor(xs, dtype="int64").view(-1, block), tensor(ys, dtype="int64"))

    return Task("names", "text", examples(train), examples(val) if val else None,
                examples(test), tuple(chars), {"block": block, "words": set(train)})
