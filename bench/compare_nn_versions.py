"""Wall-time A/B of two versions of chainrule on the nn workloads of bench/bench_nn_*.py.

chainrule's side of each workload only (torch is imported by the bench modules but not timed),
each version in ``--rounds`` fresh processes taking turns; per workload the median (and min) of
the per-round figures, each the best of 3 loops of about 0.25 s, and the ratio B / A. Run it
with one BLAS thread to cut the noise:

OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/compare_nn_versions.py \\
    REV_A REV_B [--rounds 6] [--only gru6,mlp]      (REV: a git revision, or "worktree")
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

from compare_versions import export

ROOT = Path(__file__).resolve().parent.parent

# One process: chainrule's step of every workload, timed; prints {name: seconds per step}.
CHILD = """
import gc, json, sys, time
sys.path.insert(0, {bench!r})
import torch
torch.set_num_threads(1)
import chainrule as cr
assert cr.__file__.startswith({src!r}), cr.__file__
import bench_nn_conv as C, bench_nn_linear as L, bench_nn_norm as N, bench_nn_rnn as R
work = {{
    "gru6": lambda: R.gru(cr, 6)[0], "gru128": lambda: R.gru(cr, 128)[0],
    "mha": lambda: R.mha(cr)[0], "nanogpt": lambda: R.nanogpt_attention(cr)[0],
    "mlp": lambda: L.mlp_step(cr), "linear1024": lambda: L.big_linear(cr),
    "embedding": lambda: L.embedding(cr), "activations": lambda: L.activations(cr),
    "layernorm": lambda: N.layer_norm(cr), "batchnorm": lambda: N.batch_norm(cr),
    "cross_entropy": lambda: N.cross_entropy(cr),
}}
for name, make, shape, grad in C.CASES:
    key = "conv_" + name[1:name.index(")")].replace("'", "2")  # conv_a ... conv_c2, conv_d
    work[key] = lambda m=make, s=shape, g=grad: C.layer_step(cr, m, s, g)
out = {{}}
for name, make in work.items():
    if {only!r} and name not in {only!r}:
        continue
    f = make()
    for _ in range(3):
        f()
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < 0.05:
        f()
        n += 1
    loops = max(1, int(0.25 * n / (time.perf_counter() - t)))
    gc.collect()
    best = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(loops):
            f()
        best.append((time.perf_counter() - t) / loops)
    out[name] = min(best)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a")
    parser.add_argument("rev_b")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    args = parser.parse_args()
    only = [w for w in args.only.split(",") if w]
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {}
        for rev in (args.rev_a, args.rev_b):
            where = Path(tmp) / str(len(srcs))
            where.mkdir()
            srcs[rev] = export(rev, where)
        times: dict[str, dict[str, list[float]]] = {rev: {} for rev in srcs}
        for _ in range(args.rounds):
            for rev, src in srcs.items():
                code = CHILD.format(bench=str(ROOT / "bench"), src=str(src), only=only)
                env = {**os.environ, "PYTHONPATH": str(src)}  # BLAS threads as the caller's
                out = subprocess.run([sys.executable, "-c", code], check=True, text=True,
                                     capture_output=True, env=env)
                for name, t in json.loads(out.stdout).items():
                    times[rev].setdefault(name, []).append(t)
    a, b = (times[rev] for rev in srcs)
    print(f"{'workload':14} {'A median':>10} {'B median':>10} {'B/A':>5}   {'A min':>10} "
          f"{'B min':>10} {'B/A':>5}")
    for name in a:
        ma, mb = statistics.median(a[name]), statistics.median(b[name])
        na, nb = min(a[name]), min(b[name])
        print(f"{name:14} {ma * 1e3:8.3f}ms {mb * 1e3:8.3f}ms {mb / ma:5.2f}   {na * 1e3:8.3f}ms "
              f"{nb * 1e3:8.3f}ms {nb / na:5.2f}")


if __name__ == "__main__":
    main()
