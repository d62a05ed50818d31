"""SGD and Adam against torch.optim (float64), and their argument checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from chainrule.scalar import Value
from chainrule.scalar.optim import SGD, Adam

START = [1.5, -2.0, 0.3]
TARGET = [0.5, 1.0, -1.0]
SCALE = [1.0, 3.0, 0.5]


def quadratic(ps: list[Any]) -> Any:
    """sum_i c_i (p_i - t_i)^2 + p_0 p_1: a coupled quadratic, same code for Values and tensors."""
    total = ps[0] * ps[1]
    for p, t, c in zip(ps, TARGET, SCALE, strict=True):
        total = total + c * (p - t) ** 2
    return total


def run_ours(make: Callable[[list[Value]], Any], steps: int, lr_after: float | None) -> list[float]:
    ps = [Value(x) for x in START]
    opt = make(ps)
    for k in range(steps):
        opt.zero_grad()
        quadratic(ps).backward()
        opt.step()
        if lr_after is not None and k == 1:
            opt.lr = lr_after
    return [p.data for p in ps]


def run_torch(
    make: Callable[[list[torch.Tensor]], Any], steps: int, lr_after: float | None
) -> list[float]:
    ps = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = make(ps)
    for k in range(steps):
        opt.zero_grad()
        quadratic(ps).backward()
        opt.step()
        if lr_after is not None and k == 1:
            for group in opt.param_groups:
                group["lr"] = lr_after
    return [p.item() for p in ps]


CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd-momentum": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    ),
    "adam": (lambda ps: Adam(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1)),
    "adam-options": (
        lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("lr_after", [None, 0.01])
def test_matches_torch_optim(name: str, lr_after: float | None) -> None:
    ours_make, torch_make = CASES[name]
    ours = run_ours(ours_make, 5, lr_after)
    theirs = run_torch(torch_make, 5, lr_after)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert ours != pytest.approx(START, rel=1e-3)  # it did move


def test_sgd_step_by_hand() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.5, momentum=0.5)
    p.grad = 2.0
    opt.step()  # b = 2, p = 1 - 0.5 * 2 = 0
    assert p.data == 0.0
    opt.step()  # b = 0.5 * 2 + 2 = 3, p = 0 - 1.5
    assert p.data == -1.5


def test_adam_first_step_is_lr_times_sign() -> None:
    # with bias correction m_hat = g and v_hat = g^2, so the first step is lr * g / (|g| + eps)
    p, q = Value(1.0), Value(1.0)
    opt = Adam([p, q], lr=0.1, eps=0.0)
    p.grad, q.grad = 123.0, -0.001
    opt.step()
    assert p.data == pytest.approx(0.9, rel=1e-15)
    assert q.data == pytest.approx(1.1, rel=1e-15)


def test_zero_grad() -> None:
    ps = [Value(1.0), Value(2.0)]
    for opt in (SGD(ps, lr=0.1), Adam(ps)):
        (ps[0] * ps[1]).backward()
        assert ps[0].grad != 0.0
        opt.zero_grad()
        assert [p.grad for p in ps] == [0.0, 0.0]


def test_params_may_be_a_generator() -> None:
    ps = [Value(1.0)]
    opt = SGD((p for p in ps), lr=1.0)
    ps[0].grad = 1.0
    opt.step()
    assert ps[0].data == 0.0


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_argument_errors(cls: type) -> None:
    name = cls.__name__
    with pytest.raises(ValueError, match=f"{name}: learning rate must be >= 0, got -0.1"):
        cls([Value(1.0)], lr=-0.1)
    with pytest.raises(ValueError, match=f"{name}: got an empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(TypeError, match=rf"{name}: params\[1\] must be a Value, got float"):
        cls([Value(1.0), 2.0], lr=0.1)


def test_option_errors() -> None:
    with pytest.raises(ValueError, match="momentum"):
        SGD([Value(1.0)], lr=0.1, momentum=-1.0)
    with pytest.raises(ValueError, match="betas"):
        Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="eps"):
        Adam([Value(1.0)], eps=-1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        Adam([Value(1.0)], weight_decay=-1.0)
