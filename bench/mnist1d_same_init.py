"""Given PyTorch's initial weights, does chainrule train the MNIST-1D models to PyTorch's test
accuracy? Separates the engine from the random draw of the initial weights.

For each model and seed: PyTorch builds the paper's model after ``torch.manual_seed(seed)``
(bench/torch_train.py's models); chainrule's model loads those weights and trains with
``chainrule train``'s loop and recipe; PyTorch trains its copy with bench/torch_train.py's loop.

    .venv/bin/python bench/mnist1d_same_init.py --models mlp gru --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from torch_train import build, train

import chainrule as cr
from chainrule.train import Config, build_model, load_task, run
from chainrule.train.tasks import DEFAULTS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=["linear", "mlp", "cnn", "gru"])
    p.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    args = p.parse_args()
    recipe = DEFAULTS["mnist1d"]
    print(f"{'model':<7} {'seed':>4} {'chainrule':>9} {'torch':>7}")
    for name in args.models:
        task = load_task("mnist1d", name, 0.0)
        ours, theirs = [], []
        for seed in args.seeds:
            torch.manual_seed(seed)
            reference = build(name, 40, 10)
            model = build_model(task.kind, name, task.input_shape, len(task.classes))
            model.load_state_dict({k: cr.tensor(v.detach().numpy())
                                   for k, v in reference.state_dict().items()})
            config = Config("mnist1d", name, "adam", recipe["lr"], 0.0, recipe["batch_size"],
                            recipe["steps"], seed, False, 0.0)
            with tempfile.TemporaryDirectory() as out:
                metrics = run(config, Path(out), progress=False, plots=False, task=task,
                              model=model)
            ours.append(100 * metrics["test"]["accuracy"])
            theirs.append(100 * train(reference, task, config)["test_accuracy"])
            print(f"{name:<7} {seed:>4} {ours[-1]:>9.1f} {theirs[-1]:>7.1f}", flush=True)
        print(f"{name:<7} mean {statistics.mean(ours):>9.1f} {statistics.mean(theirs):>7.1f}")


if __name__ == "__main__":
    main()
