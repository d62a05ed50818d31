"""Adagrad: per-element steps scaled by the root of the summed squared gradients."""

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
from chainrule.tensor import Tensor, full_like, tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's ``torch.optim.Adagrad``).

    For each parameter θ with gradient g (negated if ``maximize``), at step t::

        g ← g + λ θ                                   (weight_decay λ)
        s ← s + g²                                    (s starts at initial_accumulator_value)
        θ ← θ − lr / (1 + (t − 1) η) · g / (√s + ε)   (lr_decay η)

    ``state[p]``: ``step`` t (a 0-d float32 Tensor) and ``sum`` s, made at construction for
    every parameter. As PyTorch's, s starts at the constructor's ``initial_accumulator_value``
    in every group, also in groups that set their own or are added later.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_hyper("learning rate", lr)
        _check_hyper("lr_decay value", lr_decay)
        _check_hyper("weight_decay value", weight_decay)
        _check_hyper("initial_accumulator_value value", initial_accumulator_value)
        _check_hyper("epsilon value", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize,
                    **_common_options("Adagrad", foreach=foreach,
                                      differentiable=differentiable, fused=fused)}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        state["step"] = tensor(0.0, dtype=_scalar_dtype(group["fused"]))
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adagrad update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd = _value(group["lr"]), group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not self.state[p]:
                    self._init_state(p, group)
                state = self.state[p]
                t = _tick(state)
                theta, g = _arrays(p, group["maximize"])
                if wd != 0:
                    g = g + wd * theta
                clr = lr / (1 + (t - 1) * group["lr_decay"])
                s = state["sum"]._data
                s += g * g
                theta += -clr * (g / (np.sqrt(s) + group["eps"]))
        return loss
