"""The MNIST-1D table (logistic 32%, MLP 68%, CNN 94%, GRU 91% in the paper) on chainrule, through
the command line with its default recipe, seeds 0-2, beside PyTorch's twin of the same runs.

    .venv/bin/python bench/mnist1d_table.py             # chainrule and PyTorch, 4 models x 3 seeds
    .venv/bin/python bench/mnist1d_table.py --no-torch  # chainrule only (about 5 min on 2 cores)

Each run: ``chainrule train mnist1d --model M --seed S`` (Adam lr 1e-2, batch 100, 6000 steps,
batches in order) and bench/torch_train.py with the same arguments. Test accuracy in percent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_train import chainrule_run, torch_run

MODELS = {"linear": "logistic", "mlp": "MLP", "cnn": "CNN", "gru": "GRU"}
PAPER = {"linear": 32, "mlp": 68, "cnn": 94, "gru": 91}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--models", nargs="*", default=list(MODELS))
    args = p.parse_args()
    print(f"{'model':<9} {'paper':>5}  {'chainrule (seeds)':<26} {'mean':>5}  "
          f"{'torch (seeds)':<22} {'mean':>5}  {'diff':>5}")
    for model in args.models:
        ours = [100 * chainrule_run("mnist1d", model, s, None)["acc"] for s in range(args.seeds)]
        theirs = ([] if args.no_torch else
                  [100 * torch_run("mnist1d", model, s, None)["acc"] for s in range(args.seeds)])
        mean = statistics.mean(ours)
        line = (f"{MODELS[model]:<9} {PAPER[model]:>5}  {' '.join(f'{a:.1f}' for a in ours):<26} "
                f"{mean:>5.1f}")
        if theirs:
            t_mean = statistics.mean(theirs)
            line += (f"  {' '.join(f'{a:.1f}' for a in theirs):<22} {t_mean:>5.1f}  "
                     f"{mean - t_mean:>+5.1f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
