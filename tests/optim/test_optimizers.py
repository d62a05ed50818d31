"""chainrule.optim against torch.optim: trajectories, param groups, state dicts, errors.

Every optimizer starts from the same float64 parameters (shapes incl. 0-d) and sees the same
gradients (random ones set on ``.grad``; for LBFGS a deterministic closure); the parameters must
equal PyTorch's to 1e-10 after every step.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim.optimizer import required as torch_required

import chainrule as cr
import chainrule.optim as optim
from chainrule.optim.optimizer import Optimizer, required

pytestmark = pytest.mark.torch

SHAPES = [(3, 4), (5,), ()]
STEPS = 100
TOL = 1e-10

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "maximize": True, "amsgrad": True,
              "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5,
                 "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.1, "eps": 1e-6, "maximize": True}),
]
# LBFGS: (options, problem); least squares, or a mild Rosenbrock (coefficient 2) whose
# trajectory stays far inside the tolerance of the two libraries' different summation orders
LBFGS_CASES = [
    ({"max_iter": 5, "history_size": 4}, "lsq"),
    ({"max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe"}, "lsq"),
    ({"lr": 0.5, "max_iter": 7}, "rosenbrock"),
    ({"line_search_fn": "strong_wolfe"}, "rosenbrock"),
]
LBFGS_STEPS = 10
ALL_CASES = CASES + [("LBFGS", kw, problem) for kw, problem in LBFGS_CASES]


def _case_id(case: tuple[Any, ...]) -> str:
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items()) + \
        ("-" + case[2] if len(case) > 2 else "")


def _lib_optim(lib: Any) -> Any:
    return torch.optim if lib is torch else optim


def _arrays(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, s) for s in SHAPES]


def _grads(steps: int, seed: int = 1) -> list[list[np.ndarray | None]]:
    """Random gradients; parameter 1 has none on every seventh step (it is skipped then)."""
    rng = np.random.default_rng(seed)
    return [[None if k == 1 and i % 7 == 3 else rng.standard_normal(s)
             for k, s in enumerate(SHAPES)] for i in range(steps)]


PROBLEM = np.random.default_rng(2).standard_normal((24, 18)), \
    np.random.default_rng(3).standard_normal(24)


class Run:
    """One optimizer of one library on its own parameters, stepped through the shared gradient
    sequence (or, for LBFGS, the closure of its problem)."""

    def __init__(self, lib: Any, case: tuple[Any, ...], arrays: list[np.ndarray] | None = None,
                 groups: Any = None) -> None:
        self.lib, self.name, self.problem = lib, case[0], case[2] if len(case) > 2 else None
        self.params = [lib.tensor(a.copy(), requires_grad=True)
                       for a in (arrays if arrays is not None else _arrays(0))]
        self.opt = getattr(_lib_optim(lib), self.name)(
            self.params if groups is None else groups(self.params), **case[1])

    def closure(self) -> Any:
        self.opt.zero_grad()
        x = self.lib.cat([p.reshape(-1) for p in self.params])
        if self.problem == "lsq":
            r = self.lib.tensor(PROBLEM[0]) @ x - self.lib.tensor(PROBLEM[1])
            loss = (r * r).sum() / 2
        else:
            loss = ((1 - x[:-1]) ** 2).sum() + 2 * ((x[1:] - x[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss

    def step(self, grads: list[np.ndarray | None] | None = None) -> None:
        if self.name == "LBFGS":
            self.opt.step(self.closure)
            return
        for p, g in zip(self.params, grads, strict=True):
            p.grad = None if g is None else self.lib.tensor(g)
        self.opt.step()

    def values(self) -> list[np.ndarray]:
        return [np.array(p.detach().numpy(), copy=True) for p in self.params]


def _steps(case: tuple[Any, ...]) -> list[Any]:
    return [None] * LBFGS_STEPS if case[0] == "LBFGS" else _grads(STEPS)


def _close(ours: list[np.ndarray], theirs: list[np.ndarray], step: int) -> None:
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=f"step {step} param {k}")


def _same_structure(ours: Any, theirs: Any, where: str = "") -> None:
    """The same keys, container and value types (tensors: dtype and shape) as torch's."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), where
        assert repr(ours.dtype).split(".")[-1] == repr(theirs.dtype).split(".")[-1], where
        assert tuple(ours.shape) == tuple(theirs.shape), where
    elif isinstance(theirs, dict):
        assert type(ours) is dict and ours.keys() == theirs.keys(), where
        for k in theirs:
            _same_structure(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same_structure(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs), where
        if isinstance(theirs, float):  # losses differ in the last bits
            assert np.isclose(ours, theirs, rtol=1e-9, atol=1e-12), where
        else:
            assert ours == theirs, where


def _to_cr(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return cr.tensor(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: _to_cr(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_to_cr(v) for v in x)
    return x


def _to_torch(x: Any) -> Any:
    if isinstance(x, cr.Tensor):
        return torch.from_numpy(np.array(x.detach().numpy(), copy=True))
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_to_torch(v) for v in x)
    return x


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"])
def test_signature_and_defaults_as_torch(name: str) -> None:
    def params(cls: Any) -> list[tuple[str, Any, Any]]:
        sig = inspect.signature(cls.__init__).parameters.values()
        return [(p.name, p.kind, p.default) for p in sig]

    assert params(getattr(optim, name)) == params(getattr(torch.optim, name))
    base = getattr(torch.optim, name).__mro__[1]  # AdamW derives from Adam
    assert getattr(optim, name).__mro__[1].__name__ == base.__name__


# ----- trajectories ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_trajectory_and_state_as_torch(case: tuple[Any, ...]) -> None:
    ours, theirs = Run(cr, case), Run(torch, case)
    for i, grads in enumerate(_steps(case)):
        before = [p._version for p in ours.params + theirs.params]
        ours.step(grads)
        theirs.step(grads)
        _close(ours.values(), theirs.values(), i)
        # each update is an in-place write (LBFGS writes nothing once converged)
        bumped = [p._version > v for p, v in zip(ours.params + theirs.params, before,
                                                  strict=True)]
        assert bumped[:3] == bumped[3:], i
        if grads is not None:
            assert bumped[:3] == [g is not None for g in grads], i
    _same_structure(ours.opt.state_dict(), theirs.opt.state_dict())


def test_parameter_without_grad_is_skipped() -> None:
    for name, kw in [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {}), ("RMSprop", {}),
                     ("Adagrad", {})]:
        runs = []
        for lib in (cr, torch):
            frozen = lib.tensor(np.arange(3.0), requires_grad=True)
            run = Run(lib, (name, kw), groups=lambda ps, f=frozen: [*ps, f])
            for grads in _grads(5):
                run.step(grads)
            runs.append(run)
            assert frozen.grad is None and np.array_equal(frozen.detach().numpy(), np.arange(3.0))
        assert runs[0].opt.state_dict()["state"].keys() == runs[1].opt.state_dict()["state"].keys()
        _same_structure(runs[0].opt.state_dict(), runs[1].opt.state_dict())


TWO_GROUPS = {  # defaults, first group's options, second group's options
    "SGD": ({"lr": 0.1}, {"momentum": 0.9}, {"lr": 0.01, "momentum": 0.5, "nesterov": True,
                                             "weight_decay": 0.1}),
    "Adam": ({"lr": 0.01}, {"amsgrad": True}, {"lr": 0.05, "betas": (0.5, 0.9),
                                               "weight_decay": 0.1, "maximize": True}),
    "AdamW": ({"lr": 0.01}, {}, {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    "RMSprop": ({"lr": 0.01}, {"centered": True}, {"momentum": 0.9, "alpha": 0.9}),
    "Adagrad": ({"lr": 0.1}, {"lr_decay": 0.1}, {"lr": 0.05, "weight_decay": 0.1,
                                                  "initial_accumulator_value": 1.0}),
}


@pytest.mark.parametrize("name", TWO_GROUPS)
def test_two_param_groups_as_torch(name: str) -> None:
    defaults, first, second = TWO_GROUPS[name]
    given = {}

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        given[ps[0].__class__] = gs = [{"params": ps[:2], **first}, {"params": ps[2:], **second}]
        return gs

    ours, theirs = Run(cr, (name, defaults), groups=groups), Run(torch, (name, defaults),
                                                                  groups=groups)
    for run in (ours, theirs):  # the dicts given become the groups, filled with the defaults
        assert run.opt.param_groups[1] is given[type(run.params[0])][1]
    for i, grads in enumerate(_grads(STEPS)):
        ours.step(grads)
        theirs.step(grads)
        _close(ours.values(), theirs.values(), i)
    assert ours.opt.state_dict()["param_groups"] == theirs.opt.state_dict()["param_groups"]
    _same_structure(ours.opt.state_dict(), theirs.opt.state_dict())


@pytest.mark.parametrize("name", TWO_GROUPS)
def test_add_param_group_mid_run_as_torch(name: str) -> None:
    defaults, first, second = TWO_GROUPS[name]
    ours, theirs = (Run(lib, (name, defaults), groups=lambda ps: [{"params": ps[:2], **first}])
                    for lib in (cr, torch))
    for i, grads in enumerate(_grads(60)):
        if i == 30:
            for run in (ours, theirs):
                run.opt.add_param_group({"params": run.params[2], **second})
        ours.step(grads)
        theirs.step(grads)
        _close(ours.values(), theirs.values(), i)
    _same_structure(ours.opt.state_dict(), theirs.opt.state_dict())


# ----- state dicts -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_state_dict_round_trip_is_exact(case: tuple[Any, ...]) -> None:
    """Resuming from a state dict taken half-way (as given, or deep-copied) continues exactly
    as the uninterrupted run."""
    steps = _steps(case)
    half = len(steps) // 2
    whole = Run(cr, case)
    resumed: list[Run] = []
    for i, grads in enumerate(steps):
        if i == half:
            saved = whole.opt.state_dict()
            for given in (saved, copy.deepcopy(saved)):
                run = Run(cr, case, arrays=whole.values())
                run.opt.load_state_dict(given)
                resumed.append(run)
        for run in (whole, *resumed):
            run.step(grads)
        for run in resumed:
            for a, b in zip(run.values(), whole.values(), strict=True):
                assert np.array_equal(a, b), i
    for run in resumed:
        _same_structure(run.opt.state_dict(), _to_torch(whole.opt.state_dict()))


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_state_dict_between_torch_and_chainrule(case: tuple[Any, ...]) -> None:
    """A torch optimizer's state dict (tensors converted) loaded into chainrule continues as
    torch does, and the other way round."""
    steps = _steps(case)
    half = len(steps) // 2
    for first, second, convert in ((torch, cr, _to_cr), (cr, torch, _to_torch)):
        a = Run(first, case)
        for grads in steps[:half]:
            a.step(grads)
        b = Run(second, case, arrays=a.values())
        b.opt.load_state_dict(convert(a.opt.state_dict()))
        for i, grads in enumerate(steps[half:], half):
            a.step(grads)
            b.step(grads)
            _close(a.values(), b.values(), i)


def test_state_dict_numbering_as_torch() -> None:
    """Parameters are numbered in group order; one repeated in a group takes its last number."""
    dicts = []
    for lib in (cr, torch):
        p, q, r = (lib.zeros(2, dtype=lib.float64, requires_grad=True) for _ in range(3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = _lib_optim(lib).SGD([{"params": [p, p, q]}, {"params": [r]}], lr=0.1,
                                      momentum=0.9)
        for t in (p, q, r):
            t.grad = lib.ones(2, dtype=lib.float64)
        opt.step()
        dicts.append(opt.state_dict())
    assert dicts[0]["param_groups"] == dicts[1]["param_groups"]
    assert dicts[0]["state"].keys() == dicts[1]["state"].keys()


@pytest.mark.parametrize("make", [
    lambda lib, ps: _lib_optim(lib).SGD([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.1),
    lambda lib, ps: _lib_optim(lib).SGD(ps[:2], lr=0.1),
], ids=["more-groups", "smaller-group"])
def test_mismatched_state_dict_as_torch(make: Any) -> None:
    errors = []
    for lib in (cr, torch):
        ps = [lib.zeros(2, requires_grad=True) for _ in range(3)]
        saved = _lib_optim(lib).SGD(ps, lr=0.1).state_dict()
        with pytest.raises(ValueError) as info:
            make(lib, ps).load_state_dict(saved)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adagrad"])
def test_step_dtype_as_torch(name: str, default: str) -> None:
    """``step`` is float32, float64 under a float64 default dtype, and float32 with ``fused``
    (chainrule's fused is its one algorithm), as PyTorch's."""
    old = cr.get_default_dtype(), torch.get_default_dtype()
    try:
        cr.set_default_dtype(getattr(cr, default))
        torch.set_default_dtype(getattr(torch, default))
        for kw in ({}, {"fused": True}) if name != "RMSprop" else ({},):
            ours, theirs = Run(cr, (name, kw)), Run(torch, (name, kw))
            for run in (ours, theirs):
                run.step(_grads(1)[0])
            _same_structure(ours.opt.state_dict(), theirs.opt.state_dict())
    finally:
        cr.set_default_dtype(old[0])
        torch.set_default_dtype(old[1])


@pytest.mark.parametrize("case", [("SGD", {"lr": 0.1}), ("Adam", {"betas": (0.5, 0.9)}),
                                  ("LBFGS", {"line_search_fn": "strong_wolfe"})], ids=_case_id)
def test_repr_as_torch(case: tuple[str, dict[str, Any]]) -> None:
    ours, theirs = Run(cr, case), Run(torch, case)
    assert repr(ours.opt) == repr(theirs.opt)


# ----- zero_grad -------------------------------------------------------------------------------
@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_zero_grad_as_torch(set_to_none: bool, create_graph: bool) -> None:
    seen = []
    for lib in (cr, torch):
        p = lib.tensor(np.arange(3.0), requires_grad=True)
        q = lib.tensor(np.arange(2.0), requires_grad=True)  # never gets a gradient
        opt = _lib_optim(lib).SGD([p, q], lr=0.1)
        (p**3).sum().backward(create_graph=create_graph)
        grad = p.grad
        opt.zero_grad(set_to_none=set_to_none)
        if p.grad is None:
            seen.append(None)
        else:
            seen.append((p.grad.detach().numpy().tolist(), p.grad.requires_grad,
                         p.grad.grad_fn is None, p.grad is grad))
        assert q.grad is None
    assert seen[0] == seen[1]
    assert (seen[0] is None) == set_to_none


# ----- errors ----------------------------------------------------------------------------------
BAD = [
    ("SGD", {"lr": -1.0}), ("SGD", {"momentum": -0.5}), ("SGD", {"weight_decay": -1e-3}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("SGD", {"foreach": True, "fused": True}),
    ("Adam", {"lr": -1.0}), ("Adam", {"eps": -1e-8}), ("Adam", {"betas": (1.0, 0.9)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -0.1}),
    ("Adam", {"betas": (0, 0.9)}), ("Adam", {"foreach": True, "fused": True}),
    ("AdamW", {"lr": -1e-3}), ("AdamW", {"weight_decay": -1.0}), ("AdamW", {"betas": (0.9, 1)}),
    ("RMSprop", {"lr": -1.0}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -1.0}),
    ("RMSprop", {"weight_decay": -1.0}), ("RMSprop", {"alpha": -0.5}),
    ("Adagrad", {"lr": -1.0}), ("Adagrad", {"lr_decay": -1.0}),
    ("Adagrad", {"weight_decay": -1.0}), ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1.0}), ("LBFGS", {"lr": -1.0}),
]


def _error(fn: Any) -> tuple[type[BaseException], str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # whatever it is
            return type(e), str(e).replace("torch.", "chainrule.")
    raise AssertionError("no error raised")


@pytest.mark.parametrize("case", BAD, ids=_case_id)
def test_bad_hyper_parameter_as_torch(case: tuple[str, dict[str, Any]]) -> None:
    name, kw = case
    errors = [_error(lambda lib=lib: getattr(_lib_optim(lib), name)(
        [lib.zeros(2, requires_grad=True)], **kw)) for lib in (cr, torch)]
    assert errors[0] == errors[1]


def _lbfgs_with_two_groups(lib: Any, p: Any, q: Any) -> None:
    opt = _lib_optim(lib).LBFGS([p])
    opt.add_param_group({"params": [q]})
    opt.step(lambda: (p * q).sum())


PARAMS_ERRORS = {
    "empty": lambda lib, p, q: _lib_optim(lib).Adam([]),
    "empty-iterator": lambda lib, p, q: _lib_optim(lib).Adam(iter([])),
    "tensor": lambda lib, p, q: _lib_optim(lib).Adam(p),
    "non-tensor": lambda lib, p, q: _lib_optim(lib).Adam([p, 1.0]),
    "non-leaf": lambda lib, p, q: _lib_optim(lib).RMSprop([p * 2]),
    "set": lambda lib, p, q: _lib_optim(lib).Adam([{"params": {p}}]),
    "across-groups": lambda lib, p, q: _lib_optim(lib).SGD([{"params": [p, q]},
                                                            {"params": [p]}]),
    "names-missing": lambda lib, p, q: _lib_optim(lib).SGD([("p", p), q]),
    "names-mixed": lambda lib, p, q: _lib_optim(lib).SGD([{"params": [("p", p)]},
                                                          {"params": [q]}]),
    "group-not-dict": lambda lib, p, q: _lib_optim(lib).SGD([p]).add_param_group([q]),
    "lbfgs-groups": lambda lib, p, q: _lib_optim(lib).LBFGS([{"params": [p]},
                                                             {"params": [q]}]),
    "lbfgs-added-group": lambda lib, p, q: _lbfgs_with_two_groups(lib, p, q),
    "lbfgs-no-closure": lambda lib, p, q: _lib_optim(lib).LBFGS([p]).step(),
    "lbfgs-search": lambda lib, p, q: _lib_optim(lib).LBFGS([p], line_search_fn="wolfe").step(
        lambda: (p * p).sum().backward() or 1.0),
    "required": lambda lib, p, q: (Optimizer if lib is cr else torch.optim.Optimizer)(
        [p], {"lr": required if lib is cr else torch_required}),
}


@pytest.mark.parametrize("what", PARAMS_ERRORS)
def test_bad_params_as_torch(what: str) -> None:
    errors = []
    for lib in (cr, torch):
        p, q = (lib.ones(2, dtype=lib.float64, requires_grad=True) for _ in range(2))
        errors.append(_error(lambda lib=lib, p=p, q=q: PARAMS_ERRORS[what](lib, p, q)))
    if what == "lbfgs-no-closure":  # the message names each library's own class path
        assert errors[0][0] is errors[1][0] is TypeError
    else:
        assert errors[0] == errors[1]


def test_duplicate_params_in_a_group_warn_as_torch() -> None:
    for lib in (cr, torch):
        p = lib.zeros(2, requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            _lib_optim(lib).SGD([p, p], lr=0.1)


def test_unsupported_switches() -> None:
    p = cr.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([p], differentiable=True)
    with pytest.raises(NotImplementedError, match="capturable"):
        optim.RMSprop([p], capturable=True)
