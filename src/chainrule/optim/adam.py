"""Adam and AdamW: adaptive moment estimates, with L2 or decoupled weight decay and AMSGrad."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``).

    For each parameter θ with gradient g (negated if ``maximize``), at step t::

        θ ← θ (1 − lr λ)  if decoupled_weight_decay,  else  g ← g + λ θ    (weight_decay λ)
        m ← m + (1 − β₁) (g − m)                                            (betas β₁, β₂)
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v)  if amsgrad,  else  v̂ ← v
        θ ← θ − lr / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    ``state[p]``: ``step`` t (a 0-d float32 Tensor), ``exp_avg`` m, ``exp_avg_sq`` v and, with
    amsgrad, ``max_exp_avg_sq`` v̂.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_hyper("learning rate", lr)
        _check_hyper("epsilon value", eps)
        _check_hyper("beta parameter at index 0", betas[0], high=1.0)
        _check_hyper("beta parameter at index 1", betas[1], high=1.0)
        _check_hyper("weight_decay value", weight_decay)
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    **_common_options(type(self).__name__, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused),
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd = _value(group["lr"]), group["weight_decay"]
            beta1, beta2 = (_value(b) for b in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0, dtype=_scalar_dtype(group["fused"]))
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                t = _tick(state)
                theta, g = _arrays(p, group["maximize"])
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        theta *= 1 - lr * wd
                    else:
                        g = g + wd * theta
                m += (1 - beta1) * (g - m)  # PyTorch's lerp_(g, 1 - β₁)
                v *= beta2
                v += (1 - beta2) * g * g
                if group["amsgrad"]:
                    v = np.maximum(state["max_exp_avg_sq"]._data, v,
                                   out=state["max_exp_avg_sq"]._data)
                denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
                theta += -lr / (1 - beta1**t) * (m / denom)
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``): ``Adam`` with
    ``decoupled_weight_decay=True``, so each step first shrinks θ ← θ (1 − lr λ) and λ never
    enters the moments. Its ``weight_decay`` defaults to 1e-2.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
