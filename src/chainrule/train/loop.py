"""The training loop behind ``chainrule train``: batches, steps, validation, checkpoints,
metrics and plots, resumable bit for bit.

The batch of step s depends only on s (its epoch's order is drawn from a generator seeded by the
run's seed and the epoch), so a run resumed from a checkpoint takes the same batches, and with
the model, optimizer and random state restored it reaches the same weights as a run never
stopped.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import chainrule
from chainrule import nn, optim
from chainrule.autograd import no_grad
from chainrule.cli import _isatty
from chainrule.io import _write_atomic
from chainrule.nn import functional as F  # noqa: N812 (PyTorch code's name for it)
from chainrule.tensor import Generator, Tensor, randperm, tensor
from chainrule.train.models import build_model
from chainrule.train.tasks import Task, load_task

__all__ = ["CHECKPOINT", "OPTIMIZERS", "Config", "evaluate", "load_checkpoint", "run",
           "steps_per_epoch"]

OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
              "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
CHECKPOINT = "checkpoint.safetensors"
FORMAT = "chainrule-train/1"
EVAL_BATCH = 4096


@dataclass
class Config:
    """Everything that defines a run (saved in its checkpoints and metrics.json)."""

    dataset: str
    model: str
    optimizer: str
    lr: float
    weight_decay: float
    batch_size: int
    steps: int
    seed: int
    shuffle: bool
    val_fraction: float


def run(config: Config, out: Path, resume: dict[str, Any] | None = None,
        progress: bool = True, plots: bool = True, task: Task | None = None,
        model: nn.Module | None = None) -> dict[str, Any]:
    """Train as ``config`` says (from ``resume``, a loaded checkpoint, if given), writing the
    checkpoint, metrics.json and the plots into ``out``; return the metrics. ``task`` is the
    loaded data set, if the caller has it already; ``model``, if given, is trained from its
    weights as they are instead of a model built and initialised from ``config.seed``."""
    start = time.perf_counter()
    if task is None:
        task = load_task(config.dataset, config.model, config.val_fraction)
    chainrule.manual_seed(config.seed)
    if model is None:
        model = build_model(task.kind, config.model, task.input_shape, len(task.classes))
    opt = OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr,
                                       weight_decay=config.weight_decay)
    n = len(task.train[0])
    per_epoch = steps_per_epoch(task, config.batch_size)
    history: dict[str, list[Any]] = {"loss": [], "accuracy": [], "val": []}
    step, spent = 0, 0.0
    if resume is not None:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        chainrule.set_rng_state(resume["rng"])
        step, spent = int(resume["step"]), float(resume["wall_time_s"])
        history["loss"] = resume["history"]["loss"].tolist()
        history["accuracy"] = resume["history"]["accuracy"].tolist()
        history["val"] = [list(row) for row in resume["history"]["val"]]

    bar = _Progress(config.steps, step, progress)
    val_name = "val" if task.val is not None else "test"
    try:
        while step < config.steps:
            epoch, first = divmod(step, per_epoch)
            order = _epoch_order(n, epoch, config)
            model.train()
            for j in range(first, per_epoch):
                if step == config.steps:
                    break
                idx = order[j * config.batch_size:(j + 1) * config.batch_size]
                loss, acc = _train_step(model, opt, task.train[0][idx], task.train[1][idx])
                step += 1
                history["loss"].append(loss)
                history["accuracy"].append(acc)
                bar.update(step, loss, acc)
            # validation at the end of each epoch, and after the last step
            v_loss, v_acc = evaluate(model, *(task.val or task.test))
            history["val"].append([step, v_loss, v_acc])
            bar.epoch(step, round(step / per_epoch, 2), val_name, v_loss, v_acc)
            save_checkpoint(out / CHECKPOINT, config, model, opt, step,
                            spent + time.perf_counter() - start, history)
    finally:
        bar.close()

    wall = spent + time.perf_counter() - start
    train_loss, train_acc = evaluate(model, *task.train)
    test_loss, test_acc = evaluate(model, *task.test)
    metrics = {
        "train": {"loss": train_loss, "accuracy": train_acc},
        "test": {"loss": test_loss, "accuracy": test_acc},
        "steps": step, "epochs": step / per_epoch, "wall_time_s": wall,
        "validation_on": val_name,
        "validation": [{"step": s, "loss": lo, "accuracy": a} for s, lo, a in history["val"]],
        "parameters": sum(p.numel() for p in model.parameters()),
        "args": asdict(config),
    }
    if task.kind == "text":
        metrics["samples"] = sample_names(model, task, 20, config.seed)
        (out / "samples.txt").write_text("\n".join(metrics["samples"]) + "\n")
    _write_json(out / "metrics.json", metrics)
    if plots:
        _plots(out, task, model, history, val_name, config)
    return metrics


def steps_per_epoch(task: Task, batch_size: int) -> int:
    """Batches in one pass over the training set (the last one may be short)."""
    return math.ceil(len(task.train[0]) / batch_size)


def _epoch_order(n: int, epoch: int, config: Config) -> Tensor:
    """The order of the training examples in ``epoch``: fixed, or a permutation drawn from a
    generator seeded by (seed, epoch)."""
    if not config.shuffle:
        return chainrule.arange(n)
    return randperm(n, generator=Generator(config.seed * 1_000_003 + epoch))


def _train_step(model: nn.Module, opt: optim.Optimizer, x: Tensor,
                y: Tensor) -> tuple[float, float]:
    """One step of gradient descent on cross-entropy; the batch's loss and accuracy."""
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with no_grad():
        acc = (logits.argmax(1) == y).float().mean().item()
    return loss.item(), acc


def evaluate(model: nn.Module, x: Tensor, y: Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (in eval mode) on (x, y)."""
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            logits = model(x[i:i + EVAL_BATCH])
            target = y[i:i + EVAL_BATCH]
            total_loss += F.cross_entropy(logits, target, reduction="sum").item()
            correct += int((logits.argmax(1) == target).sum().item())
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


def confusion_matrix(model: nn.Module, x: Tensor, y: Tensor, classes: int) -> Tensor:
    """counts[i, j]: examples of class i that ``model`` predicts as j."""
    model.eval()
    with no_grad():
        pred = chainrule.cat([model(x[i:i + EVAL_BATCH]).argmax(1)
                              for i in range(0, len(x), EVAL_BATCH)])
    return chainrule.bincount(y * classes + pred, minlength=classes * classes).view(
        classes, classes)


def sample_names(model: nn.Module, task: Task, count: int, seed: int) -> list[str]:
    """``count`` names drawn one character at a time from the model's next-character
    distribution, with a generator seeded by ``seed``."""
    model.eval()
    g = Generator(seed)
    block, chars = task.extra["block"], task.classes
    names = []
    with no_grad():
        for _ in range(count):
            context, word = [0] * block, []
            while len(word) < 30:
                probs = F.softmax(model(tensor([context])), dim=1)
                ix = int(chainrule.multinomial(probs[0], 1, generator=g).item())
                if ix == 0:
                    break
                word.append(chars[ix])
                context = [*context[1:], ix]
            names.append("".join(word))
    return names


# ----- checkpoints ----------------------------------------------------------------------------
def save_checkpoint(path: Path, config: Config, model: nn.Module, opt: optim.Optimizer,
                    step: int, wall: float, history: dict[str, list[Any]]) -> None:
    """Everything a resumed run needs, written atomically by ``chainrule.save``."""
    chainrule.save({
        "format": FORMAT, "config": asdict(config), "step": step, "wall_time_s": wall,
        "model": model.state_dict(), "optimizer": opt.state_dict(),
        "rng": chainrule.get_rng_state(),
        "history": {"loss": tensor(history["loss"], dtype="float64"),
                    "accuracy": tensor(history["accuracy"], dtype="float64"),
                    "val": [tuple(row) for row in history["val"]]},
    }, path)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint written by ``chainrule train``; ValueError naming the file otherwise."""
    ckpt = chainrule.load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a chainrule train checkpoint")
    return ckpt


def _write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON atomically, as checkpoints are written."""
    _write_atomic(str(path), (json.dumps(obj, indent=2) + "\n").encode())


# ----- output ---------------------------------------------------------------------------------
def _plots(out: Path, task: Task, model: nn.Module, history: dict[str, list[Any]],
           val_name: str, config: Config) -> None:
    from chainrule.viz import plot_confusion_matrix, plot_training

    val = history["val"]
    plot_training(history["loss"], out / "loss.png", val_steps=[r[0] for r in val],
                  val_values=[r[1] for r in val], val_label=f"{val_name} loss",
                  ylabel="cross-entropy", title=f"{config.model} on {config.dataset}: loss")
    plot_training(history["accuracy"], out / "accuracy.png", val_steps=[r[0] for r in val],
                  val_values=[r[2] for r in val], val_label=f"{val_name} accuracy",
                  ylabel="accuracy", title=f"{config.model} on {config.dataset}: accuracy")
    counts = confusion_matrix(model, *task.test, len(task.classes))
    plot_confusion_matrix(counts.numpy(), task.classes, out / "confusion.png",
                          title=f"{config.model} on {config.dataset}: test set")


class _Progress:
    """tqdm's bar with loss and accuracy on a terminal; elsewhere at most about twenty plain
    lines, one per validation."""

    def __init__(self, steps: int, done: int, enabled: bool) -> None:
        self.steps, self.enabled, self.bar, self.last_line = steps, enabled, None, -1
        self.width = len(str(steps))
        if enabled and _isatty(sys.stderr):
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                sys.stdout.flush()
                self.bar = tqdm(total=steps, initial=done, unit="step", dynamic_ncols=True)

    def update(self, step: int, loss: float, acc: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.1%}", refresh=False)
            self.bar.update()

    def epoch(self, step: int, epoch: float, split: str, loss: float, acc: float) -> None:
        """Report a validation: every one on a short run, about twenty over a long one."""
        if not self.enabled:
            return
        line_no = step * 20 // self.steps
        if line_no == self.last_line and step != self.steps:
            return
        self.last_line = line_no
        line = (f"step {step:>{self.width}}/{self.steps} (epoch {epoch:g}): "
                f"{split} loss {loss:.4f}, accuracy {acc:.2%}")
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
