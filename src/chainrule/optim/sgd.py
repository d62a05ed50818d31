"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.autograd import no_grad
from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    _arrays,
    _check_hyper,
    _common_options,
    _value,
)
from chainrule.tensor import tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``).

    For each parameter θ with gradient g (negated if ``maximize``), at step t::

        g ← g + λ θ                                   (weight_decay λ)
        b ← g at t = 1,  else  b ← μ b + (1 − τ) g     (momentum μ, dampening τ)
        g ← g + μ b  if nesterov,  else  g ← b          (when μ ≠ 0)
        θ ← θ − lr g
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_hyper("learning rate", lr)
        _check_hyper("momentum value", momentum)
        _check_hyper("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    **_common_options("SGD", foreach=foreach, differentiable=differentiable,
                                      fused=fused)}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, mu, wd = _value(group["lr"]), group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                theta, g = _arrays(p, group["maximize"])
                if wd != 0:
                    g = g + wd * theta
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = tensor(g)  # a copy
                        b = g
                    else:
                        b = state["momentum_buffer"]._data
                        b *= mu
                        b += (1 - group["dampening"]) * g
                    g = g + mu * b if group["nesterov"] else b
                theta += -lr * g
        return loss
