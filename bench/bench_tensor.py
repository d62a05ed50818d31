"""Tensor engine vs PyTorch CPU, measured in the same process.

(a) ten elementwise ops on float32[8] + sum, forward + backward (and, for reference, a bare
    engine with none of the PyTorch semantics on the same NumPy calls);
(b) an MLP step 64x784 -> 128 -> 10 (relu, log_softmax + indexing cross-entropy), forward +
    backward (and, for reference, the step by hand in NumPy, and its two large products alone in
    NumPy and in PyTorch: the BLAS part of the step);
(c) a large MLP step (batch 512, 1024-wide layers): the fraction of NumPy's own matmul FLOP rate
    that the whole step reaches.

Each benchmark's contenders take turns (see ``compare``); each figure is a median over rounds.
Run: .venv/bin/python bench/bench_tensor.py   (prints a table; ratio = chainrule / torch)
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

import chainrule as cr


def _loop_size(fn: Callable[[], object], min_time: float) -> int:
    """Calls per sample: doubled until a loop takes >= min_time (after 3 warm-up calls)."""
    for _ in range(3):
        fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time:
            return n
        n *= 2


def compare(fns: dict[str, Callable[[], object]], rounds: int = 7, min_time: float = 0.05,
            settle: float = 0.25) -> dict[str, float]:
    """Median time per call of each function, the functions taking turns.

    Each round times one loop (>= min_time) of every function, in an order rotated from round to
    round, so slow phases of a shared machine fall on each function alike. Before each timed loop
    the function runs untimed for ``settle`` seconds: the other library's worker threads
    (PyTorch's OpenMP, NumPy's OpenBLAS) busy-wait for a while after its last call, and on 2
    cores they would slow down whatever runs next; this also warms caches and clocks.
    """
    sizes = {name: _loop_size(fn, min_time) for name, fn in fns.items()}
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn, n = fns[name], sizes[name]
            t_end = time.perf_counter() + settle
            while time.perf_counter() < t_end:
                fn()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(xs) for name, xs in samples.items()}


def elementwise(lib: object, tensor: Callable[..., object]) -> Callable[[], None]:
    x = tensor(np.linspace(0.1, 0.8, 8, dtype=np.float32), requires_grad=True)
    w = tensor(np.full(8, 0.5, dtype=np.float32), requires_grad=True)

    def step() -> None:
        x.grad = None
        w.grad = None
        y = x * w
        y = y + 1.0
        y = y.exp()
        y = y * x
        y = y - w
        y = y / 2.0
        y = y.tanh()
        y = y * y
        y = y.sigmoid()
        y = y.relu()
        y.sum().backward()

    return step


class _Bare:
    """A bare reverse-mode engine over NumPy, micrograd style, for (a)'s ten ops only: each
    result holds its inputs and a closure over the arrays its rule needs. No version counters,
    no gradient shape/dtype checks, no hooks, no freeing of saved buffers, no grad_fn objects:
    the floor for a Python engine on the same NumPy calls, not a usable library."""

    __slots__ = ("data", "grad", "parents", "rule")

    def __init__(self, data: np.ndarray, rule: Callable | None = None,
                 parents: tuple[_Bare, ...] = ()) -> None:
        self.data, self.grad, self.rule, self.parents = data, None, rule, parents

    def __mul__(self, other: _Bare) -> _Bare:
        a, b = self.data, other.data
        return _Bare(a * b, lambda g: (g * b, g * a), (self, other))

    def __add__(self, c: float) -> _Bare:
        return _Bare(self.data + c, lambda g: (g,), (self,))

    def __sub__(self, other: _Bare) -> _Bare:
        return _Bare(self.data - other.data, lambda g: (g, -g), (self, other))

    def __truediv__(self, c: float) -> _Bare:
        return _Bare(self.data / c, lambda g: (g / c,), (self,))

    def exp(self) -> _Bare:
        with np.errstate(over="ignore"):
            y = np.exp(self.data)
        return _Bare(y, lambda g: (g * y,), (self,))

    def tanh(self) -> _Bare:
        y = np.tanh(self.data)
        return _Bare(y, lambda g: (g * (1 - y * y),), (self,))

    def sigmoid(self) -> _Bare:
        with np.errstate(over="ignore"):
            y = 1 / (1 + np.exp(-self.data))
        return _Bare(y, lambda g: (g * y * (1 - y),), (self,))

    def relu(self) -> _Bare:
        y = np.maximum(self.data, 0)
        return _Bare(y, lambda g: (g * (y > 0),), (self,))

    def sum(self) -> _Bare:
        shape = self.data.shape

        def rule(g: np.ndarray) -> tuple[np.ndarray]:
            out = np.empty(shape, g.dtype)
            out[...] = g
            return (out,)

        return _Bare(np.asarray(self.data.sum()), rule, (self,))

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth-first post-order
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents)
        grads = {self: np.ones((), self.data.dtype)}
        for node in reversed(order):
            g = grads.pop(node)
            if node.rule is None:  # a leaf
                node.grad = g if node.grad is None else node.grad + g
                continue
            for p, pg in zip(node.parents, node.rule(g), strict=True):
                grads[p] = grads[p] + pg if p in grads else pg


def mlp(lib: object, tensor: Callable[..., object], batch: int, sizes: list[int],
        seed: int = 0) -> Callable[[], None]:
    rng = np.random.default_rng(seed)
    x = tensor(rng.standard_normal((batch, sizes[0]), dtype=np.float32))
    y = tensor(rng.integers(0, sizes[-1], size=batch))
    params = []
    for n_in, n_out in itertools.pairwise(sizes):
        w = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
        params += [tensor(w, requires_grad=True),
                   tensor(np.zeros(n_out, np.float32), requires_grad=True)]
    rows = tensor(np.arange(batch))

    def step() -> None:
        for p in params:
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        logp = h.log_softmax(dim=1)
        loss = -logp[rows, y].mean()
        loss.backward()

    return step


def mlp_numpy(batch: int, sizes: list[int], seed: int = 0) -> Callable[[], None]:
    """(b) written by hand in NumPy, forward and backward, no autograd: the floor any NumPy
    engine pays for the same arithmetic (its matmuls run on NumPy's BLAS, not PyTorch's)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
          for a, b in itertools.pairwise(sizes)]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    rows = np.arange(batch)

    def step() -> None:
        acts, pre = [x], []
        for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
            z = acts[-1] @ w + b
            pre.append(z)
            acts.append(np.maximum(z, 0) if i + 1 < len(ws) else z)
        o = acts[-1]
        shifted = o - o.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        _ = -logp[rows, y].mean()
        g = np.zeros_like(logp)
        g[rows, y] = -1.0 / batch
        g = g - np.exp(logp) * g.sum(axis=1, keepdims=True)
        for i in range(len(ws) - 1, -1, -1):
            _ = acts[i].T @ g
            _ = g.sum(axis=0)
            if i:
                g = (g @ ws[i].T) * (pre[i - 1] > 0)

    return step


def matmul_only(batch: int, sizes: list[int]) -> Callable[[], None]:
    """The step's matrix products alone in NumPy: forward X W, backward G W^T and X^T G."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    ws = [rng.standard_normal((a, b), dtype=np.float32) for a, b in itertools.pairwise(sizes)]

    def step() -> None:
        acts = [x]
        for w in ws:
            acts.append(acts[-1] @ w)
        g = np.ones_like(acts[-1])
        for i in range(len(ws) - 1, -1, -1):
            _ = acts[i].T @ g
            if i:
                g = g @ ws[i].T

    return step


def large_products(lib: object, tensor: Callable[..., object]) -> Callable[[], None]:
    """(b)'s two large products alone: x @ W1 (forward) and x^T @ g (W1's gradient), on the
    library's own arrays (NumPy's OpenBLAS or PyTorch's BLAS), no autograd."""
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((64, 784), dtype=np.float32))
    w = tensor(rng.standard_normal((784, 128), dtype=np.float32))
    g = tensor(rng.standard_normal((64, 128), dtype=np.float32))

    def step() -> None:
        _ = x @ w
        _ = x.T @ g

    return step


def flops(batch: int, sizes: list[int]) -> float:
    return 3 * sum(2.0 * batch * a * b for a, b in itertools.pairwise(sizes))


def main() -> None:
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads "
          f"{torch.get_num_threads()}")
    rows = []
    a = compare({"cr": elementwise(cr, cr.tensor), "torch": elementwise(torch, torch.tensor),
                 "bare": elementwise(None, lambda d, requires_grad: _Bare(d))})
    rows.append(("(a) 10 elementwise ops, float32[8] + sum, fwd+bwd", a["cr"], a["torch"]))
    t_bare = a["bare"]
    small = [784, 128, 10]
    b = compare({"cr": mlp(cr, cr.tensor, 64, small), "torch": mlp(torch, torch.tensor, 64, small),
                 "numpy": mlp_numpy(64, small)})
    rows.append(("(b) MLP step 64x784 -> 128 -> 10, fwd+bwd", b["cr"], b["torch"]))
    t_np_small = b["numpy"]
    blas = compare({"numpy": large_products(np, np.asarray),
                    "torch": large_products(torch, torch.as_tensor)})
    big = [1024, 1024, 1024, 10]
    c = compare({"cr": mlp(cr, cr.tensor, 512, big), "torch": mlp(torch, torch.tensor, 512, big),
                 "numpy": matmul_only(512, big)}, rounds=5)
    t_cr_big, t_np = c["cr"], c["numpy"]
    rows.append(("(c) MLP step 512x1024 -> 1024 -> 1024 -> 10", t_cr_big, c["torch"]))
    print(f"{'benchmark':52} {'chainrule':>12} {'torch':>12} {'ratio':>7}")
    for name, a, b in rows:
        print(f"{name:52} {a * 1e6:10.1f}us {b * 1e6:10.1f}us {a / b:7.2f}")
    print(f"(a) a bare micrograd-style engine on the same NumPy calls: {t_bare * 1e6:.1f}us = "
          f"{t_bare / rows[0][2]:.2f} of torch's time")
    print(f"(b) the same step by hand in NumPy (no autograd): {t_np_small * 1e6:.1f}us = "
          f"{t_np_small / rows[1][2]:.2f} of torch's time; chainrule's overhead over it: "
          f"{(rows[1][1] - t_np_small) * 1e6:.1f}us")
    print(f"(b) its two large products alone (x @ W1, x.T @ g): NumPy {blas['numpy'] * 1e6:.1f}us, "
          f"torch {blas['torch'] * 1e6:.1f}us")
    f = flops(512, big)
    print(f"(c) NumPy matmuls alone: {t_np * 1e3:.2f} ms = {f / t_np / 1e9:.1f} GFLOP/s; "
          f"chainrule step {f / t_cr_big / 1e9:.1f} GFLOP/s = {t_np / t_cr_big:.0%} of NumPy's "
          f"matmul rate")


if __name__ == "__main__":
    main()
