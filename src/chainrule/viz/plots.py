"""Training plots with matplotlib: a 2-d decision boundary and a loss curve.

Figures are built with ``matplotlib.figure.Figure`` and written by the Agg renderer, never through
pyplot, so plotting needs no display, opens no window and leaves pyplot's global backend as the
user set it. Files are written atomically: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule._extras import install_hint

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new_figure(figsize: tuple[float, float]) -> Figure:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"chainrule plots need matplotlib: {install_hint('viz', 'matplotlib')}"
        ) from None
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)  # the Agg renderer, whatever pyplot's backend is
    return fig


def _save_atomic(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    # os.open with mode 0o666 honours the umask (mkstemp would leave the file 0600)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format=fmt)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    path: str | Path,
    title: str = "Decision boundary",
    resolution: int = 100,
) -> Path:
    """Shade where ``predict(points) > 0`` over the plane around the 2-d points ``X``; save it.

    ``predict`` maps an (N, 2) array to N scores; ``y`` holds the labels (the sign, or 0/1, picks
    the colour); ``resolution`` is the number of grid points along each axis. Returns ``path``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(y)} labels")
    if resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be >= 2, got {resolution}")
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    scores = np.asarray(predict(grid), dtype=float).reshape(xx.shape)

    fig = _new_figure((6.0, 5.0))
    ax = fig.add_subplot()
    ax.contourf(xx, yy, (scores > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=["#f4c2c2", "#b7d7f0"])
    if scores.min() < 0 < scores.max():
        ax.contour(xx, yy, scores, levels=[0.0], colors="k", linewidths=1.0)
    positive = y > 0
    ax.scatter(X[~positive, 0], X[~positive, 1], c="#c0392b", s=25, edgecolors="k",
               linewidths=0.5, label="negative")
    ax.scatter(X[positive, 0], X[positive, 1], c="#2471a3", s=25, edgecolors="k",
               linewidths=0.5, label="positive")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return _save_atomic(fig, path)


def plot_loss(
    history: Sequence[float],
    path: str | Path,
    accuracy: Sequence[float] | None = None,
    title: str = "Training",
    xlabel: str = "step",
) -> Path:
    """Plot the loss per step (and the accuracy on a second axis, if given); save it.

    Returns ``path``.
    """
    loss = np.asarray(history, dtype=float)
    if accuracy is not None and len(accuracy) != len(loss):
        raise ValueError(
            f"plot_loss: {len(loss)} loss values but {len(accuracy)} accuracy values"
        )
    steps = np.arange(len(loss))
    fig = _new_figure((6.5, 4.0))
    ax = fig.add_subplot()
    ax.plot(steps, loss, color="#c0392b", label="loss")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss", color="#c0392b")
    if len(loss) and np.all(loss > 0) and loss.max() / loss.min() > 50:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    lines = ax.get_lines()
    if accuracy is not None:
        acc_ax = ax.twinx()
        acc_ax.plot(steps, np.asarray(accuracy, dtype=float), color="#2471a3", label="accuracy")
        acc_ax.set_ylabel("accuracy", color="#2471a3")
        acc_ax.set_ylim(0.0, 1.05)
        lines += acc_ax.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    ax.set_title(title)
    fig.tight_layout()
    return _save_atomic(fig, path)


def plot_training(
    values: Sequence[float],
    path: str | Path,
    val_steps: Sequence[int] = (),
    val_values: Sequence[float] = (),
    val_label: str = "validation",
    ylabel: str = "loss",
    title: str = "Training",
) -> Path:
    """A per-step training curve (raw, faint, and its moving average over ~1% of the steps) with
    validation values at their steps as markers; save it. Returns ``path``."""
    y = np.asarray(values, dtype=float)
    if len(val_steps) != len(val_values):
        raise ValueError(f"plot_training: {len(val_steps)} validation steps but "
                         f"{len(val_values)} validation values")
    steps = np.arange(1, len(y) + 1)
    fig = _new_figure((6.5, 4.0))
    ax = fig.add_subplot()
    ax.plot(steps, y, color="#c0392b", alpha=0.25, linewidth=0.8, label=f"train {ylabel}, batch")
    window = max(1, len(y) // 100)
    if window > 1:
        smooth = np.convolve(y, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], smooth, color="#c0392b",
                label=f"train {ylabel}, mean of {window}")
    if len(val_steps):
        ax.plot(np.asarray(val_steps), np.asarray(val_values, dtype=float), "o-",
                color="#2471a3", markersize=3, label=val_label)
    if ylabel != "accuracy" and len(y) and np.all(y > 0) and y.max() / y.min() > 50:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    return _save_atomic(fig, path)


def plot_confusion_matrix(
    counts: Any, classes: Sequence[str], path: str | Path, title: str = "Confusion matrix"
) -> Path:
    """counts[i, j] (examples of class i predicted as j) as a heat map, with the counts written
    in the cells when there are at most 12 classes; save it. Returns ``path``."""
    counts = np.asarray(counts)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(f"plot_confusion_matrix: counts of shape {counts.shape} for {k} "
                         f"classes (expected ({k}, {k}))")
    fig = _new_figure((5.5 if k <= 12 else 8.0, 5.0 if k <= 12 else 7.5))
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(k), classes)
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 12:
        high = counts.max() / 2 if counts.size else 0
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if counts[i, j] > high else "black")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"{title} (accuracy {accuracy:.1%})")
    fig.tight_layout()
    return _save_atomic(fig, path)
