"""Whole training runs, chainrule vs PyTorch 2.13 CPU: wall time, peak memory, import time.

Each run is its own process: ``chainrule train DATASET --model M`` (no plots, no progress) and
its PyTorch twin bench/torch_train.py (same data, models, Adam, batch order, per-epoch
validation and checkpoint). Wall time is the training loop's (chainrule's from metrics.json, so
data loading and start-up are left out of both); peak memory is the process's maximum resident
set (getrusage of the child). Import time: a fresh interpreter importing the library, median of 5.

    .venv/bin/python bench/bench_train.py              # MNIST-1D CNN and GRU, digits MLP
    .venv/bin/python bench/bench_train.py --steps 600  # shorter runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = [("mnist1d", "cnn"), ("mnist1d", "gru"), ("digits", "mlp")]


def _run(argv: list[str]) -> tuple[str, float]:
    """Run argv to completion, measuring the child's peak memory with wait4."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{err.decode()}")
    return out.decode(), usage.ru_maxrss / 1024


def chainrule_run(dataset: str, model: str, seed: int, steps: int | None) -> dict:
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, "-m", "chainrule", "train", dataset, "--model", model,
                "--seed", str(seed), "--out", out, "--no-plots", "--no-progress"]
        if steps:
            argv += ["--steps", str(steps)]
        _, peak = _run(argv)
        metrics = json.loads((Path(out) / "metrics.json").read_text())
    return {"wall": metrics["wall_time_s"], "acc": metrics["test"]["accuracy"], "peak": peak,
            "steps": metrics["steps"]}


def torch_run(dataset: str, model: str, seed: int, steps: int | None) -> dict:
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, str(ROOT / "bench" / "torch_train.py"), dataset, model,
                "--seed", str(seed), "--out", out]
        if steps:
            argv += ["--steps", str(steps)]
        text, peak = _run(argv)
    result = json.loads(text.strip().splitlines()[-1])
    return {"wall": result["wall_time_s"], "acc": result["test_accuracy"], "peak": peak,
            "steps": result["steps"]}


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(5):
        out, _ = _run([sys.executable, "-c", code])
        times.append(float(out))
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, help="steps per run (default: each recipe's)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(f"{'run':<14} {'steps':>6} {'chainrule s':>12} {'torch s':>9} {'ratio':>6} "
          f"{'ms/step':>8} {'torch':>7} {'acc':>7} {'torch':>7} {'peak MiB':>9} {'torch':>7}")
    for dataset, model in RUNS:
        ours = chainrule_run(dataset, model, args.seed, args.steps)
        theirs = torch_run(dataset, model, args.seed, args.steps)
        print(f"{dataset + ' ' + model:<14} {ours['steps']:>6} {ours['wall']:>12.2f} "
              f"{theirs['wall']:>9.2f} {ours['wall'] / theirs['wall']:>6.2f} "
              f"{1e3 * ours['wall'] / ours['steps']:>8.2f} "
              f"{1e3 * theirs['wall'] / theirs['steps']:>7.2f} {ours['acc']:>7.1%} "
              f"{theirs['acc']:>7.1%} {ours['peak']:>9.0f} {theirs['peak']:>7.0f}", flush=True)
    ours, theirs = import_time("chainrule"), import_time("torch")
    print(f"import time: chainrule {ours:.3f} s, torch {theirs:.3f} s "
          f"(ratio {ours / theirs:.2f})")


if __name__ == "__main__":
    main()
