"""chainrule.nn (Linear, activations, Embedding, Dropout) vs torch.nn on the CPU, same process.

(a) an nn.Sequential MLP step, batch 32: 64 -> 128 (ReLU) -> 128 (GELU) -> 10, forward, mean
    square loss, zero_grad, backward (small: the per-layer overhead);
(b) one Linear 1024 -> 1024 on a batch of 512, forward + backward (large: the matrix products);
(c) Embedding(1000, 64) looked up by a (32, 64) batch of indices, forward + backward;
(d) GELU, SiLU and Dropout(0.1) on a (64, 1024) tensor, forward + backward.

Figures are medians of rounds in which the contenders take turns (bench_tensor.compare).
Run: .venv/bin/python bench/bench_nn_linear.py   (ratio = chainrule / torch; on a busy machine
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 compares both single-threaded)
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from bench_tensor import compare

import chainrule as cr


def mlp_step(lib: object) -> Callable[[], None]:
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.GELU(),
                          nn.Linear(128, 10))
    x = lib.tensor(np.random.default_rng(0).standard_normal((32, 64)).astype(np.float32))

    def step() -> None:
        out = model(x)
        loss = (out * out).mean()
        model.zero_grad()
        loss.backward()

    return step


def big_linear(lib: object) -> Callable[[], None]:
    layer = lib.nn.Linear(1024, 1024)
    x = lib.tensor(np.random.default_rng(1).standard_normal((512, 1024)).astype(np.float32),
                   requires_grad=True)

    def step() -> None:
        layer.zero_grad()
        x.grad = None
        layer(x).sum().backward()

    return step


def embedding(lib: object) -> Callable[[], None]:
    table = lib.nn.Embedding(1000, 64)
    idx = lib.tensor(np.random.default_rng(2).integers(0, 1000, (32, 64)))

    def step() -> None:
        table.zero_grad()
        table(idx).sum().backward()

    return step


def activations(lib: object) -> Callable[[], None]:
    nn = lib.nn
    layers = [nn.GELU(), nn.SiLU(), nn.Dropout(0.1)]
    x = lib.tensor(np.random.default_rng(3).standard_normal((64, 1024)).astype(np.float32),
                   requires_grad=True)

    def step() -> None:
        x.grad = None
        total = 0
        for layer in layers:
            total = total + layer(x).sum()
        total.backward()

    return step


def main() -> None:
    # the machine's cores, unless OMP_NUM_THREADS says otherwise (set it with
    # OPENBLAS_NUM_THREADS=1 for a single-threaded comparison on a busy machine)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads "
          f"{torch.get_num_threads()}")
    rows = []
    for name, make in [("(a) MLP step 32x64 -> 128 -> 128 -> 10", mlp_step),
                       ("(b) Linear 1024 -> 1024, batch 512, fwd+bwd", big_linear),
                       ("(c) Embedding(1000, 64)[32x64], fwd+bwd", embedding),
                       ("(d) GELU + SiLU + Dropout on 64x1024, fwd+bwd", activations)]:
        t = compare({"cr": make(cr), "torch": make(torch)})
        rows.append((name, t["cr"], t["torch"]))
    print(f"{'benchmark':48} {'chainrule':>12} {'torch':>12} {'ratio':>7}")
    for name, a, b in rows:
        print(f"{name:48} {a * 1e6:10.1f}us {b * 1e6:10.1f}us {a / b:7.2f}")


if __name__ == "__main__":
    main()
