"""optim.lr_scheduler: every schedule's learning rates (and momentums) equal torch's, step by step,
for two parameter groups; state dicts, resuming, step(epoch), warnings and argument checks."""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as torch_sched

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler as our_sched
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch

LRS = (0.1, 0.025)
STEPS = 200
LIBS = {"ours": our_sched, "torch": torch_sched}


class Plain:
    """Makers of an optimizer with no momentum option (for cycle_momentum's check)."""

    class Ours(optim.Optimizer):
        def __init__(self, params: Any, lr: float = 0.1) -> None:
            super().__init__(params, {"lr": lr})

    class Torch(torch.optim.Optimizer):
        def __init__(self, params: Any, lr: float = 0.1) -> None:
            super().__init__(params, {"lr": lr})


def make_optimizer(side: str, momentum: float = 0.9, plain: bool = False) -> Any:
    """SGD over two parameter groups with lrs LRS (no gradients: steps change nothing)."""
    if side == "ours":
        params = [cr.zeros(2, requires_grad=True) for _ in LRS]
        cls = Plain.Ours if plain else optim.SGD
    else:
        params = [torch.zeros(2, requires_grad=True) for _ in LRS]
        cls = Plain.Torch if plain else torch.optim.SGD
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS, strict=True)]
    return cls(groups, lr=LRS[0]) if plain else cls(groups, lr=LRS[0], momentum=momentum)


def record(sched: Any, opt: Any) -> list[float]:
    """get_last_lr() and each group's momentum."""
    return [*sched.get_last_lr(), *(g.get("momentum", 0.0) for g in opt.param_groups)]


def run(make: Callable[[Any, Any], Any], side: str, steps: int = STEPS) -> list[list[float]]:
    opt = make_optimizer(side)
    sched = make(LIBS[side], opt)
    seq = [record(sched, opt)]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(record(sched, opt))
    return seq


def assert_same(ours: Any, theirs: Any) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64),
                               np.asarray(theirs, dtype=np.float64), rtol=1e-12, atol=0)


class Halve:
    """A callable lr_lambda object: LambdaLR saves its ``__dict__`` in state dicts."""

    def __init__(self, every: int) -> None:
        self.every = every

    def __call__(self, epoch: int) -> float:
        return 0.5 ** (epoch // self.every)


CASES: dict[str, Callable[[Any, Any], Any]] = {
    "lambda": lambda L, o: L.LambdaLR(o, lambda e: 1 / (1 + 0.05 * e)),
    "lambda_list": lambda L, o: L.LambdaLR(o, [lambda e: 0.99**e, Halve(30)]),
    "multiplicative": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "multiplicative_list": lambda L, o: L.MultiplicativeLR(
        o, [lambda e: 0.99, lambda e: 1.0 if e % 10 else 0.5]),
    "step": lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
    "step_default": lambda L, o: L.StepLR(o, 30),
    "multistep": lambda L, o: L.MultiStepLR(o, [10, 50, 50, 120], gamma=0.3),
    "constant": lambda L, o: L.ConstantLR(o),
    "constant_long": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=20),
    "linear": lambda L, o: L.LinearLR(o),
    "linear_warmup": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=50),
    "linear_decay": lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.0,
                                            total_iters=STEPS),
    "exponential": lambda L, o: L.ExponentialLR(o, gamma=0.98),
    "polynomial": lambda L, o: L.PolynomialLR(o),
    "polynomial_sq": lambda L, o: L.PolynomialLR(o, total_iters=100, power=2.0),
    "cosine": lambda L, o: L.CosineAnnealingLR(o, T_max=STEPS, eta_min=1e-4),
    "cosine_periodic": lambda L, o: L.CosineAnnealingLR(o, T_max=50),
    "cosine_short": lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "warm_restarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10),
    "warm_restarts_mult": lambda L, o: L.CosineAnnealingWarmRestarts(o, 5, T_mult=2,
                                                                     eta_min=1e-3),
    "cyclic": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=20),
    "cyclic_triangular2": lambda L, o: L.CyclicLR(o, [0.01, 0.001], [0.1, 0.05], step_size_up=15,
                                                  step_size_down=5, mode="triangular2"),
    "cyclic_exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 10, mode="exp_range", gamma=0.99,
                                                base_momentum=0.7, max_momentum=0.95),
    "cyclic_scale_fn": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 8,
                                               scale_fn=lambda x: 1 / (1 + 0.1 * x),
                                               scale_mode="iterations", cycle_momentum=False),
    "one_cycle": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "one_cycle_linear": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=STEPS + 50,
                                                  anneal_strategy="linear", pct_start=0.25),
    "one_cycle_three_phase": lambda L, o: L.OneCycleLR(o, 0.5, epochs=10, steps_per_epoch=20,
                                                       three_phase=True, div_factor=10.0,
                                                       final_div_factor=100.0),
    "one_cycle_momentum": lambda L, o: L.OneCycleLR(o, 1.0, STEPS, base_momentum=[0.8, 0.7],
                                                    max_momentum=0.99, pct_start=0.45),
    "one_cycle_no_momentum": lambda L, o: L.OneCycleLR(o, 1.0, STEPS, cycle_momentum=False),
    "sequential": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=10), L.CosineAnnealingLR(o, T_max=190)],
        milestones=[10]),
    "sequential_three": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.5, total_iters=3), L.ExponentialLR(o, gamma=0.97),
            L.StepLR(o, step_size=15)], milestones=[5, 60]),
    "chained": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=10), L.ExponentialLR(o, gamma=0.99)]),
    "chained_optimizer": lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.2, total_iters=20), L.StepLR(o, 40, gamma=0.5)],
        optimizer=o),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_equals_torch(name: str) -> None:
    ours, theirs = run(CASES[name], "ours"), run(CASES[name], "torch")
    assert_same(ours, theirs)
    assert len({tuple(r) for r in theirs}) > 1  # the schedule moves


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name: str) -> None:
    make = CASES[name]
    expected = run(make, "ours")
    opt = make_optimizer("ours")
    sched = make(our_sched, opt)
    for _ in range(100):
        opt.step()
        sched.step()
    theirs = make(torch_sched, make_optimizer("torch"))
    assert set(sched.state_dict()) == set(theirs.state_dict())
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    del sched, opt
    opt = make_optimizer("ours", momentum=0.5)
    sched = make(our_sched, opt)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    seq = [record(sched, opt)]
    for _ in range(100):
        opt.step()
        sched.step()
        seq.append(record(sched, opt))
    assert seq == expected[100:]


def test_lambda_state_dict_saves_callable_objects_only() -> None:
    sides = {}
    for side in LIBS:
        opt = make_optimizer(side)
        sched = LIBS[side].LambdaLR(opt, [lambda e: 1.0, Halve(7)])
        sides[side] = sched.state_dict()["lr_lambdas"]
    assert sides["ours"] == sides["torch"] == [None, {"every": 7}]
    opt = make_optimizer("ours")
    fn = Halve(1)
    sched = our_sched.LambdaLR(opt, [lambda e: 1.0, fn])
    sched.load_state_dict({**sched.state_dict(), "lr_lambdas": [None, {"every": 3}]})
    assert fn.every == 3


def test_resume_with_last_epoch() -> None:
    """A scheduler built with last_epoch=k on an optimizer that has initial_lr continues."""
    for make in (lambda L, o, e: L.CosineAnnealingLR(o, 40, 1e-3, last_epoch=e),
                 lambda L, o, e: L.StepLR(o, 5, last_epoch=e),
                 lambda L, o, e: L.OneCycleLR(o, 1.0, 100, last_epoch=e)):
        seqs = {}
        for side, lib in LIBS.items():
            opt = make_optimizer(side)
            sched = make(lib, opt, -1)
            for _ in range(30):
                opt.step()
                sched.step()
            sched = make(lib, opt, 29)
            seqs[side] = [record(sched, opt)]
            for _ in range(50):
                opt.step()
                sched.step()
                seqs[side].append(record(sched, opt))
        assert_same(seqs["ours"], seqs["torch"])


EPOCHS = [0, 3, 10, 4, 4, 60, 61, 150, 7, 199]


@pytest.mark.parametrize("name", ["step", "multistep", "constant_long", "linear_warmup",
                                  "exponential", "polynomial_sq", "cosine_periodic", "lambda",
                                  "multiplicative"])
def test_step_with_epoch_equals_torch(name: str) -> None:
    """step(epoch) (deprecated) uses the closed form where there is one, as torch's."""
    seqs = {}
    for side, lib in LIBS.items():
        opt = make_optimizer(side)
        sched = CASES[name](lib, opt)
        seqs[side] = []
        for epoch in EPOCHS:
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched.step(epoch)
            seqs[side].append(record(sched, opt))
    assert_same(seqs["ours"], seqs["torch"])
    with pytest.warns(UserWarning, match="epoch parameter"):
        opt = make_optimizer("ours")
        sched = CASES[name](our_sched, opt)
        opt.step()
        sched.step(5)


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs(t_mult: int) -> None:
    seqs = {}
    for side, lib in LIBS.items():
        opt = make_optimizer(side)
        sched = lib.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=t_mult, eta_min=0.002)
        seqs[side] = []
        for epoch in range(40):
            for i in range(7):
                opt.step()
                sched.step(epoch + i / 7)
                seqs[side].append([*record(sched, opt), sched.T_cur, sched.T_i,
                                   sched.last_epoch])
    assert_same(seqs["ours"], seqs["torch"])


METRICS = ([10.0 / (1 + i) for i in range(20)] + [0.5] * 15
           + [0.5 + 0.01 * math.sin(7.0 * i) for i in range(40)]
           + [0.4 - 0.005 * i for i in range(30)] + [0.3 + 0.02 * math.cos(3.0 * i)
                                                      for i in range(45)])

PLATEAU_CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "patience": {"patience": 3, "factor": 0.5},
    "max_abs": {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 2},
    "max_rel": {"mode": "max", "patience": 4, "factor": 0.3},
    "cooldown": {"patience": 2, "cooldown": 5, "threshold": 0.05},
    "min_lr": {"patience": 1, "factor": 0.2, "min_lr": [1e-3, 1e-4]},
    "min_lr_scalar": {"patience": 0, "min_lr": 5e-4, "eps": 1e-5},
    "big_eps": {"patience": 1, "factor": 0.9, "eps": 0.003},
}


@pytest.mark.parametrize("name", list(PLATEAU_CASES))
def test_reduce_on_plateau_equals_torch(name: str) -> None:
    kwargs = PLATEAU_CASES[name]
    seqs = {}
    for side, lib in LIBS.items():
        opt = make_optimizer(side)
        sched = lib.ReduceLROnPlateau(opt, **kwargs)
        metrics = [-m for m in METRICS] if kwargs.get("mode") == "max" else METRICS
        seqs[side] = []
        for m in metrics:
            opt.step()
            sched.step(m if side == "torch" else cr.tensor(m, dtype=cr.float64))
            seqs[side].append([*sched.get_last_lr(), *(g["lr"] for g in opt.param_groups),
                               sched.best, sched.num_bad_epochs, sched.cooldown_counter,
                               sched.last_epoch])
    assert_same(seqs["ours"], seqs["torch"])
    assert len({tuple(r[:2]) for r in seqs["torch"]}) > 1


def test_reduce_on_plateau_state_dict_round_trip() -> None:
    def make(opt: Any) -> Any:
        return our_sched.ReduceLROnPlateau(opt, patience=2, cooldown=3, factor=0.5)

    opt = make_optimizer("ours")
    sched = make(opt)
    expected = []
    for m in METRICS:
        sched.step(m)
        expected.append(sched.get_last_lr())
    opt = make_optimizer("ours")
    sched = make(opt)
    for m in METRICS[:80]:
        sched.step(m)
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    opt = make_optimizer("ours")
    sched = make(opt)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    assert [sched.step(m) or sched.get_last_lr() for m in METRICS[80:]] == expected[80:]


def test_package_layout() -> None:
    assert optim.lr_scheduler is our_sched
    assert optim.lr_scheduler.StepLR is our_sched.StepLR
    for name in torch_sched.__all__:
        assert hasattr(our_sched, name), name


def test_initial_lr_and_base_lrs() -> None:
    opt = make_optimizer("ours")
    sched = our_sched.ExponentialLR(opt, 0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS) == sched.base_lrs
    assert sched.last_epoch == 0 and sched.get_last_lr() == list(LRS)
    opt.step()
    sched.step()
    assert sched.last_epoch == 1 and sched.get_last_lr() == [0.05, 0.0125]
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.0125]
    # a second scheduler keeps the first one's initial_lr
    assert our_sched.StepLR(opt, 2).base_lrs == list(LRS)


def test_warnings_as_torch() -> None:
    opt = make_optimizer("ours")
    sched = our_sched.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt = make_optimizer("ours")
    sched = our_sched.StepLR(opt, 3)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # the right order: no warning
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    opt = make_optimizer("ours")
    sched = our_sched.StepLR(opt, 3)
    opt.step = lambda closure=None: None  # replaced after the scheduler wrapped it
    with pytest.warns(UserWarning, match="overridden"):
        sched.step()


def test_one_cycle_past_total_steps() -> None:
    for side, lib in LIBS.items():
        opt = make_optimizer(side)
        sched = lib.OneCycleLR(opt, 1.0, total_steps=5)
        for _ in range(5):
            opt.step()
            sched.step()
        raises_with(ValueError, sched.step, "Tried to step 6 times",
                    "total steps is 5")


def other_sched(lib: Any) -> Any:
    side = "ours" if lib is our_sched else "torch"
    return lib.StepLR(make_optimizer(side), 3)


def plain_opt(lib: Any) -> Any:
    return make_optimizer("ours" if lib is our_sched else "torch", plain=True)


BAD: dict[str, tuple[Callable[[Any, Any], Any], type[BaseException], str]] = {
    "not_optimizer": (lambda L, o: L.StepLR("sgd", 3), TypeError, "str is not an Optimizer"),
    "resume_without_initial_lr": (lambda L, o: L.StepLR(o, 3, last_epoch=4), KeyError,
                                  "param 'initial_lr' is not specified in param_groups[0]"),
    "lambda_count": (lambda L, o: L.LambdaLR(o, [lambda e: 1.0]), ValueError,
                     "Expected 2 lr_lambdas, but got 1"),
    "multiplicative_count": (lambda L, o: L.MultiplicativeLR(o, (abs, abs, abs)), ValueError,
                             "Expected 2 lr_lambdas, but got 3"),
    "multiplicative_not_callable": (lambda L, o: L.MultiplicativeLR(o, 0.9), TypeError,
                                    "lr_lambda should be a function, but got float"),
    "constant_factor": (lambda L, o: L.ConstantLR(o, factor=1.5), ValueError,
                        "between 0 and 1"),
    "linear_start": (lambda L, o: L.LinearLR(o, start_factor=0), ValueError,
                     "Starting multiplicative factor"),
    "linear_end": (lambda L, o: L.LinearLR(o, end_factor=1.5), ValueError,
                   "Ending multiplicative factor"),
    "warm_t0": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 0), ValueError,
                "Expected positive integer T_0, but got 0"),
    "warm_t0_float": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2.5), ValueError, "T_0"),
    "warm_t_mult": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError,
                    "Expected integer T_mult >= 1, but got 0"),
    "warm_eta_min": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), ValueError,
                     "Expected float or int eta_min"),
    "warm_negative_epoch": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2).step(-1),
                            ValueError, "Expected non-negative epoch, but got -1"),
    "cyclic_mode": (lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="square"), ValueError,
                    "mode is invalid and scale_fn is None"),
    "cyclic_max_lr": (lambda L, o: L.CyclicLR(o, 0.1, [1.0]), ValueError,
                      "max_lr must have the same length as optimizer.param_groups"),
    "cyclic_no_momentum": (lambda L, o: L.CyclicLR(plain_opt(L), 0.1, 1.0), ValueError,
                           "optimizer must support momentum or beta1"),
    "one_cycle_total": (lambda L, o: L.OneCycleLR(o, 1.0, total_steps=0), ValueError,
                        "Expected positive integer total_steps, but got 0"),
    "one_cycle_total_float": (lambda L, o: L.OneCycleLR(o, 1.0, total_steps=10.0), ValueError,
                              "total_steps"),
    "one_cycle_epochs": (lambda L, o: L.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3),
                         ValueError, "Expected positive integer epochs, but got 0"),
    "one_cycle_steps_per_epoch": (lambda L, o: L.OneCycleLR(o, 1.0, epochs=2,
                                                            steps_per_epoch=-3),
                                  ValueError, "Expected positive integer steps_per_epoch"),
    "one_cycle_no_length": (lambda L, o: L.OneCycleLR(o, 1.0, epochs=3), ValueError,
                            "You must define either total_steps OR"),
    "one_cycle_pct": (lambda L, o: L.OneCycleLR(o, 1.0, 10, pct_start=1.5), ValueError,
                      "Expected float between 0 and 1 pct_start, but got 1.5"),
    "one_cycle_pct_int": (lambda L, o: L.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError,
                          "pct_start"),
    "one_cycle_anneal": (lambda L, o: L.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
                         ValueError, "anneal_strategy must be one of 'cos' or 'linear'"),
    "one_cycle_max_lr": (lambda L, o: L.OneCycleLR(o, [1.0, 2.0, 3.0], 10), ValueError,
                         "max_lr must have the same length"),
    "one_cycle_no_momentum": (lambda L, o: L.OneCycleLR(plain_opt(L), 1.0, 10), ValueError,
                              "optimizer must support momentum or beta1"),
    "sequential_empty": (lambda L, o: L.SequentialLR(o, [], []), ValueError,
                         "SequentialLR expects at least one scheduler"),
    "sequential_milestones": (lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], [3]),
                              ValueError, "number of schedulers 1 and the number of milestones"),
    "sequential_other_optimizer": (lambda L, o: L.SequentialLR(o, [other_sched(L)], []),
                                   ValueError, "expects all schedulers to belong to the same"),
    "sequential_plateau": (lambda L, o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], []),
                           ValueError, "does not support `ReduceLROnPlateau`"),
    "sequential_not_scheduler": (lambda L, o: L.SequentialLR(o, [3], []), TypeError,
                                 "at index 0 should have `optimizer` as its attribute"),
    "chained_empty": (lambda L, o: L.ChainedScheduler([]), ValueError,
                      "ChainedScheduler expects at least one scheduler to be chained"),
    "chained_other_optimizer": (lambda L, o: L.ChainedScheduler([L.StepLR(o, 2),
                                                                 other_sched(L)]),
                                ValueError, "index 1"),
    "chained_plateau": (lambda L, o: L.ChainedScheduler([L.ReduceLROnPlateau(o)]), ValueError,
                        "does not support `ReduceLROnPlateau`"),
    "plateau_factor": (lambda L, o: L.ReduceLROnPlateau(o, factor=1.0), ValueError,
                       "Factor should be < 1.0."),
    "plateau_mode": (lambda L, o: L.ReduceLROnPlateau(o, mode="avg"), ValueError,
                     "mode avg is unknown!"),
    "plateau_threshold_mode": (lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="log"),
                               ValueError, "threshold mode log is unknown!"),
    "plateau_min_lrs": (lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError,
                        "expected 2 min_lrs, got 1"),
    "plateau_not_optimizer": (lambda L, o: L.ReduceLROnPlateau(None), TypeError,
                              "NoneType is not an Optimizer"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_arguments_as_torch(name: str) -> None:
    make, exc, fragment = BAD[name]
    for side, lib in LIBS.items():
        raises_with(exc, lambda lib=lib, side=side: make(lib, make_optimizer(side)), fragment)


def test_plateau_new_param_group() -> None:
    """A group added after construction: a scalar min_lr extends, a list is a RuntimeError."""
    for side, lib in LIBS.items():
        mod = cr if side == "ours" else torch
        opt = make_optimizer(side)
        sched = lib.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({"params": [mod.zeros(1, requires_grad=True)], "lr": 0.5})
        sched.step(1.0)
        raises_with(RuntimeError, lambda sched=sched: sched.step(2.0),
                    "The number of param groups in the `optimizer` (3) differs")
        opt = make_optimizer(side)
        sched = lib.ReduceLROnPlateau(opt, patience=0, min_lr=0.01)
        opt.add_param_group({"params": [mod.zeros(1, requires_grad=True)], "lr": 0.5})
        sched.step(1.0)
        sched.step(2.0)
        assert sched.get_last_lr() == pytest.approx([0.01, 0.01, 0.05])
