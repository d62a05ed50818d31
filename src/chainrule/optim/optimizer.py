"""The optimizer base class: parameter groups, per-parameter state, state dicts, zero_grad.

Each optimizer subclass implements ``step`` as its update equations written with in-place Tensor
methods under ``no_grad`` (so every update bumps the parameter's version counter, as PyTorch's).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from chainrule.autograd import enable_grad, no_grad
from chainrule.tensor import DType, Tensor, float32, float64, get_default_dtype

__all__ = ["Optimizer", "required"]


class _Required:
    """The default of an option a group must give itself (``SGD``'s ``lr`` once was)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _Required()

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base class of the optimizers (PyTorch's ``torch.optim.Optimizer``).

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
    groups) each with a ``"params"`` entry and its own options; options a group leaves out take
    ``defaults``. ``state[p]`` holds each parameter's buffers (momentum, moments, step).
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {params.type()}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (fine-tuning a layer, a new head).

        As PyTorch's, the dict itself becomes the group: its ``params`` turn into a list and
        the options it leaves out are filled in from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        group = param_group
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``None`` (the default), or zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is None:
                        g.requires_grad_(False)
                    elif g._base is None:
                        g.detach_()  # PyTorch keeps the same tensor
                    else:  # a view cannot be detached in place: a new one on its storage
                        g = p.grad = g.detach()
                    with no_grad():
                        g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter from its ``.grad``; ``closure`` re-evaluates the loss."""
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """Run ``closure`` with gradients on (it calls ``backward``); its loss, or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ----- state dicts -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order, as PyTorch's; the state's tensors are the
        optimizer's own (not copies), also as PyTorch's.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            # PyTorch's numbering (so the two state dicts load into each other): a group's
            # parameters are numbered on from the previous groups' lengths; one repeated in a
            # group takes its last number there, one seen in an earlier group keeps that one
            start = sum(len(g["params"]) for g in groups)
            index.update({id(p): i for i, p in enumerate(group["params"], start)
                          if id(p) not in index})
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(k)] if isinstance(k, Tensor) else k: s for k, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict`` (a deep copy; tensors cast to each
        parameter's dtype, except ``step``)."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        params = {i: p for saved, group in zip(saved_groups, self.param_groups, strict=True)
                  for i, p in zip(saved["params"], group["params"], strict=True)}
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in params:
                p = params[key]
                self.state[p] = {k: _cast(p, k, v) for k, v in value.items()}
            else:
                self.state[key] = copy.deepcopy(value)
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.param_groups[:] = saved_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join([*lines, ")"])


def _cast(param: Tensor, key: Any, value: Any) -> Any:
    """A copy of a loaded state value; tensors take a floating parameter's dtype, except
    ``step`` (PyTorch's rule; PyTorch does not copy, chainrule does)."""
    if isinstance(value, Tensor):
        if key != "step" and param.is_floating_point():
            return value.detach().to(param.dtype).clone()
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _cast(param, k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast(param, None, v) for v in value)
    return copy.deepcopy(value)


def _typename(value: Any) -> str:
    """PyTorch's torch.typename of a non-tensor: its class, qualified unless a builtin."""
    cls = type(value)
    if cls.__module__ in ("builtins", None):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _arrays(p: Tensor, maximize: bool = False) -> tuple[Any, Any]:
    """θ's array, which the caller's update then writes in place, and its gradient's (negated
    if ``maximize``). Counts the write in θ's version counter, as an in-place method would.

    Updates are written in NumPy on these arrays: one NumPy call per term of the equation,
    where Tensor methods would add their dispatch to every term of every parameter's step."""
    p._version_counter.value += 1
    g = p.grad._data
    return p._data, (-g if maximize else g)


def _tick(state: dict[str, Any]) -> float:
    """``state["step"] += 1`` (a 0-d tensor, in place); the new count as a Python float."""
    step = state["step"]._data
    step += 1
    return float(step)


def _value(x: float | Tensor) -> float:
    """A hyper-parameter given as a number or a one-element Tensor, as a number."""
    return x.item() if isinstance(x, Tensor) else x


def _scalar_dtype(fused: bool | None = False) -> DType:
    """The dtype of a ``step`` counter: float32, or float64 under a float64 default dtype
    (always float32 for ``fused``, as PyTorch's)."""
    if not fused and get_default_dtype() == float64:
        return float64
    return float32


def _check_hyper(name: str, value: float, low: float = 0.0, high: float = math.inf) -> None:
    """PyTorch's hyper-parameter checks: ``Invalid learning rate: -1.0``."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")  # only lr may be a Tensor
        value = value.item()
    if not low <= value < high:
        raise ValueError(f"Invalid {name}: {value}")


def _common_options(name: str, **switches: bool | None) -> dict[str, Any]:
    """PyTorch's implementation switches (whichever of ``foreach``, ``capturable``,
    ``differentiable``, ``fused`` the optimizer takes), kept in each group so state dicts have
    its keys.

    chainrule has one implementation of each algorithm, so ``foreach`` and ``fused`` change
    nothing; ``differentiable=True`` (gradients through the update) and ``capturable=True``
    (CUDA graphs) are not supported.
    """
    if switches.get("differentiable"):
        raise NotImplementedError(f"{name}: differentiable=True is not supported by chainrule")
    if switches.get("capturable"):
        raise NotImplementedError(f"{name}: capturable=True is not supported by chainrule")
    if switches.get("fused") and switches.get("foreach"):
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    return switches
