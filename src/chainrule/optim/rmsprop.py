"""RMSprop: steps scaled by a running root mean square of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd import no_grad
from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    _arrays,
    _check_hyper,
    _common_options,
    _scalar_dtype,
    _tick,
    _value,
)
from chainrule.tensor import Tensor, tensor, zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``).

    For each parameter θ with gradient g (negated if ``maximize``)::

        g ← g + λ θ                                            (weight_decay λ)
        v ← α v + (1 − α) g²                                    (alpha α)
        ḡ ← α ḡ + (1 − α) g,  a ← √(v − ḡ²) + ε   if centered,  else  a ← √v + ε
        b ← μ b + g / a,  θ ← θ − lr b   if μ > 0,  else  θ ← θ − lr g / a   (momentum μ)

    ``state[p]``: ``step`` (a 0-d float32 Tensor, counted but unused), ``square_avg`` v,
    ``momentum_buffer`` b if μ > 0, ``grad_avg`` ḡ if centered.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_hyper("learning rate", lr)
        _check_hyper("epsilon value", eps)
        _check_hyper("momentum value", momentum)
        _check_hyper("weight_decay value", weight_decay)
        _check_hyper("alpha value", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize,
                    **_common_options("RMSprop", capturable=capturable, foreach=foreach,
                                      differentiable=differentiable)}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, mu = _value(group["lr"]), group["alpha"], group["momentum"]
            wd = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0, dtype=_scalar_dtype())
                    state["square_avg"] = zeros_like(p)
                    if mu > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                _tick(state)
                theta, g = _arrays(p, group["maximize"])
                if wd != 0:
                    g = g + wd * theta
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    g_avg = state["grad_avg"]._data
                    g_avg += (1 - alpha) * (g - g_avg)  # PyTorch's lerp_(g, 1 - α)
                    avg = np.sqrt(v - g_avg * g_avg) + group["eps"]
                else:
                    avg = np.sqrt(v) + group["eps"]
                if mu > 0:
                    b = state["momentum_buffer"]._data
                    b *= mu
                    b += g / avg
                    theta += -lr * b
                else:
                    theta += -lr * (g / avg)
        return loss
