"""chainrule.nn's Functions are built-ins: their forwards compute on arrays, and a plain backward
pass runs their rules on bare arrays (no Tensor, no Function.apply inside), the same text that
runs on Tensors under create_graph (docs/design.md). Every nn Function is run both ways here, to
first order and, for those that are some rule's gradient (gelu's, conv's adjoints, ...), to
second; a new nn Function without a case below fails the completeness check."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule.tensor.function import Function

RNG = np.random.default_rng(0)


def _t(*shape: int, lo: float = -2.0, hi: float = 2.0) -> cr.Tensor:
    return cr.tensor(RNG.uniform(lo, hi, shape), dtype=cr.float64, requires_grad=True)


def _nn_functions() -> list[type]:
    todo, found = list(Function.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("chainrule.nn."):
            found.append(cls)
    return found


_APPLY = {Function.apply.__func__.__code__, Function._apply_plain.__func__.__code__}


class _Calls:
    """A profile hook (sys.setprofile sees every Python call, however apply was looked up)
    counting Function.apply calls, and those made inside an nn Function's forward."""

    def __init__(self) -> None:
        self.applies = 0
        self.in_forward: list[str] = []
        self._forwards = {c.__dict__["forward"].__func__.__code__: c.__name__
                          for c in _nn_functions() if "forward" in c.__dict__}
        self._inside: list[str] = []

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code in _APPLY:
                self.applies += 1
                if self._inside:
                    self.in_forward.append(self._inside[-1])
            elif code in self._forwards:
                self._inside.append(self._forwards[code])
        elif event == "return" and frame.f_code in self._forwards:
            self._inside.pop()

    def run(self, fn: Callable[[], Any]) -> Any:
        sys.setprofile(self)
        try:
            return fn()
        finally:
            sys.setprofile(None)


def _graph_functions(roots: list[cr.Tensor]) -> set[type]:
    seen, todo, found = set(), [t.grad_fn for t in roots if t.grad_fn is not None], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if hasattr(node, "fn"):
            found.add(node.fn)
        todo.extend(node._next)
    return found


def _conv_transpose(x: cr.Tensor, w: cr.Tensor) -> cr.Tensor:
    return F.conv_transpose1d(x, w, stride=2, padding=1)


# (name, inputs, f): f(*inputs) is the output; an input of integer dtype needs no gradient
CASES: list[tuple[str, Callable[[], list[Any]], Callable[..., cr.Tensor]]] = [
    ("leaky_relu", lambda: [_t(3, 4)], lambda x: F.leaky_relu(x, 0.1)),
    ("hardtanh", lambda: [_t(3, 4)], lambda x: F.hardtanh(x, -1.0, 1.0)),
    ("gelu", lambda: [_t(3, 4)], F.gelu),
    ("gelu_tanh", lambda: [_t(3, 4)], lambda x: F.gelu(x, approximate="tanh")),
    ("silu", lambda: [_t(3, 4)], F.silu),
    ("elu", lambda: [_t(3, 4)], F.elu),
    ("logsigmoid", lambda: [_t(3, 4)], F.logsigmoid),
    ("hardsigmoid", lambda: [_t(3, 4, lo=-4, hi=4)], F.hardsigmoid),
    ("linear", lambda: [_t(2, 3, 4), _t(5, 4), _t(5)], F.linear),
    ("embedding", lambda: [_t(6, 3)],
     lambda w: F.embedding(cr.tensor([[0, 2, 2], [5, 0, 1]]), w, padding_idx=1,
                           scale_grad_by_freq=True)),
    ("cross_entropy", lambda: [_t(5, 4)],
     lambda x: F.cross_entropy(x, cr.tensor([0, 3, 1, 1, 2]), label_smoothing=0.1)),
    ("cross_entropy_none", lambda: [_t(5, 4, 3)],
     lambda x: F.cross_entropy(x, cr.tensor(RNG.integers(0, 4, (5, 3))), reduction="none")),
    ("binary_cross_entropy", lambda: [_t(3, 4, lo=0.05, hi=0.95), _t(3, 4, lo=0, hi=1)],
     lambda x, t: F.binary_cross_entropy(x, t, reduction="none")),
    ("layer_norm", lambda: [_t(3, 4, 5), _t(5), _t(5)],
     lambda x, w, b: F.layer_norm(x, (5,), w, b)),
    ("batch_norm", lambda: [_t(3, 4, 5), _t(4), _t(4)],
     lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    ("group_norm", lambda: [_t(3, 4, 5), _t(4), _t(4)],
     lambda x, w, b: F.group_norm(x, 2, w, b)),
    ("instance_norm", lambda: [_t(3, 4, 5)], F.instance_norm),
    ("max_pool", lambda: [_t(2, 3, 5, 6)], lambda x: F.max_pool2d(x, 2, 1)),
    ("avg_pool", lambda: [_t(2, 3, 7)], lambda x: F.avg_pool1d(x, 3, 2, 1)),
    ("conv", lambda: [_t(2, 3, 7), _t(4, 3, 3), _t(4)],
     lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1)),
    ("conv_transpose", lambda: [_t(2, 3, 4), _t(3, 2, 3)], _conv_transpose),
    ("unfold_fold", lambda: [_t(2, 2, 4, 5)],
     lambda x: F.fold(F.unfold(x, 2, padding=1) * 1.5, (4, 5), 2, padding=1)),
    ("rnn_tanh", lambda: [_t(4, 2, 3), _t(2, 5), _t(5, 3), _t(5, 5), _t(5)],
     lambda x, h, w_ih, w_hh, b: F.rnn_tanh(x, h[None], [w_ih, w_hh, b, b], True, 1, 0.0, True,
                                             False, False)[0]),
    ("rnn_relu", lambda: [_t(4, 2, 3), _t(5, 3), _t(5, 5)],
     lambda x, w_ih, w_hh: F.rnn_relu(x, None, [w_ih, w_hh] * 2, False, 1, 0.0, True, True,
                                      False)[0]),
    ("gru", lambda: [_t(4, 2, 3), _t(2, 5), _t(15, 3), _t(15, 5), _t(15), _t(15)],
     lambda x, h, w_ih, w_hh, b_ih, b_hh: F.gru(x, h[None], [w_ih, w_hh, b_ih, b_hh], True, 1,
                                                 0.0, True, False, False)[0]),
    ("lstm", lambda: [_t(4, 2, 3), _t(2, 5), _t(2, 5), _t(20, 3), _t(20, 5), _t(20)],
     lambda x, h, c, w_ih, w_hh, b: F.lstm(x, (h.expand(2, 2, 5), c.expand(2, 2, 5)),
                                           [w_ih, w_hh, b, b] * 2, True, 1, 0.0, True, True,
                                           False)[0]),
]

# the Functions each case must put in its first-order graph, and in its gradient's graph
EXPECTED = {
    "leaky_relu": ("LeakyRelu", ""), "hardtanh": ("Hardtanh", ""),
    "gelu": ("Gelu", "GeluBackward"), "gelu_tanh": ("GeluTanh", "GeluTanhBackward"),
    "silu": ("Silu", "SiluBackward"), "elu": ("Elu", ""), "logsigmoid": ("LogSigmoid", ""),
    "hardsigmoid": ("Hardsigmoid", ""), "linear": ("Linear", ""),
    "embedding": ("Embedding", "EmbeddingBackward"), "cross_entropy": ("CrossEntropy", ""),
    "cross_entropy_none": ("CrossEntropy", ""),
    "binary_cross_entropy": ("BinaryCrossEntropy", ""), "layer_norm": ("LayerNorm", ""),
    "batch_norm": ("BatchNorm", ""), "group_norm": ("GroupNorm", ""),
    "instance_norm": ("InstanceNorm", ""), "max_pool": ("_PlaneGather", "_PlaneScatter"),
    "avg_pool": ("_AvgPool", "_AvgPoolT"),
    "conv": ("_Conv", "_ConvInputGrad _ConvWeightGrad"),
    "conv_transpose": ("_ConvInputGrad", "_Conv _ConvWeightGrad"),
    "unfold_fold": ("_Unfold _Fold", ""), "rnn_tanh": ("_ElmanSeq", ""),
    "rnn_relu": ("_ElmanSeq", ""), "gru": ("_GRUSeq", ""), "lstm": ("_LSTMSeq", ""),
}


def _names(classes: set[type]) -> set[str]:
    return {c.__name__ for c in classes}


def test_every_nn_function_is_a_builtin_and_has_a_case() -> None:
    classes = _nn_functions()
    assert len(classes) >= 29
    assert all(c._builtin for c in classes)
    covered = {n for first, second in EXPECTED.values() for n in (first + " " + second).split()}
    named = {c.__name__ for c in classes} - {"Normalize"}  # run as its four subclasses
    assert named <= covered, sorted(named - covered)


@pytest.mark.parametrize(("name", "inputs", "f"), CASES, ids=[c[0] for c in CASES])
def test_a_plain_backward_runs_nn_rules_on_arrays(name: str, inputs: Callable, f: Callable
                                                  ) -> None:
    xs = inputs()
    calls = _Calls()
    out = calls.run(lambda: f(*xs))
    assert calls.in_forward == [], f"recording ops inside {calls.in_forward}'s forward"
    first, second = EXPECTED[name]
    assert set(first.split()) <= _names(_graph_functions([out]))
    # the seed requires grad too: the gradient of a map linear in its input (embedding, the
    # poolings) is a function of the seed only
    seed = cr.tensor(RNG.standard_normal(tuple(out.shape)), dtype=out.dtype, requires_grad=True)

    # first order: the plain pass (rules on arrays: not one apply) ...
    calls = _Calls()
    calls.run(lambda: out.backward(seed, retain_graph=True))
    assert calls.applies == 0, f"{calls.applies} Function.apply calls in a plain backward pass"
    plain = [x.grad.numpy() for x in xs]
    assert seed.grad is None
    # ... agrees with the same rules run on Tensors (create_graph)
    grads = cr.grad(out, xs, seed, create_graph=True)
    for g, p in zip(grads, plain, strict=True):
        np.testing.assert_allclose(g.detach().numpy(), p, rtol=1e-12, atol=1e-12)

    # second order: a plain pass through the gradient's graph (rules of rules) on arrays too
    assert set(second.split()) <= _names(_graph_functions([g for g in grads if g.requires_grad]))
    total = sum((g * cr.tensor(RNG.standard_normal(tuple(g.shape)))).sum() for g in grads)
    for x in xs:
        x.grad = None
    calls = _Calls()
    calls.run(lambda: total.backward())
    assert calls.applies == 0, f"{calls.applies} Function.apply calls in a plain backward pass"
    assert seed.grad is not None
