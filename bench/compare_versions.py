"""Wall-time A/B of two versions of chainrule on benchmark (a) or (b), processes taking turns.

On a shared VM single runs move by +-30%, so each version runs in ``--rounds`` fresh processes,
alternating with the other, and the script reports the minimum and the median per version.

Run: .venv/bin/python bench/compare_versions.py REV_A REV_B [--bench a|b] [--rounds 8]
     (REV: a git revision, or "worktree" for the files as they are now)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One process: build the step of benchmark (a) or (b) from bench_tensor.py (without importing
# torch) and print the best time per step in microseconds.
CHILD = """
import sys, timeit, types
sys.modules["torch"] = types.ModuleType("torch")  # bench_tensor imports it; not needed here
sys.path.insert(0, {bench!r})
import bench_tensor
import chainrule as cr
assert cr.__file__.startswith({src!r}), cr.__file__
if {which!r} == "a":
    step, n = bench_tensor.elementwise(cr, cr.tensor), 5000
else:
    step, n = bench_tensor.mlp(cr, cr.tensor, 64, [784, 128, 10]), 200
print(min(timeit.repeat(step, number=n, repeat=9)) / n * 1e6)
"""


def export(rev: str, into: Path) -> Path:
    """The ``src`` tree of ``rev`` (or of the working tree) copied under ``into``."""
    if rev == "worktree":
        shutil.copytree(ROOT / "src", into / "src")
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a")
    parser.add_argument("rev_b")
    parser.add_argument("--bench", choices=["a", "b"], default="a")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {}
        for rev in (args.rev_a, args.rev_b):
            where = Path(tmp) / str(len(srcs))
            where.mkdir()
            srcs[rev] = export(rev, where)
        times: dict[str, list[float]] = {rev: [] for rev in srcs}
        for _ in range(args.rounds):
            for rev, src in srcs.items():
                code = CHILD.format(bench=str(ROOT / "bench"), src=str(src), which=args.bench)
                out = subprocess.run([sys.executable, "-c", code], check=True, text=True,
                                     capture_output=True, env={"PYTHONPATH": str(src)})
                times[rev].append(float(out.stdout))
    for rev, ts in times.items():
        print(f"{rev:>12}: min {min(ts):7.1f} us  median {statistics.median(ts):7.1f} us  "
              f"({', '.join(f'{t:.1f}' for t in ts)})")


if __name__ == "__main__":
    main()
