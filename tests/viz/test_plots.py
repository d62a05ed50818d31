"""plot_decision_boundary / plot_loss write PNG files atomically."""

from __future__ import annotations

import os

import numpy as np
import pytest

from chainrule.viz import plot_decision_boundary, plot_loss

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.where(X[:, 0] > X[:, 1], 1, -1)
    return X, y


def test_decision_boundary_png(tmp_path, points) -> None:
    X, y = points
    seen = []

    def predict(grid: np.ndarray) -> list[float]:
        seen.append(grid.shape)
        return (grid[:, 0] - grid[:, 1]).tolist()

    path = plot_decision_boundary(predict, X, y, tmp_path / "db.png", title="t", resolution=30)
    assert path == tmp_path / "db.png"
    assert path.read_bytes()[:8] == PNG
    assert seen == [(30 * 30, 2)]
    assert os.listdir(tmp_path) == ["db.png"]  # no temporary file left behind


def test_decision_boundary_with_one_class_everywhere(tmp_path, points) -> None:
    X, y = points
    path = plot_decision_boundary(lambda g: np.ones(len(g)), X, (y + 1) // 2, tmp_path / "a.png")
    assert path.read_bytes()[:8] == PNG


def test_decision_boundary_checks_shapes(tmp_path, points) -> None:
    X, y = points
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot_decision_boundary(lambda g: g[:, 0], X[:, :1], y, tmp_path / "x.png")
    with pytest.raises(ValueError, match="40 points but 39 labels"):
        plot_decision_boundary(lambda g: g[:, 0], X, y[:-1], tmp_path / "x.png")


def test_loss_png_with_and_without_accuracy(tmp_path) -> None:
    loss = [1.0 / (k + 1) for k in range(50)]
    acc = [min(1.0, k / 30) for k in range(50)]
    assert plot_loss(loss, tmp_path / "l.png").read_bytes()[:8] == PNG
    assert plot_loss(loss, tmp_path / "la.png", accuracy=acc).read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="50 loss values but 3 accuracy"):
        plot_loss(loss, tmp_path / "bad.png", accuracy=[0.1, 0.2, 0.3])


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    from matplotlib.figure import Figure

    target = tmp_path / "l.png"
    target.write_bytes(b"old")

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        plot_loss([1.0, 0.5], target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["l.png"]


def test_written_file_follows_the_umask(tmp_path) -> None:
    umask = os.umask(0o022)
    try:
        path = plot_loss([1.0, 0.5], tmp_path / "l.png")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_training_curve_png(tmp_path) -> None:
    from chainrule.viz import plot_training

    loss = list(np.linspace(2.0, 0.1, 500))
    path = plot_training(loss, tmp_path / "loss.png", val_steps=[100, 500], val_values=[1.5, 0.2])
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="2 validation steps but 1"):
        plot_training(loss, tmp_path / "x.png", val_steps=[1, 2], val_values=[1.0])


def test_confusion_matrix_png(tmp_path) -> None:
    from chainrule.viz import plot_confusion_matrix

    counts = np.array([[5, 1], [0, 4]])
    assert plot_confusion_matrix(counts, ["a", "b"], tmp_path / "c.png").read_bytes()[:8] == PNG
    big = np.eye(27, dtype=int)
    assert plot_confusion_matrix(big, list("abcdefghijklmnopqrstuvwxyz."),
                                 tmp_path / "big.png").exists()
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        plot_confusion_matrix(counts, ["a", "b", "c"], tmp_path / "bad.png")
