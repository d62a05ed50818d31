"""Optimizers over Values: SGD (with momentum) and Adam, with PyTorch's update rules.

Each reads ``p.grad`` (filled by ``backward()``) and changes ``p.data`` in place. ``lr`` is a
plain attribute, so a schedule is just ``opt.lr = ...`` between steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from chainrule.scalar.value import Value


def _check_params(name: str, params: Iterable[Value]) -> list[Value]:
    params = list(params)
    if not params:
        raise ValueError(f"{name}: got an empty parameter list")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"{name}: params[{i}] must be a Value, got {type(p).__name__}")
    return params


def _check_lr(name: str, lr: float) -> None:
    if not lr >= 0.0:  # also rejects nan
        raise ValueError(f"{name}: learning rate must be >= 0, got {lr!r}")


class Optimizer:
    """Holds the parameters; ``zero_grad()`` sets every p.grad = 0."""

    def __init__(self, name: str, params: Iterable[Value], lr: float) -> None:
        self.params = _check_params(name, params)
        _check_lr(name, lr)
        self.lr = lr

    def zero_grad(self) -> None:
        """p.grad = 0 for every parameter (leaf grads accumulate across backward calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    With momentum mu, each parameter keeps a buffer b (b = g on the first step):
        b <- mu * b + g,    p <- p - lr * b.
    Without momentum this is p <- p - lr * g.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__("SGD", params, lr)
        if not momentum >= 0.0:
            raise ValueError(f"SGD: momentum must be >= 0, got {momentum!r}")
        self.momentum = momentum
        self._buf: list[float] | None = None

    def step(self) -> None:
        """One update of every parameter from its current ``grad``."""
        lr, mu = self.lr, self.momentum
        if mu == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        if self._buf is None:
            self._buf = [p.grad for p in self.params]
        else:
            buf = self._buf
            for i, p in enumerate(self.params):
                buf[i] = mu * buf[i] + p.grad
        for p, b in zip(self.params, self._buf, strict=True):
            p.data -= lr * b


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (weight_decay as L2, not AdamW).

    At step t with gradient g (plus weight_decay * p when weight_decay > 0):
        m <- b1 m + (1 - b1) g,          v <- b2 v + (1 - b2) g^2,
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__("Adam", params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas!r}")
        if not eps >= 0.0:
            raise ValueError(f"Adam: eps must be >= 0, got {eps!r}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Adam: weight_decay must be >= 0, got {weight_decay!r}")
        self.betas = (b1, b2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter from its current ``grad``."""
        self.t += 1
        b1, b2 = self.betas
        eps, wd = self.eps, self.weight_decay
        step_size = self.lr / (1.0 - b1**self.t)
        bc2_sqrt = math.sqrt(1.0 - b2**self.t)
        m, v = self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / bc2_sqrt + eps)
