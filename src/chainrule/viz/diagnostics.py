"""Training diagnostics: how the outputs of chosen layers, their gradients, and the size of each
parameter update are distributed, as in makemore part 3.

Numbers first: each ``*_stats`` function returns plain dicts of floats and NumPy arrays, and each
``plot_*`` function draws exactly those numbers on a new matplotlib Figure (Agg, never pyplot),
saves it when given a path, and returns ``(figure, numbers)``.

Statistics are taken in float64 over every element: ``mean``, ``std`` with Bessel's correction
(as ``Tensor.std()``; nan for a single element), a histogram (``counts`` over ``bins`` equal
``edges`` spanning the values, and ``density``, the counts divided by ``n * bin width``, which is
what is drawn), and, for activations, ``saturated``: the percentage of elements with
``|x| > saturation`` (tanh's flat tails at 0.97, where its slope 1 - x^2 is below 0.06).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.autograd import no_grad, set_grad_enabled
from chainrule.tensor.tensor import Tensor
from chainrule.viz.plots import _new_figure, _save_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from chainrule.nn import Module

__all__ = [
    "UpdateRatioTracker",
    "activation_stats",
    "gradient_stats",
    "plot_activation_histograms",
    "plot_gradient_histograms",
    "plot_update_ratios",
]

# which layers to watch: a module class, a tuple of classes, or the modules themselves
Layers = type | tuple[type, ...] | Sequence["Module"] | None
Tensors = Tensor | Sequence[Tensor] | Mapping[str, Tensor]
Stats = dict[str, Any]


# ----- shared helpers -----------------------------------------------------------------------
def _module_class() -> type:
    from chainrule.nn import Module  # chainrule.nn loads on first use, as in chainrule/__init__

    return Module


def _check_bins(fn: str, bins: Any) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"{fn}: bins must be a positive int, got {bins!r}")


def _summary(fn: str, what: str, values: np.ndarray, bins: int) -> Stats:
    """mean, std (Bessel-corrected), histogram counts/edges/density of all of ``values``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{fn}: {what} is empty")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{fn}: {what} contains nan or inf")
    counts, edges = np.histogram(v, bins=bins)
    density = counts / (v.size * np.diff(edges))
    std = float(v.std(ddof=1)) if v.size > 1 else math.nan
    return {"mean": float(v.mean()), "std": std, "counts": counts, "edges": edges,
            "density": density}


def _named_tensors(fn: str, source: Tensors, what: str) -> list[tuple[str, Tensor]]:
    """(name, tensor) pairs of a tensor, a sequence (names "0", "1", ...) or a name mapping."""
    if isinstance(source, Tensor):
        pairs = [("0", source)]
    elif isinstance(source, Mapping):
        pairs = [(str(k), t) for k, t in source.items()]
    elif isinstance(source, (list, tuple)):
        pairs = [(str(i), t) for i, t in enumerate(source)]
    else:
        raise TypeError(f"{fn}: {what} must be a chainrule.nn.Module, a Tensor, or a list or "
                        f"dict of Tensors, got {type(source).__name__}")
    if not pairs:
        raise ValueError(f"{fn}: no tensors given")
    for name, t in pairs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {what} {name!r} is a {type(t).__name__}, not a Tensor")
    return pairs


def _select_layers(fn: str, model: Module, layers: Layers) -> list[tuple[str, Module]]:
    """The watched submodules of ``model`` as (dotted name, module), in registration order."""
    from chainrule import nn

    named = list(model.named_modules())
    if layers is None:
        layers = nn.Tanh
    if isinstance(layers, type) or (
            isinstance(layers, tuple) and layers and all(isinstance(c, type) for c in layers)):
        chosen = [(n, m) for n, m in named if isinstance(m, layers)]
        if not chosen:
            kinds = (layers,) if isinstance(layers, type) else layers
            raise ValueError(f"{fn}: the model has no {' or '.join(c.__name__ for c in kinds)} "
                             "layer; pass layers=(a module class, ...) or a list of its modules")
        return chosen
    if isinstance(layers, (list, tuple)) and layers:
        names = {id(m): n for n, m in named}
        for m in layers:
            if not isinstance(m, nn.Module):
                raise TypeError(f"{fn}: layers holds a {type(m).__name__}, not a Module")
            if id(m) not in names:
                raise ValueError(f"{fn}: layer {type(m).__name__} is not a submodule of the model")
        return [(names[id(m)], m) for m in layers]
    raise TypeError(f"{fn}: layers must be a module class, a tuple of classes, or a non-empty "
                    f"list of the model's modules, got {layers!r}")


def _layer_name(name: str, module: Module) -> str:
    return name or type(module).__name__


def _run_with_hooks(fn: str, model: Module, inputs: tuple[Any, ...],
                    layers: list[tuple[str, Module]], grad: bool) -> tuple[Any, dict[str, list]]:
    """One forward pass ``model(*inputs)`` that keeps every watched layer's output.

    The hooks are removed and the buffers (BatchNorm's running statistics) put back however the
    pass ends, so it leaves the model as it found it.
    """
    kept: dict[str, list[Tensor]] = {_layer_name(n, m): [] for n, m in layers}

    def keeper(name: str) -> Callable[..., None]:
        def hook(module: Module, args: Any, output: Any) -> None:
            if not isinstance(output, Tensor):
                raise TypeError(f"{fn}: layer {name!r} ({type(module).__name__}) returned a "
                                f"{type(output).__name__}, not a Tensor")
            kept[name].append(output)
        return hook

    buffers = [(b, b._data.copy()) for b in model.buffers()]
    handles = [m.register_forward_hook(keeper(_layer_name(n, m))) for n, m in layers]
    try:
        with set_grad_enabled(grad):
            out = model(*inputs)
    finally:
        for h in handles:
            h.remove()
        with no_grad():
            for b, saved in buffers:
                if not np.array_equal(b._data, saved, equal_nan=b._data.dtype.kind in "fc"):
                    b.copy_(saved)  # only if changed: an unchanged buffer keeps its version
    for name, outs in kept.items():
        if not outs:
            raise ValueError(f"{fn}: layer {name!r} was not called by the forward pass")
    return out, kept


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        _save_atomic(fig, path)
    return fig


def _legend(ax: Any, n: int) -> None:
    ax.legend(fontsize="x-small" if n > 4 else "small", loc="upper right")


# ----- activations --------------------------------------------------------------------------
def activation_stats(
    source: Module | Tensors,
    *inputs: Any,
    layers: Layers = None,
    saturation: float | None = 0.97,
    bins: int = 50,
) -> dict[str, Stats]:
    """Mean, std, saturation percentage and histogram of the outputs of chosen layers.

    ``source`` is a ``chainrule.nn.Module`` with its ``inputs``: one forward pass
    ``source(*inputs)`` runs (without recording a graph, in the model's current train/eval
    mode), and forward hooks keep the outputs of ``layers`` (a module class or tuple of classes,
    every ``nn.Tanh`` by default, or a list of the model's modules); the hooks are removed and
    the buffers put back afterwards. Or ``source`` is tensors the caller kept (a Tensor, a list,
    or a dict name -> Tensor), with no ``inputs``.

    Returns ``{name: {"mean", "std", "saturated", "counts", "edges", "density"}}`` (names: the
    dotted module names, or the list indices / dict keys), ``saturated`` being the percentage of
    elements with ``|x| > saturation`` (left out when ``saturation`` is None); a module's entry
    also has ``"module"``, its class name. A layer called twice in the pass counts both outputs.
    """
    fn = "activation_stats"
    _check_bins(fn, bins)
    if saturation is not None and not (isinstance(saturation, (int, float)) and saturation > 0):
        raise ValueError(f"{fn}: saturation must be a positive number or None, got "
                         f"{saturation!r}")
    kinds: dict[str, str] = {}
    if isinstance(source, _module_class()):
        if not inputs:
            raise TypeError(f"{fn}: give the model's inputs, e.g. {fn}(model, x)")
        chosen = _select_layers(fn, source, layers)
        _, kept = _run_with_hooks(fn, source, inputs, chosen, grad=False)
        arrays = {name: np.concatenate([t._data.ravel() for t in outs])
                  for name, outs in kept.items()}
        kinds = {_layer_name(n, m): type(m).__name__ for n, m in chosen}
    else:
        if inputs:
            raise TypeError(f"{fn}: inputs are only for a model; the tensors given are the "
                            "activations themselves")
        if layers is not None:
            raise TypeError(f"{fn}: layers= chooses a model's modules; drop it for tensors")
        arrays = {name: t._data for name, t in _named_tensors(fn, source, "activation")}
    out: dict[str, Stats] = {}
    for name, values in arrays.items():
        stats = _summary(fn, f"the output of {name!r}", values, bins)
        if saturation is not None:
            v = np.asarray(values, dtype=np.float64).ravel()
            stats["saturated"] = float(100.0 * np.mean(np.abs(v) > saturation))
        if name in kinds:
            stats["module"] = kinds[name]
        out[name] = stats
    return out


def _label(name: str, stats: Stats) -> str:
    return f"{name} ({stats['module']})" if "module" in stats else name


def plot_activation_histograms(
    source: Module | Tensors,
    *inputs: Any,
    layers: Layers = None,
    saturation: float | None = 0.97,
    bins: int = 50,
    path: str | Path | None = None,
    title: str = "activation distribution",
    figsize: tuple[float, float] = (8.0, 3.2),
) -> tuple[Figure, dict[str, Stats]]:
    """Draw :func:`activation_stats` (same arguments): one density curve per layer, its mean, std
    and saturation in the legend. Saves to ``path`` if given; returns ``(figure, stats)``."""
    stats = activation_stats(source, *inputs, layers=layers, saturation=saturation, bins=bins)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    for name, s in stats.items():
        centres = (s["edges"][:-1] + s["edges"][1:]) / 2
        label = f"{_label(name, s)}: mean {s['mean']:+.2f}, std {s['std']:.2f}"
        if "saturated" in s:
            label += f", saturated {s['saturated']:.1f}%"
        ax.plot(centres, s["density"], label=label)
    ax.set_xlabel("output value")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _legend(ax, len(stats))
    return _finish(fig, path), stats


# ----- gradients ----------------------------------------------------------------------------
def gradient_stats(
    source: Module | Tensors,
    *inputs: Any,
    loss_fn: Callable[[Any], Tensor] | None = None,
    layers: Layers = None,
    weights: bool | Module | Tensors | None = None,
    bins: int = 50,
) -> dict[str, dict[str, Stats]]:
    """Mean, std and histogram of the gradients of layer outputs and of weights.

    Three ways to call it:

    * ``gradient_stats(model, *inputs, loss_fn=f)``: one forward pass ``out = model(*inputs)``
      with forward hooks on ``layers`` (as in :func:`activation_stats`), ``loss = f(out)``, and
      one ``chainrule.grad`` of the loss with respect to those layers' outputs and the weights.
      Nothing's ``.grad`` changes; hooks are removed and buffers put back afterwards.
    * ``gradient_stats(model)``: the ``.grad`` the weights hold now (after your ``backward()``).
    * ``gradient_stats(tensors)``: the ``.grad`` of tensors you kept (call ``retain_grad()`` on
      them before ``backward()``): a Tensor, a list, or a dict name -> Tensor.

    ``weights`` chooses the parameters: True (the default for a model) for the model's 2-d
    parameters (its weight matrices and embedding tables, as makemore plots); False (the default
    for tensors) for none; or a Module (its 2-d parameters) or tensors of your own.

    Returns ``{"outputs": {name: stats}, "weights": {name: stats}}``, each stats
    ``{"mean", "std", "counts", "edges", "density"}`` of the gradient; a weight's also has
    ``"shape"`` and ``"ratio"``, std(grad) / std(weight), the grad:data ratio (how large a step
    of the plain gradient is against the weights' own scale).
    """
    fn = "gradient_stats"
    _check_bins(fn, bins)
    Module = _module_class()
    is_model = isinstance(source, Module)
    if is_model and inputs and loss_fn is None:
        raise TypeError(f"{fn}: pass loss_fn= (the model's output -> a scalar loss) to "
                        "differentiate the model's output")
    if loss_fn is not None and not (is_model and inputs):
        raise TypeError(f"{fn}: loss_fn= needs a model and its inputs: {fn}(model, x, "
                        "loss_fn=f)")
    if not is_model and inputs:
        raise TypeError(f"{fn}: inputs are only for a model; for tensors their .grad is read")
    if not is_model and layers is not None:
        raise TypeError(f"{fn}: layers= chooses a model's modules; drop it for tensors")

    # the weights: (name, tensor)
    if weights is None:
        weights = is_model
    if weights is True:
        if not is_model:
            raise TypeError(f"{fn}: weights=True reads a model's 2-d parameters; for tensors "
                            "give the weights themselves")
        weights = source
    if weights is False:
        weight_list: list[tuple[str, Tensor]] = []
    elif isinstance(weights, Module):
        weight_list = [(n, p) for n, p in weights.named_parameters() if p.ndim == 2]
    else:
        weight_list = _named_tensors(fn, weights, "weight")

    outputs: dict[str, np.ndarray] = {}
    weight_grads: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    if is_model and inputs:
        chosen = _select_layers(fn, source, layers)
        kinds = {_layer_name(n, m): type(m).__name__ for n, m in chosen}
        out, kept = _run_with_hooks(fn, source, inputs, chosen, grad=True)
        loss = loss_fn(out)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            raise TypeError(f"{fn}: loss_fn must return a one-element Tensor, got "
                            f"{type(loss).__name__}"
                            + (f" of shape {tuple(loss.shape)}" if isinstance(loss, Tensor)
                               else ""))
        if not loss.requires_grad:
            raise RuntimeError(f"{fn}: the loss does not require grad (is the model frozen, or "
                               "was it computed under no_grad?)")
        targets = [(name, t) for name, outs in kept.items() for t in outs]
        targets += [(f"weight {name}", p) for name, p in weight_list]
        for name, t in targets:
            if not t.requires_grad:
                raise RuntimeError(f"{fn}: {name!r} does not require grad, so it has no "
                                   "gradient")
        from chainrule.tensor.backward import grad

        grads = grad(loss.reshape(()), [t for _, t in targets], allow_unused=True)
        # a layer or weight the loss does not depend on has gradient 0
        arrays = [np.zeros(t.shape) if g is None else g._data
                  for (_, t), g in zip(targets, grads, strict=True)]
        k = 0
        for name, outs in kept.items():
            outputs[name] = np.concatenate([a.ravel() for a in arrays[k:k + len(outs)]])
            k += len(outs)
        for (name, _), a in zip(weight_list, arrays[k:], strict=True):
            weight_grads[name] = a
    else:
        if not is_model:
            for name, t in _named_tensors(fn, source, "tensor"):
                if t.grad is None:
                    raise ValueError(f"{fn}: tensor {name!r} has no .grad: call retain_grad() "
                                     "on it before backward() (or give a model, its inputs and "
                                     "loss_fn)")
                outputs[name] = t.grad._data
        for name, p in weight_list:
            if p.grad is None:
                raise ValueError(f"{fn}: weight {name!r} has no .grad: call backward() first, or "
                                 "give the model's inputs and loss_fn")
            weight_grads[name] = p.grad._data
    if not outputs and not weight_grads:
        raise ValueError(f"{fn}: nothing to show: no layer outputs and no weights")

    result: dict[str, dict[str, Stats]] = {"outputs": {}, "weights": {}}
    for name, g in outputs.items():
        stats = _summary(fn, f"the gradient of {name!r}", g, bins)
        if name in kinds:
            stats["module"] = kinds[name]
        result["outputs"][name] = stats
    data = dict(weight_list)
    for name, g in weight_grads.items():
        stats = _summary(fn, f"the gradient of weight {name!r}", g, bins)
        w = data[name]._data.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            w_std = w.std(ddof=1) if w.size > 1 else math.nan
            stats["ratio"] = float(np.float64(stats["std"]) / w_std)
        stats["shape"] = tuple(data[name].shape)
        result["weights"][name] = stats
    return result


def plot_gradient_histograms(
    source: Module | Tensors,
    *inputs: Any,
    loss_fn: Callable[[Any], Tensor] | None = None,
    layers: Layers = None,
    weights: bool | Module | Tensors | None = None,
    bins: int = 50,
    path: str | Path | None = None,
    title: str = "gradient distribution",
    figsize: tuple[float, float] | None = None,
) -> tuple[Figure, dict[str, dict[str, Stats]]]:
    """Draw :func:`gradient_stats` (same arguments): the layer outputs' gradients on the left,
    the weights' on the right (one panel when only one kind is there), each curve's mean and std
    (and a weight's grad:data ratio) in the legend. Saves to ``path`` if given; returns
    ``(figure, stats)``."""
    stats = gradient_stats(source, *inputs, loss_fn=loss_fn, layers=layers, weights=weights,
                           bins=bins)
    panels = [k for k in ("outputs", "weights") if stats[k]]
    fig = _new_figure(figsize or (6.5 * len(panels), 3.2))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, kind in zip(axes, panels, strict=True):
        for name, s in stats[kind].items():
            centres = (s["edges"][:-1] + s["edges"][1:]) / 2
            if kind == "weights":
                label = (f"{name} {s['shape']}: std {s['std']:.1e}, "
                         f"grad:data {s['ratio']:.1e}")
            else:
                label = f"{_label(name, s)}: mean {s['mean']:+.1e}, std {s['std']:.1e}"
            ax.plot(centres, s["density"], label=label)
        ax.set_xlabel("gradient")
        ax.set_ylabel("density")
        what = "layer outputs" if kind == "outputs" else "weights"
        ax.set_title(f"{title}: {what}" if title else what)
        ax.grid(alpha=0.3)
        _legend(ax, len(stats[kind]))
    return _finish(fig, path), stats


# ----- update sizes over time ---------------------------------------------------------------
class UpdateRatioTracker:
    """Records, per parameter and per call, log10(std(lr * grad) / std(data)): how large the
    plain gradient step is against the parameter's own spread (stds Bessel-corrected, in float64).

    About -3 (a step of a thousandth of the values' scale) is the usual healthy range; far below,
    the parameter barely learns; far above, it is being thrown around.

    ``params``: a Module (its 2-d parameters, as makemore plots), a list of tensors (names "0",
    "1", ...) or a dict name -> tensor. Call :meth:`record` after each ``backward()`` with the
    learning rate of that step (before or after the update: the data's spread barely moves).
    """

    def __init__(self, params: Module | Tensors) -> None:
        if isinstance(params, _module_class()):
            named = [(n, p) for n, p in params.named_parameters() if p.ndim == 2]
            if not named:
                raise ValueError("UpdateRatioTracker: the module has no 2-d parameters")
        else:
            named = _named_tensors("UpdateRatioTracker", params, "parameter")
        self.params: dict[str, Tensor] = dict(named)
        self.shapes: dict[str, tuple[int, ...]] = {n: tuple(p.shape) for n, p in named}
        self.steps: list[int] = []
        self.history: dict[str, list[float]] = {n: [] for n in self.params}

    def record(self, lr: float, step: int | None = None) -> dict[str, float]:
        """Append this step's log10 ratio of every parameter (``step``: its x position, by
        default the number of records so far); return them."""
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
            raise ValueError(f"UpdateRatioTracker.record: lr must be a positive number, got "
                             f"{lr!r}")
        now: dict[str, float] = {}
        for name, p in self.params.items():
            if p.grad is None:
                raise ValueError(f"UpdateRatioTracker.record: parameter {name!r} has no .grad: "
                                 "call it after backward()")
            g = p.grad._data.astype(np.float64)
            w = p._data.astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                if w.size > 1:
                    now[name] = float(np.log10(lr * g.std(ddof=1) / w.std(ddof=1)))
                else:
                    now[name] = math.nan
        self.steps.append(len(self.steps) if step is None else int(step))
        for name, value in now.items():
            self.history[name].append(value)
        return now


def plot_update_ratios(
    source: UpdateRatioTracker | Mapping[str, Sequence[float]] | Sequence[Sequence[float]],
    guide: float = 1e-3,
    path: str | Path | None = None,
    title: str = "update:data ratio",
    figsize: tuple[float, float] = (8.0, 3.2),
) -> tuple[Figure, dict[str, Any]]:
    """Draw log10(update std / data std) per parameter over the steps, with a dashed line at
    log10(``guide``).

    ``source``: an :class:`UpdateRatioTracker`, a dict name -> the log10 ratios per step, or
    rows of one step each (a list per step of one value per parameter, makemore's ``ud``).
    Non-finite values are left out of the lines. Saves to ``path`` if given; returns
    ``(figure, {"steps": array, "ratios": {name: array}, "guide": log10(guide)})``.
    """
    fn = "plot_update_ratios"
    if not (isinstance(guide, (int, float)) and guide > 0):
        raise ValueError(f"{fn}: guide must be a positive number, got {guide!r}")
    shapes: dict[str, tuple[int, ...]] = {}
    if isinstance(source, UpdateRatioTracker):
        ratios = {n: np.asarray(v, dtype=np.float64) for n, v in source.history.items()}
        steps = np.asarray(source.steps)
        shapes = source.shapes
    elif isinstance(source, Mapping):
        ratios = {str(n): np.asarray(v, dtype=np.float64) for n, v in source.items()}
        lengths = {len(v) for v in ratios.values()}
        if len(lengths) > 1:
            raise ValueError(f"{fn}: the parameters have different numbers of steps: "
                             f"{sorted(lengths)}")
        steps = np.arange(lengths.pop() if lengths else 0)
    elif isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        rows = [list(r) for r in source]
        if len({len(r) for r in rows}) > 1:
            raise ValueError(f"{fn}: the steps have different numbers of parameters")
        table = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
        ratios = {str(i): table[:, i] for i in range(table.shape[1])}
        steps = np.arange(len(rows))
    else:
        raise TypeError(f"{fn}: source must be an UpdateRatioTracker, a dict of sequences or a "
                        f"list of rows, got {type(source).__name__}")
    if not ratios or len(steps) == 0:
        raise ValueError(f"{fn}: no steps recorded")

    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    for name, values in ratios.items():
        ok = np.isfinite(values)
        label = f"{name} {shapes[name]}" if name in shapes else name
        ax.plot(steps[ok], values[ok], label=label, linewidth=1)
    level = math.log10(guide)
    ax.axhline(level, color="k", linestyle="--", linewidth=1, label=f"{guide:g}")
    ax.set_xlabel("step")
    ax.set_ylabel("log10(update std / data std)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _legend(ax, len(ratios) + 1)
    return _finish(fig, path), {"steps": steps, "ratios": ratios, "guide": level}
