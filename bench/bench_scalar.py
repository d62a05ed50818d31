"""One training step of the micrograd demo: chainrule's Value engine against micrograd 0.1.0.

The step is the demo's: forward over 100 two-moons points, hinge loss
mean(relu(1 - y * score)) + 1e-4 * sum(p * p), zero_grad, backward, SGD update, for
MLP(2, [16, 16, 1]) with ReLU. Three models, same initial weights, same process:

- chainrule: our MLP, one fused ``linear`` node per neuron (b + sum w_i x_i);
- chainrule-unfused: the same MLP with the lecture's neuron, sum(w_i * x_i) + b elementwise,
  so its graph has micrograd's shape node for node (this isolates the engine);
- micrograd: ``micrograd.nn.MLP`` with the demo's manual update.

Each is timed with the garbage collector on (steady state: each step also pays for collecting
earlier steps' garbage, as in a real training loop) and off (a gc.collect() between steps, outside
the timing). Engines take turns in blocks of steps, three rounds. Reported: the median over all
timed steps, and the micrograd / chainrule ratios.

    .venv/bin/python bench/bench_scalar.py [--steps N]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from micrograd import nn as mg_nn
from sklearn.datasets import make_moons

from chainrule.scalar import Value
from chainrule.scalar.nn import MLP, Neuron
from chainrule.scalar.optim import SGD

ALPHA = 1e-4
LR = 0.05
SEED = 1337
ROUNDS = 3


class UnfusedNeuron(Neuron):
    """The lecture's neuron: act(sum_i w_i x_i + b), one node per multiply and per add."""

    def __call__(self, x: Sequence[Any]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act if self._act is None else self._act(act)


def loss_of(model: Any, X: list[list[float]], y: list[float]) -> Any:
    """The demo's loss, the same code for both engines."""
    scores = [model(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def chainrule_step(model: MLP, opt: SGD, X: list[list[float]], y: list[float]) -> float:
    loss = loss_of(model, X, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.data


def micrograd_step(model: Any, X: list[list[float]], y: list[float]) -> float:
    loss = loss_of(model, X, y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return loss.data


def time_step(step: Callable[[], float], gc_on: bool) -> float:
    """Seconds of one step; gc off means disabled during the step and collected before it."""
    if gc_on:
        t0 = time.perf_counter()
        step()
        return time.perf_counter() - t0
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        step()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def time_all(
    steps: dict[str, Callable[[], float]], per_round: int, gc_on: bool
) -> dict[str, float]:
    """Median step time of each engine, over ROUNDS rounds that visit every engine in turn,
    so a slow stretch of a shared machine does not land on one engine alone.

    With gc on, each engine runs a block of steps (2 warmup, then timed) after a gc.collect():
    the collector's cost depends on the garbage on the heap, which should be the engine's own,
    as in a real training loop. With gc off, garbage is collected before every step anyway.
    """
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(ROUNDS):
        for name, step in steps.items():
            gc.collect()
            for _ in range(2):
                time_step(step, gc_on)
            times[name] += [time_step(step, gc_on) for _ in range(per_round)]
    gc.collect()
    return {name: statistics.median(ts) for name, ts in times.items()}


def make_models() -> dict[str, Callable[[], float]]:
    Xa, ya = make_moons(n_samples=100, noise=0.1, random_state=1)
    X = Xa.tolist()
    y = (ya * 2 - 1).astype(float).tolist()

    random.seed(SEED)
    fused = MLP(2, [16, 16, 1])
    random.seed(SEED)
    unfused = MLP(2, [16, 16, 1])
    for layer in unfused.layers:
        for n in layer.neurons:
            n.__class__ = UnfusedNeuron
    random.seed(SEED)
    mg = mg_nn.MLP(2, [16, 16, 1])
    assert [p.data for p in fused.parameters()] == [p.data for p in mg.parameters()]

    opt_fused = SGD(fused.parameters(), lr=LR)
    opt_unfused = SGD(unfused.parameters(), lr=LR)
    return {
        "chainrule": lambda: chainrule_step(fused, opt_fused, X, y),
        "chainrule-unfused": lambda: chainrule_step(unfused, opt_unfused, X, y),
        "micrograd": lambda: micrograd_step(mg, X, y),
    }


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per engine per round")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)  # micrograd's topological sort is recursive

    engines = make_models()
    # the three models start equal, so their first losses agree
    first = {name: step() for name, step in engines.items()}
    spread = max(first.values()) - min(first.values())
    assert spread < 1e-9, first

    results: dict[tuple[str, bool], float] = {}
    for gc_on in (True, False):
        for name, t in time_all(engines, args.steps, gc_on).items():
            results[name, gc_on] = t

    print(f"Python {platform.python_version()}, {cpu_name()}, {os.cpu_count()} cores; "
          f"median of {ROUNDS * args.steps} steps")
    print()
    print("| engine | gc on (ms) | gc off (ms) |")
    print("|---|---:|---:|")
    for name in engines:
        on, off = results[name, True] * 1e3, results[name, False] * 1e3
        print(f"| {name} | {on:.1f} | {off:.1f} |")
    print()
    print("| ratio | gc on | gc off |")
    print("|---|---:|---:|")
    for ours in ("chainrule", "chainrule-unfused"):
        on = results["micrograd", True] / results[ours, True]
        off = results["micrograd", False] / results[ours, False]
        print(f"| micrograd / {ours} | {on:.1f}x | {off:.1f}x |")
    on = results["chainrule-unfused", True] / results["chainrule", True]
    off = results["chainrule-unfused", False] / results["chainrule", False]
    print(f"| chainrule-unfused / chainrule | {on:.1f}x | {off:.1f}x |")


if __name__ == "__main__":
    main()
