"""RMSprop: steps scaled by a running root mean square of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.autograd import no_grad
from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    _check_hyper,
    _common_options,
    _scalar_dtype,
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
            lr, alpha, mu = group["lr"], group["alpha"], group["momentum"]
            wd = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0, dtype=_scalar_dtype())
                    state["square_avg"] = zeros_like(p)
                    if mu > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                state["step"] += 1
                if wd != 0:
                    g = g.add(p, alpha=wd)
                v = state["square_avg"].mul_(alpha).add_(g * g, alpha=1 - alpha)
                if group["centered"]:
                    g_avg = state["grad_avg"]
                    g_avg.add_(g - g_avg, alpha=1 - alpha)  # PyTorch's lerp_(g, 1 - α)
                    avg = (v - g_avg * g_avg).sqrt()
                else:
                    avg = v.sqrt()
                avg.add_(group["eps"])
                if mu > 0:
                    buf = state["momentum_buffer"].mul_(mu).add_(g / avg)
                    p.add_(buf, alpha=-lr)
                else:
                    p.add_(g / avg, alpha=-lr)
        return loss
