"""Recurrent layers and attention vs PyTorch CPU, measured in the same process (float32).

(a) forward + backward of a bidirectional GRU, batch 100, length 40, one input channel per step
    (MNIST-1D), hidden 6; and, for reference, the same GRU written as a composition of chainrule
    ops per time step (what the fused recurrence Function replaces);
(b) the same with hidden 128;
(c) the attention of a GPT block, batch 16, T 64, C 128, 4 heads, causal: nn.MultiheadAttention
    (batch_first, causal mask with the is_causal hint, need_weights=False), forward + backward;
(d) the same attention written as in nanoGPT: a Linear to q, k, v, heads by view/transpose,
    F.scaled_dot_product_attention(is_causal=True), a Linear out.

The weights are PyTorch's, copied by name. Each figure is a median over rounds of loops, the
contenders taking turns (bench_tensor.compare).
Run: .venv/bin/python bench/bench_nn_rnn.py   (ratio = chainrule / torch)
On a loaded machine, two spinning threads per library on two cores make the timings erratic:
BENCH_THREADS=1 OPENBLAS_NUM_THREADS=1 runs both libraries on one thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import chainrule as cr

sys.path.insert(0, str(Path(__file__).parent))
from bench_tensor import compare


def _copy(ours: Any, theirs: Any) -> None:
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def gru(lib: Any, hidden: int, model: Any = None) -> tuple[Callable[[], None], Any]:
    """A training step's forward + backward of the bidirectional GRU."""
    layer = lib.nn.GRU(1, hidden, batch_first=True, bidirectional=True)
    if model is not None:
        _copy(layer, model)
    x = lib.tensor(np.random.default_rng(0).standard_normal((100, 40, 1), dtype=np.float32))

    def step() -> None:
        layer.zero_grad()
        out, h_n = layer(x)
        (out.mean() + h_n.mean()).backward()

    return step, layer


def gru_composition(model: Any) -> Callable[[], None]:
    """The same GRU as chainrule ops per time step (~12 recorded nodes per step)."""
    p = {k: cr.tensor(v.detach().numpy(), requires_grad=True)
         for k, v in model.state_dict().items()}
    x = cr.tensor(np.random.default_rng(0).standard_normal((100, 40, 1), dtype=np.float32))
    n = model.hidden_size

    def direction(suffix: str, steps: range) -> tuple[list[Any], Any]:
        gi = x @ p["weight_ih_l0" + suffix].T + p["bias_ih_l0" + suffix]
        w, b = p["weight_hh_l0" + suffix].T, p["bias_hh_l0" + suffix]
        h = cr.zeros(100, n)
        outs: list[Any] = [None] * len(steps)
        for t in steps:
            gh = h @ w + b
            a = gi[:, t]
            rz = (a[:, :2 * n] + gh[:, :2 * n]).sigmoid()
            z = rz[:, n:]
            c = (a[:, 2 * n:] + rz[:, :n] * gh[:, 2 * n:]).tanh()
            h = c + z * (h - c)
            outs[t] = h
        return outs, h

    def step() -> None:
        for v in p.values():
            v.grad = None
        fw, hf = direction("", range(40))
        bw, hb = direction("_reverse", range(39, -1, -1))
        out = cr.cat([cr.stack(fw, 1), cr.stack(bw, 1)], -1)
        (out.mean() + cr.stack([hf, hb]).mean()).backward()

    return step


def mha(lib: Any, model: Any = None) -> tuple[Callable[[], None], Any]:
    """nn.MultiheadAttention self-attention with a causal mask, forward + backward."""
    layer = lib.nn.MultiheadAttention(128, 4, batch_first=True)
    if model is not None:
        _copy(layer, model)
    x = lib.tensor(np.random.default_rng(0).standard_normal((16, 64, 128), dtype=np.float32),
                   requires_grad=True)
    mask = lib.tensor(np.triu(np.full((64, 64), -np.inf, np.float32), 1))

    def step() -> None:
        layer.zero_grad()
        x.grad = None
        out, _ = layer(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
        out.mean().backward()

    return step, layer


def nanogpt_attention(lib: Any, model: Any = None) -> tuple[Callable[[], None], Any]:
    """nanoGPT's CausalSelfAttention on F.scaled_dot_product_attention, forward + backward."""
    c_attn, c_proj = lib.nn.Linear(128, 384), lib.nn.Linear(128, 128)
    if model is not None:
        _copy(c_attn, model[0])
        _copy(c_proj, model[1])
    x = lib.tensor(np.random.default_rng(0).standard_normal((16, 64, 128), dtype=np.float32),
                   requires_grad=True)
    sdpa = lib.nn.functional.scaled_dot_product_attention

    def step() -> None:
        c_attn.zero_grad()
        c_proj.zero_grad()
        x.grad = None
        q, k, v = c_attn(x).split(128, dim=2)
        q, k, v = (t.view(16, 64, 4, 32).transpose(1, 2) for t in (q, k, v))
        y = sdpa(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(16, 64, 128)
        c_proj(y).mean().backward()

    return step, (c_attn, c_proj)


def main() -> None:
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads "
          f"{torch.get_num_threads()}, OPENBLAS_NUM_THREADS "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")
    rows = []
    torch.manual_seed(0)
    t6, m6 = gru(torch, 6)
    r = compare({"cr": gru(cr, 6, m6)[0], "torch": t6, "composition": gru_composition(m6)})
    rows.append(("(a) bidirectional GRU 100x40x1, hidden 6", r["cr"], r["torch"]))
    t_comp = r["composition"]
    t128, m128 = gru(torch, 128)
    r = compare({"cr": gru(cr, 128, m128)[0], "torch": t128}, rounds=5)
    rows.append(("(b) bidirectional GRU 100x40x1, hidden 128", r["cr"], r["torch"]))
    tm, mm = mha(torch)
    r = compare({"cr": mha(cr, mm)[0], "torch": tm})
    rows.append(("(c) MultiheadAttention 16x64x128, 4 heads, causal", r["cr"], r["torch"]))
    tn, mn = nanogpt_attention(torch)
    r = compare({"cr": nanogpt_attention(cr, mn)[0], "torch": tn})
    rows.append(("(d) nanoGPT attention (SDPA) 16x64x128, 4 heads", r["cr"], r["torch"]))
    print(f"{'benchmark (forward + backward)':52} {'chainrule':>12} {'torch':>12} {'ratio':>7}")
    for name, a, b in rows:
        print(f"{name:52} {a * 1e3:10.2f}ms {b * 1e3:10.2f}ms {a / b:7.2f}")
    print(f"(a) the GRU as a composition of chainrule ops per step: {t_comp * 1e3:.2f}ms = "
          f"{t_comp / rows[0][1]:.1f}x the fused recurrence, {t_comp / rows[0][2]:.2f} of torch's")


if __name__ == "__main__":
    main()
