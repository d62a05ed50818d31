"""Convolution and pooling layers vs PyTorch CPU, forward + backward, in the same process.

(a) Conv1d 25 -> 32 channels, kernel 5, padding 2, on (100, 25, 40): the MNIST-1D CNN's size,
    the input requiring grad (a hidden layer: its input gradient is computed too);
(b) Conv1d 25 -> 25, kernel 3, stride 2, padding 1, on (100, 25, 20): the MNIST-1D CNN's second
    layer (strided: its input gradient goes through col2im);
(c) Conv2d 3 -> 32 channels, kernel 3, padding 1, on (64, 3, 32, 32): a first layer (the image
    needs no gradient), and (c') the same with the input gradient;
(d) MaxPool2d(2) on (64, 32, 32, 32).

float32 (both libraries' default). Each step: zero the grads, forward, backward with a fixed
upstream gradient. The contenders take turns (bench_tensor.compare: rounds in rotated order, the
other library's threads left to settle before each timed loop); each figure is a median over
rounds; ratio = chainrule / torch (below 1 means chainrule is faster).

glibc's allocator: (a) allocates and frees a few MB per step, in arrays small enough that glibc
returns the freed top of the heap to the system after each step and page-faults it back in the
next (about 1,200 faults a step, most of (a)'s time on a VM). PyTorch's caching allocator does
not; MALLOC_TOP_PAD_=67108864 in the environment (or mallopt(M_TOP_PAD) in the process) keeps
that memory and removes the faults: run both ways to see the allocator's share.

Run: .venv/bin/python bench/bench_nn_conv.py [--threads N]   (torch.set_num_threads(N) and, through
threadpoolctl, NumPy's OpenBLAS limited to N threads as well; default 2, the machine's cores)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import chainrule as cr

sys.path.insert(0, str(Path(__file__).parent))
from bench_tensor import compare


def layer_step(lib: object, make: Callable[[object], object], shape: tuple[int, ...],
               input_grad: bool) -> Callable[[], None]:
    """One forward + backward of the layer ``make(lib.nn)`` on a fixed float32 input."""
    lib.manual_seed(0)
    layer = make(lib.nn)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=input_grad)
    with lib.no_grad():
        out_shape = tuple(layer(x).shape)
    g = lib.tensor(rng.standard_normal(out_shape, dtype=np.float32))
    params = list(layer.parameters())

    def step() -> None:
        x.grad = None
        for p in params:
            p.grad = None
        layer(x).backward(g)

    return step


CASES = [
    ("(a) Conv1d 25->32 k5 p2, (100, 25, 40), fwd+bwd",
     lambda nn: nn.Conv1d(25, 32, 5, padding=2), (100, 25, 40), True),
    ("(b) Conv1d 25->25 k3 s2 p1, (100, 25, 20), fwd+bwd",
     lambda nn: nn.Conv1d(25, 25, 3, stride=2, padding=1), (100, 25, 20), True),
    ("(c) Conv2d 3->32 k3 p1, (64, 3, 32, 32), fwd+bwd",
     lambda nn: nn.Conv2d(3, 32, 3, padding=1), (64, 3, 32, 32), False),
    ("(c') the same, with the input gradient",
     lambda nn: nn.Conv2d(3, 32, 3, padding=1), (64, 3, 32, 32), True),
    ("(d) MaxPool2d(2), (64, 32, 32, 32), fwd+bwd",
     lambda nn: nn.MaxPool2d(2), (64, 32, 32, 32), True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads, user_api="blas")
        blas = f"OpenBLAS threads {args.threads}"
    except ImportError:
        blas = "OpenBLAS threads: its default (no threadpoolctl)"
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads "
          f"{torch.get_num_threads()}, {blas}")
    print(f"{'benchmark':52} {'chainrule':>11} {'torch':>11} {'ratio':>6}")
    for name, make, shape, input_grad in CASES:
        t = compare({"cr": layer_step(cr, make, shape, input_grad),
                     "torch": layer_step(torch, make, shape, input_grad)}, rounds=args.rounds)
        print(f"{name:52} {t['cr'] * 1e6:9.0f}us {t['torch'] * 1e6:9.0f}us "
              f"{t['cr'] / t['torch']:6.2f}", flush=True)


if __name__ == "__main__":
    main()
