"""Training diagnostics: the statistics equal NumPy's by hand, hooks and buffers are left as they
were, the figures save as PNG, and bad arguments are refused clearly."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.viz import (
    UpdateRatioTracker,
    activation_stats,
    gradient_stats,
    plot_activation_histograms,
    plot_gradient_histograms,
    plot_update_ratios,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def model() -> nn.Sequential:
    cr.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
    with cr.no_grad():
        m[0].weight *= 4.0  # saturate part of the first tanh layer
    return m.double()


@pytest.fixture
def x() -> cr.Tensor:
    return cr.tensor(np.random.default_rng(1).normal(size=(40, 3)))


def by_hand(m: nn.Sequential, x: cr.Tensor) -> dict[str, np.ndarray]:
    """The forward and the gradients of loss = sum(out^2), in NumPy."""
    W1, b1, W2, b2, W3, b3 = (p.detach().numpy() for p in m.parameters())
    X = x.numpy()
    h1 = np.tanh(X @ W1.T + b1)
    h2 = np.tanh(h1 @ W2.T + b2)
    out = h2 @ W3.T + b3
    d_out = 2 * out
    d_h2 = d_out @ W3
    d_a2 = d_h2 * (1 - h2**2)
    d_h1 = d_a2 @ W2
    d_a1 = d_h1 * (1 - h1**2)
    return {"h1": h1, "h2": h2, "d_h1": d_h1, "d_h2": d_h2, "W1": W1, "W2": W2, "W3": W3,
            "d_W1": d_a1.T @ X, "d_W2": d_a2.T @ h1, "d_W3": d_out.T @ h2}


def assert_summary(stats: dict, values: np.ndarray, bins: int = 50) -> None:
    v = values.ravel()
    assert stats["mean"] == pytest.approx(v.mean(), rel=1e-9, abs=1e-15)
    assert stats["std"] == pytest.approx(v.std(ddof=1), rel=1e-9)
    counts, edges = np.histogram(v, bins=bins)
    np.testing.assert_allclose(stats["edges"], edges, rtol=1e-12)
    np.testing.assert_array_equal(stats["counts"], counts)
    np.testing.assert_allclose(stats["density"], np.histogram(v, bins=bins, density=True)[0],
                               rtol=1e-12)


# ----- activations --------------------------------------------------------------------------
def test_activation_stats_of_a_model_equal_numpy(model, x) -> None:
    ref = by_hand(model, x)
    stats = activation_stats(model, x, bins=20)
    assert list(stats) == ["1", "3"]  # the Tanh layers, by their names in the Sequential
    for name, h in (("1", ref["h1"]), ("3", ref["h2"])):
        assert_summary(stats[name], h, bins=20)
        assert stats[name]["saturated"] == pytest.approx(100 * np.mean(np.abs(h) > 0.97))
        assert stats[name]["module"] == "Tanh"
    assert stats["1"]["saturated"] > 10  # the scaled-up first layer does saturate


def test_activation_stats_of_kept_tensors_and_other_layers(model, x) -> None:
    ref = by_hand(model, x)
    listed = activation_stats([cr.tensor(ref["h1"]), cr.tensor(ref["h2"])], saturation=0.5)
    assert list(listed) == ["0", "1"]
    assert_summary(listed["1"], ref["h2"])
    assert listed["1"]["saturated"] == pytest.approx(100 * np.mean(np.abs(ref["h2"]) > 0.5))
    named = activation_stats({"first": cr.tensor(ref["h1"])}, saturation=None)
    assert list(named) == ["first"] and "saturated" not in named["first"]
    assert_summary(activation_stats(cr.tensor(ref["h1"]))["0"], ref["h1"])
    # modules by class, or the modules themselves
    linear = activation_stats(model, x, layers=nn.Linear, saturation=None)
    assert list(linear) == ["0", "2", "4"]
    chosen = activation_stats(model, x, layers=[model[3]])
    assert list(chosen) == ["3"]
    assert_summary(chosen["3"], ref["h2"])


def test_a_layer_called_twice_counts_both_outputs() -> None:
    tanh = nn.Tanh()
    model = nn.Sequential(tanh, tanh)
    x = cr.tensor([[0.5, -2.0, 3.0]], dtype=cr.float64)
    once = np.tanh(x.numpy())
    stats = activation_stats(model, x, bins=4)
    assert_summary(stats["0"], np.concatenate([once, np.tanh(once)]), bins=4)
    x.requires_grad_()
    grads = gradient_stats(model, x, loss_fn=lambda o: o.sum(), bins=4)["outputs"]
    # d sum(tanh(h)) / dh = 1 - tanh(h)^2 for the first call's output, 1 for the second's
    assert_summary(grads["0"], np.concatenate([1 - np.tanh(once) ** 2, np.ones_like(once)]),
                   bins=4)


def test_hooks_are_removed_and_buffers_put_back(model, x) -> None:
    bn = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh()).double()
    before = {n: b.clone() for n, b in bn.named_buffers()}
    activation_stats(bn, x)
    gradient_stats(bn, x, loss_fn=lambda o: o.sum())
    for n, b in bn.named_buffers():
        assert cr.equal(b, before[n]), n  # the diagnostic pass left no trace in running stats
    assert all(not m._forward_hooks for m in bn.modules())
    # an unchanged buffer is not rewritten, so a graph that saved it still runs backward
    bn.eval()
    loss = bn(x).sum()
    version = bn[1].running_mean._version
    activation_stats(bn, x)
    assert bn[1].running_mean._version == version
    loss.backward()
    # even when the forward pass fails
    with pytest.raises(RuntimeError):
        activation_stats(model, cr.zeros(2, 7, dtype=cr.float64))
    assert all(not m._forward_hooks for m in model.modules())


def test_plot_activation_histograms_saves_png_and_returns_its_numbers(tmp_path, model,
                                                                      x) -> None:
    fig, stats = plot_activation_histograms(model, x, path=tmp_path / "act.png", title="t")
    assert (tmp_path / "act.png").read_bytes()[:8] == PNG
    assert os.listdir(tmp_path) == ["act.png"]
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("1 (Tanh): mean ")
    assert f"saturated {stats['1']['saturated']:.1f}%" in legend[0]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), stats["3"]["density"])
    fig2, _ = plot_activation_histograms(model, x)  # no path: nothing written
    assert fig2 is not fig and os.listdir(tmp_path) == ["act.png"]


# ----- gradients ----------------------------------------------------------------------------
def test_gradient_stats_of_a_model_equal_numpy_and_leave_grads_alone(model, x) -> None:
    ref = by_hand(model, x)
    stats = gradient_stats(model, x, loss_fn=lambda o: (o**2).sum())
    assert list(stats["outputs"]) == ["1", "3"]
    assert_summary(stats["outputs"]["1"], ref["d_h1"])
    assert_summary(stats["outputs"]["3"], ref["d_h2"])
    assert list(stats["weights"]) == ["0.weight", "2.weight", "4.weight"]  # 2-d only
    for name, k in (("0.weight", 1), ("2.weight", 2), ("4.weight", 3)):
        w = stats["weights"][name]
        assert_summary(w, ref[f"d_W{k}"])
        assert w["ratio"] == pytest.approx(ref[f"d_W{k}"].std(ddof=1) / ref[f"W{k}"].std(ddof=1))
        assert w["shape"] == ref[f"W{k}"].shape
    assert all(p.grad is None for p in model.parameters())  # computed with grad(), not backward
    assert all(not m._forward_hooks for m in model.modules())


def test_gradient_stats_from_grads_already_there(model, x) -> None:
    ref = by_hand(model, x)
    h1 = model[1](model[0](x))
    h1.retain_grad()
    h2 = model[3](model[2](h1))
    h2.retain_grad()
    (model[4](h2) ** 2).sum().backward()
    kept = gradient_stats({"h1": h1, "h2": h2})
    assert kept["weights"] == {}
    assert_summary(kept["outputs"]["h1"], ref["d_h1"])
    assert_summary(kept["outputs"]["h2"], ref["d_h2"])
    from_model = gradient_stats(model)  # reads the weights' .grad
    assert from_model["outputs"] == {}
    assert_summary(from_model["weights"]["2.weight"], ref["d_W2"])
    only = gradient_stats([h1], weights={"W3": model[4].weight})
    assert_summary(only["weights"]["W3"], ref["d_W3"])
    assert gradient_stats(model, x, loss_fn=lambda o: o.sum(), weights=False)["weights"] == {}


def test_a_layer_the_loss_ignores_has_zero_gradient(x) -> None:
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh()).double()
    stats = gradient_stats(m, x, loss_fn=lambda o: x.sum() * 0 + m[0].weight.sum())
    assert stats["outputs"]["1"]["std"] == 0.0 and stats["outputs"]["1"]["mean"] == 0.0


def test_plot_gradient_histograms_one_or_two_panels(tmp_path, model, x) -> None:
    fig, stats = plot_gradient_histograms(model, x, loss_fn=lambda o: (o**2).sum(),
                                          path=tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 3
    legend = [t.get_text() for t in right.get_legend().get_texts()]
    assert legend[0].startswith("0.weight (6, 3): std ")
    assert f"grad:data {stats['weights']['0.weight']['ratio']:.1e}" in legend[0]
    (model[4](model[3](model[2](model[1](model[0](x))))) ** 2).sum().backward()
    fig, _ = plot_gradient_histograms(model)
    assert len(fig.axes) == 1 and "weights" in fig.axes[0].get_title()


# ----- update ratios ------------------------------------------------------------------------
def test_update_ratio_tracker_records_log10_of_the_step_against_the_data(tmp_path, model,
                                                                         x) -> None:
    tracker = UpdateRatioTracker(model)
    assert list(tracker.params) == ["0.weight", "2.weight", "4.weight"]
    want: dict[str, list[float]] = {n: [] for n in tracker.params}
    for lr in (0.1, 0.05, 0.01):
        model.zero_grad()
        (model(x) ** 2).sum().backward()
        for name, p in tracker.params.items():
            g, w = p.grad.numpy(), p.detach().numpy()
            want[name].append(math.log10(np.std(lr * g, ddof=1) / np.std(w, ddof=1)))
        now = tracker.record(lr)
        assert now == pytest.approx({n: v[-1] for n, v in want.items()}, rel=1e-12)
        with cr.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    assert tracker.steps == [0, 1, 2]
    fig, plotted = plot_update_ratios(tracker, path=tmp_path / "u.png")
    assert (tmp_path / "u.png").read_bytes()[:8] == PNG
    assert plotted["guide"] == pytest.approx(-3.0)
    np.testing.assert_array_equal(plotted["steps"], [0, 1, 2])
    for name, values in want.items():
        np.testing.assert_allclose(plotted["ratios"][name], values, rtol=1e-12)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 4  # three parameters and the guide
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), [-3.0, -3.0])


def test_plot_update_ratios_from_plain_numbers(tmp_path) -> None:
    rows = [[-3.0, -2.5], [-3.1, math.inf], [-3.2, -2.7]]  # makemore's ud: one row per step
    _, plotted = plot_update_ratios(rows, guide=1e-2)
    np.testing.assert_array_equal(plotted["ratios"]["1"], [-2.5, math.inf, -2.7])
    assert plotted["guide"] == pytest.approx(-2.0)
    fig, plotted = plot_update_ratios({"w": [-3.0, -2.0]})
    np.testing.assert_array_equal(plotted["steps"], [0, 1])
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [-3.0, -2.0]
    tracker = UpdateRatioTracker({"a": cr.tensor([1.0, 3.0], requires_grad=True)})
    tracker.params["a"].grad = cr.tensor([2.0, 0.0])
    assert tracker.record(0.5, step=10) == {"a": pytest.approx(math.log10(0.5))}
    assert tracker.steps == [10]


# ----- bad arguments ------------------------------------------------------------------------
class OneOfTwo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Tanh()
        self.unused = nn.Tanh()

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.used(x)


def test_bad_arguments_are_refused_clearly(model, x) -> None:
    with pytest.raises(TypeError, match="give the model's inputs"):
        activation_stats(model)
    with pytest.raises(ValueError, match="has no ReLU layer"):
        activation_stats(model, x, layers=nn.ReLU)
    with pytest.raises(ValueError, match="not a submodule of the model"):
        activation_stats(model, x, layers=[nn.Tanh()])
    with pytest.raises(TypeError, match="layers must be a module class"):
        activation_stats(model, x, layers="tanh")
    with pytest.raises(ValueError, match="layer 'unused' was not called"):
        activation_stats(OneOfTwo(), x)
    with pytest.raises(ValueError, match="bins must be a positive int"):
        activation_stats(model, x, bins=0)
    with pytest.raises(ValueError, match="saturation must be a positive number"):
        activation_stats(model, x, saturation=-1)
    with pytest.raises(TypeError, match="'1' is a ndarray, not a Tensor"):
        activation_stats([x, np.zeros(3)])
    with pytest.raises(TypeError, match="inputs are only for a model"):
        activation_stats([x], x)
    with pytest.raises(TypeError, match="a list or dict of Tensors, got int"):
        activation_stats(3)
    with pytest.raises(ValueError, match="contains nan or inf"):
        activation_stats([cr.tensor([1.0, math.nan])])
    with pytest.raises(ValueError, match="no tensors given"):
        activation_stats([])

    with pytest.raises(TypeError, match="pass loss_fn="):
        gradient_stats(model, x)
    with pytest.raises(TypeError, match="one-element Tensor, got Tensor of shape"):
        gradient_stats(model, x, loss_fn=lambda o: o)
    with pytest.raises(RuntimeError, match="the loss does not require grad"):
        gradient_stats(model, x, loss_fn=lambda o: o.detach().sum())
    with pytest.raises(ValueError, match=r"weight '0\.weight' has no \.grad: call backward"):
        gradient_stats(model)
    with pytest.raises(ValueError, match=r"has no \.grad: call retain_grad"):
        gradient_stats([model(x)])
    with pytest.raises(TypeError, match="weights=True reads a model's"):
        gradient_stats([x], weights=True)
    with pytest.raises(TypeError, match="loss_fn= needs a model and its inputs"):
        gradient_stats(model, loss_fn=lambda o: o.sum())
    assert all(not m._forward_hooks for m in model.modules())

    tracker = UpdateRatioTracker(model)
    with pytest.raises(ValueError, match=r"'0\.weight' has no \.grad: call it after backward"):
        tracker.record(0.1)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        tracker.record(-0.1)
    with pytest.raises(ValueError, match="no 2-d parameters"):
        UpdateRatioTracker(nn.Tanh())
    with pytest.raises(ValueError, match="no steps recorded"):
        plot_update_ratios(tracker)
    with pytest.raises(ValueError, match="different numbers of steps"):
        plot_update_ratios({"a": [1.0], "b": [1.0, 2.0]})
    with pytest.raises(ValueError, match="guide must be a positive number"):
        plot_update_ratios({"a": [1.0]}, guide=0)
    with pytest.raises(TypeError, match="must be an UpdateRatioTracker"):
        plot_update_ratios(3.0)
