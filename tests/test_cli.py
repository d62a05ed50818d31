"""The `chainrule` command: the demo end to end, and its command-line errors."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule
from chainrule import cli
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


@pytest.mark.parametrize("seed", ["-5", str(2**32), "1.5"])
def test_bad_seed_is_a_usage_error_before_anything_runs(seed, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["demo", "--seed", seed, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "argument --seed" in captured.err and "Traceback" not in captured.err
    assert captured.out == "" and not out.exists()


def test_edge_seeds_are_accepted() -> None:
    from chainrule.cli import _parser

    for seed in (0, 2**32 - 1):
        assert _parser().parse_args(["demo", "--seed", str(seed)]).seed == seed


def _refuses_writes(tmp_path) -> list:
    """Existing directories this process cannot write into (root ignores permission bits)."""
    dirs = []
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        dirs.append(locked)
    sysfs = Path("/sys")  # sysfs takes no new files, not even from root
    if sysfs.is_dir():
        try:
            (sysfs / "chainrule-test").open("x").close()
        except OSError:
            dirs.append(sysfs)
    return dirs


def test_unwritable_out_is_a_one_line_error_before_training(tmp_path, capsys) -> None:
    dirs = _refuses_writes(tmp_path)
    if not dirs:
        pytest.skip("no directory here refuses this process's writes")
    for d in dirs:
        assert main(["demo", "--out", str(d), "--no-progress"]) == 2
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith(f"chainrule demo: error: --out {d}: cannot write files")
        assert "Training" not in captured.out and captured.out == ""


def test_unwritable_out_as_the_probe_sees_it(tmp_path, capsys, monkeypatch) -> None:
    """Whoever runs the tests (root included): a directory whose file creation fails."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "NamedTemporaryFile", refuse)
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"chainrule demo: error: --out {tmp_path}: cannot write files there: Permission denied\n"
    )
    assert captured.out == ""


def test_missing_package_is_named_before_training(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "the demo needs matplotlib: pip install matplotlib" in captured.err
    assert "pip install -e '.[all]'" in captured.err


def test_progress_off_a_terminal_is_ten_plain_lines(tmp_path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--steps", "20"]) == 0  # capsys: not a TTY
    captured = capsys.readouterr()
    lines = re.findall(r"^   step +(\d+)/20: loss \d\.\d{4}, accuracy \d+%$", captured.out, re.M)
    assert lines == [str(k) for k in range(2, 21, 2)]
    assert "\r" not in captured.out + captured.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_bar(monkeypatch, capsys) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    bar = cli._Progress(5, enabled=True)
    for k in range(1, 6):
        bar.update(k, 0.5, 0.75)
    bar.close()
    assert bar.bar is not None and "\r" in sys.stderr.getvalue()
    assert "step" not in capsys.readouterr().out
    quiet = cli._Progress(5, enabled=False)
    quiet.update(5, 0.5, 0.75)
    assert quiet.bar is None and capsys.readouterr().out == ""
