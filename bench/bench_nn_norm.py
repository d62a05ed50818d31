"""Normalization layers and cross-entropy vs PyTorch CPU, measured in the same process.

(a) LayerNorm(128) on (16, 64, 128) float32 (a GPT block's), forward + backward;
(b) BatchNorm1d(32) on (100, 32, 40) float32 (train mode), forward + backward;
(c) cross_entropy on (6400, 27) float32 logits with class indices (makemore's), forward +
    backward.

The contenders take turns (bench_tensor.compare); each figure is a median over rounds. PyTorch
runs with 2 threads (the machine's cores), and for reference with 1: on a machine that other
work keeps busy, PyTorch's second thread can cost it more than it gains.
Run: .venv/bin/python bench/bench_nn_norm.py   (ratio = chainrule / torch)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_tensor import compare

import chainrule as cr

torch.set_num_threads(2)


def _step(lib: object, layer: object, x_np: np.ndarray, g_np: np.ndarray) -> Callable[[], None]:
    """x -> layer(x) -> backward with a fixed upstream gradient."""
    x = lib.tensor(x_np, requires_grad=True)
    g = lib.tensor(g_np)

    def step() -> None:
        x.grad = None
        for p in layer.parameters():
            p.grad = None
        layer(x).backward(g)

    return step


def layer_norm(lib: object) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    shape = (16, 64, 128)
    return _step(lib, lib.nn.LayerNorm(128), rng.standard_normal(shape, dtype=np.float32),
                 rng.standard_normal(shape, dtype=np.float32))


def batch_norm(lib: object) -> Callable[[], None]:
    rng = np.random.default_rng(1)
    shape = (100, 32, 40)
    return _step(lib, lib.nn.BatchNorm1d(32), rng.standard_normal(shape, dtype=np.float32),
                 rng.standard_normal(shape, dtype=np.float32))


def cross_entropy(lib: object) -> Callable[[], None]:
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.standard_normal((6400, 27), dtype=np.float32), requires_grad=True)
    t = lib.tensor(rng.integers(0, 27, 6400))

    def step() -> None:
        x.grad = None
        lib.nn.functional.cross_entropy(x, t).backward()

    return step


def main() -> None:
    print(f"{'benchmark':<32}{'chainrule':>11}{'torch':>11}{'ratio':>7}"
          f"{'torch 1 thr':>13}{'ratio':>7}")
    for name, make in (("LayerNorm (16, 64, 128) f+b", layer_norm),
                       ("BatchNorm1d (100, 32, 40) f+b", batch_norm),
                       ("cross_entropy (6400, 27) f+b", cross_entropy)):
        t = compare({"chainrule": make(cr), "torch": make(torch)})
        torch.set_num_threads(1)
        t1 = compare({"torch": make(torch)})["torch"]
        torch.set_num_threads(2)
        ours, theirs = t["chainrule"], t["torch"]
        print(f"{name:<32}{ours * 1e6:>9.1f}us{theirs * 1e6:>9.1f}us{ours / theirs:>7.2f}"
              f"{t1 * 1e6:>11.1f}us{ours / t1:>7.2f}")


if __name__ == "__main__":
    main()
