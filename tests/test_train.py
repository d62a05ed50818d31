"""`chainrule train`: runs end to end, writes what it promises, resumes bit for bit, refuses
bad arguments with one line before training, and reaches the recipes' accuracies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.cli import MODEL_NAMES, OPTIMIZER_NAMES, TASK_NAMES, main
from chainrule.train import DEFAULTS, MODELS, TASKS
from chainrule.train.loop import OPTIMIZERS

PNG = b"\x89PNG\r\n\x1a\n"


def _train(tmp_path: Path, *argv: str, out: str = "out") -> dict:
    assert main(["train", *argv, "--out", str(tmp_path / out), "--no-progress"]) == 0
    return json.loads((tmp_path / out / "metrics.json").read_text())


def test_command_line_names_match_the_library() -> None:
    assert set(TASK_NAMES) == set(TASKS) == set(DEFAULTS)
    assert set(MODEL_NAMES) == {m for kind in MODELS.values() for m in kind}
    assert set(OPTIMIZER_NAMES) == set(OPTIMIZERS)


def test_moons_end_to_end(tmp_path, capsys) -> None:
    metrics = _train(tmp_path, "moons", "--epochs", "5", "--seed", "3")
    out = tmp_path / "out"
    for name in ("loss.png", "accuracy.png", "confusion.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    assert metrics["args"]["dataset"] == "moons" and metrics["args"]["seed"] == 3
    assert metrics["args"]["model"] == "mlp" and metrics["args"]["optimizer"] == "adam"
    assert metrics["test"]["accuracy"] > 0.8 and metrics["train"]["loss"] < 0.5
    assert metrics["epochs"] == 5 and metrics["steps"] == 5 * 23  # 720 examples, batches of 32
    assert len(metrics["validation"]) == 5 and metrics["validation_on"] == "val"
    assert metrics["wall_time_s"] > 0
    ckpt = chainrule.load(out / "checkpoint.safetensors")
    assert ckpt["step"] == metrics["steps"]
    printed = capsys.readouterr().out
    assert "Final: train loss" in printed and "test loss" in printed
    assert "\r" not in printed  # not a terminal: plain lines, no bar


def test_names_writes_samples(tmp_path) -> None:
    metrics = _train(tmp_path, "names", "--model", "bigram", "--steps", "200", "--lr", "0.1",
                     "--no-plots")
    samples = (tmp_path / "out" / "samples.txt").read_text().split()
    assert len(samples) >= 15 and all(set(s) <= set("abcdefghijklmnopqrstuvwxyz") for s in samples)
    assert metrics["samples"][: len(samples)] == samples[: len(metrics["samples"])]
    assert not (tmp_path / "out" / "loss.png").exists()


def _weights(path: Path) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in chainrule.load(path)["model"].items()}


@pytest.mark.parametrize("dataset,model", [("mnist1d", "cnn"), ("names", "mlp")])
def test_resume_equals_an_uninterrupted_run_bit_for_bit(tmp_path, dataset, model) -> None:
    common = [dataset, "--model", model, "--no-plots", "--batch-size", "50"]
    whole = _train(tmp_path, *common, "--steps", "90", out="whole")
    _train(tmp_path, *common, "--steps", "37", out="part")
    resumed = _train(tmp_path, *common, "--steps", "90", "--resume",
                     str(tmp_path / "part" / "checkpoint.safetensors"), out="part")
    a, b = _weights(tmp_path / "whole" / "checkpoint.safetensors"), _weights(
        tmp_path / "part" / "checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k
    assert resumed["test"] == whole["test"] and resumed["steps"] == whole["steps"] == 90


def _one_line_error(capsys, *fragments: str) -> None:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("chainrule train: error:"), captured.err
    for fragment in fragments:
        assert fragment in captured.err, (fragment, captured.err)
    assert "Traceback" not in captured.err and "Training" not in captured.out


@pytest.mark.parametrize("argv,fragments", [
    (["nope"], ["invalid choice: 'nope'"]),
    (["moons", "--lr", "-1"], ["--lr", "-1"]),
    (["moons", "--lr", "nan"], ["--lr"]),
    (["moons", "--steps", "0"], ["--steps"]),
    (["moons", "--batch-size", "x"], ["--batch-size"]),
    (["moons", "--model", "cnn"], ["--model cnn does not fit moons"]),
    (["moons", "--optimizer", "lbfgs"], ["--optimizer"]),
    (["moons", "--steps", "3", "--epochs", "2"], ["not allowed with argument"]),
    (["moons", "--val-fraction", "1.5"], ["--val-fraction"]),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, argv, fragments) -> None:
    assert main(["train", *argv, "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, *fragments)
    assert not (tmp_path / "out" / "checkpoint.safetensors").exists()


def test_unwritable_out_exits_2(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["train", "moons", "--out", str(blocker / "sub")]) == 2
    _one_line_error(capsys, "--out")


@pytest.mark.parametrize("content", [b"", b"\x80\x04K\x01.", b"PK\x03\x04" + bytes(100),
                                     os.urandom(300)])
def test_corrupt_checkpoint_exits_2(tmp_path, capsys, content) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(content)
    assert main(["train", "moons", "--resume", str(bad), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "--resume", str(bad))


def test_resume_refuses_another_run(tmp_path, capsys) -> None:
    _train(tmp_path, "moons", "--steps", "5", "--no-plots")
    capsys.readouterr()
    ckpt = str(tmp_path / "out" / "checkpoint.safetensors")
    assert main(["train", "digits", "--resume", ckpt, "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "data set moons")
    assert main(["train", "moons", "--lr", "0.5", "--resume", ckpt,
                 "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "--lr 0.01")
    assert main(["train", "moons", "--steps", "2", "--resume", ckpt,
                 "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "past --steps 2")


def test_digits_mlp_reaches_97_percent(tmp_path) -> None:
    metrics = _train(tmp_path, "digits", "--model", "mlp", "--no-plots")
    assert metrics["test"]["accuracy"] >= 0.97, metrics["test"]
