"""The `chainrule` command: the demo end to end, and its command-line errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import chainrule
from chainrule.cli import main
from chainrule.viz import graph as graph_mod

PNG = b"\x89PNG\r\n\x1a\n"


def test_demo_end_to_end(tmp_path, capsys) -> None:
    # about 6 to 12 s on a 2-core machine: 100 training steps on 100 points, then the pictures
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--steps", "100", "--no-progress"]) == 0
    printed = capsys.readouterr().out

    # the worked example: L = -8, every node's gradient agrees with its numerical estimate
    assert "= -8.0000" in printed
    rows = dict(
        (m[0], m[1:])
        for m in re.findall(r"^\s+(\w)\s+(\S+)\s+(\S+)\s+(\S+)$", printed, flags=re.M)
    )
    expected = {"a": "6.0000", "b": "-4.0000", "c": "-2.0000", "e": "-2.0000",
                "d": "-2.0000", "f": "4.0000", "L": "1.0000"}
    for name, g in expected.items():
        _data, grad, numerical = rows[name]
        assert grad == numerical == g, name

    assert "after 100 steps" in printed and "accuracy 100% (100/100)" in printed
    assert str(out.resolve()) in printed
    assert re.search(r"Total time \d+\.\d s", printed)
    assert (out / "decision_boundary.png").read_bytes()[:8] == PNG
    assert (out / "loss.png").read_bytes()[:8] == PNG
    svg = (out / "neuron.svg").read_text()
    assert "<svg" in svg and "data 0.7071" in svg and "tanh" in svg


def test_demo_without_dot_writes_dot_source(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(graph_mod.shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="install graphviz"):
        assert main(["demo", "--out", str(tmp_path), "--steps", "2", "--no-progress"]) == 0
    assert "neuron.dot" in capsys.readouterr().out
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph")
    assert not (tmp_path / "neuron.svg").exists()


def test_out_that_is_a_file_is_a_one_line_error(tmp_path, capsys) -> None:
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    assert main(["demo", "--out", str(existing), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a directory" in err and "Traceback" not in err


def test_out_below_a_file_is_a_one_line_error(tmp_path, capsys) -> None:
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    assert main(["demo", "--out", str(existing / "sub"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("chainrule demo: error: --out")


@pytest.mark.parametrize("argv", [[], ["demo", "--steps", "0"], ["demo", "--steps", "x"], ["nope"]])
def test_usage_errors_exit_2(argv, capsys) -> None:
    assert main(argv) == 2
    assert "usage: chainrule" in capsys.readouterr().err


def test_python_dash_m_chainrule() -> None:
    done = subprocess.run([sys.executable, "-m", "chainrule", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"chainrule {chainrule.__version__}"
