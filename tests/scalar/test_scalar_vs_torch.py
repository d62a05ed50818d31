"""Value against PyTorch (float64): values, gradients, and second and third derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from chainrule.scalar import Value, grad

pytestmark = pytest.mark.torch

REL = 1e-9


def close(ours: float, theirs: float, rel: float = REL, abs_tol: float = 0.0) -> bool:
    if math.isnan(theirs):
        return math.isnan(ours)
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs_tol)


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 0.1, hi: float = 10.0) -> st.SearchStrategy[float]:
    return st.tuples(st.sampled_from([-1.0, 1.0]), finite(lo, hi)).map(lambda t: t[0] * t[1])


ANY = finite(-10, 10)
POSITIVE = finite(1e-3, 1e3)
NONZERO_EXPONENT = finite(-3, 3).filter(lambda b: b != 0)


# ----- micrograd's README example ---------------------------------------------------------------
def readme_example(a: Any, b: Any, relu: Callable[[Any], Any]) -> Any:
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_readme_example() -> None:
    a, b = Value(-4.0), Value(2.0)
    g = readme_example(a, b, lambda v: v.relu())
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"

    ta, tb = leaf(-4.0), leaf(2.0)
    tg = readme_example(ta, tb, torch.relu)
    tg.backward()
    assert close(g.data, tg.item())
    assert close(a.grad, ta.grad.item())
    assert close(b.grad, tb.grad.item())


# ----- every op, value and gradient --------------------------------------------------------------
# name -> (chainrule fn, torch fn, domain)
UNARY: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], st.SearchStrategy[float]]] = {
    "neg": (lambda x: -x, lambda t: -t, ANY),
    "abs": (abs, torch.abs, ANY),
    "exp": (Value.exp, torch.exp, finite(-20, 20)),
    "log": (Value.log, torch.log, POSITIVE),
    "sqrt": (Value.sqrt, torch.sqrt, POSITIVE),
    # |x| <= 6: beyond, 1 - tanh(x)^2 cancels (tanh(10) = 1 - 4e-9) and the rounding of tanh(x)
    # alone moves it by 1e-8 relative, whichever formula (PyTorch's fma, ours 1 - t*t) computes it
    "tanh": (Value.tanh, torch.tanh, finite(-6, 6)),
    "sigmoid": (Value.sigmoid, torch.sigmoid, finite(-30, 30)),
    "relu": (Value.relu, torch.relu, ANY),
    "sin": (Value.sin, torch.sin, ANY),
    "cos": (Value.cos, torch.cos, ANY),
    "x**2": (lambda x: x**2, lambda t: t**2, ANY),
    "x**3": (lambda x: x**3, lambda t: t**3, ANY),
    "x**2.5": (lambda x: x**2.5, lambda t: t**2.5, POSITIVE),
    "x**-1.5": (lambda x: x**-1.5, lambda t: t**-1.5, POSITIVE),
    "x**-1": (lambda x: x**-1, lambda t: t**-1, away_from_zero()),
    "x**0": (lambda x: x**0, lambda t: t**0, ANY),
    "2**x": (lambda x: 2**x, lambda t: 2**t, ANY),
    "0.5**x": (lambda x: 0.5**x, lambda t: 0.5**t, ANY),
    "x+2": (lambda x: x + 2, lambda t: t + 2, ANY),
    "2+x": (lambda x: 2 + x, lambda t: 2 + t, ANY),
    "x-1.5": (lambda x: x - 1.5, lambda t: t - 1.5, ANY),
    "1-x": (lambda x: 1 - x, lambda t: 1 - t, ANY),
    "x*3": (lambda x: x * 3, lambda t: t * 3, ANY),
    "3*x": (lambda x: 3 * x, lambda t: 3 * t, ANY),
    "x/4": (lambda x: x / 4, lambda t: t / 4, ANY),
    "3/x": (lambda x: 3 / x, lambda t: 3 / t, away_from_zero()),
}

BINARY: dict[
    str,
    tuple[
        Callable[[Any, Any], Any],
        Callable[[Any, Any], Any],
        st.SearchStrategy[float],
        st.SearchStrategy[float],
    ],
] = {
    "a+b": (lambda a, b: a + b, lambda a, b: a + b, ANY, ANY),
    "a-b": (lambda a, b: a - b, lambda a, b: a - b, ANY, ANY),
    "a*b": (lambda a, b: a * b, lambda a, b: a * b, ANY, ANY),
    "a/b": (lambda a, b: a / b, lambda a, b: a / b, ANY, away_from_zero()),
    "a**b": (lambda a, b: a**b, lambda a, b: a**b, finite(0.05, 20), finite(-3, 3)),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_op_matches_torch(name: str, data: st.DataObject) -> None:
    fn, tfn, domain = UNARY[name]
    x = data.draw(domain, label="x")
    v = Value(x)
    y = fn(v)
    y.backward()
    t = leaf(x)
    ty = tfn(t)
    ty.backward()
    assert close(y.data, ty.item()), (y.data, ty.item())
    assert close(v.grad, t.grad.item()), (v.grad, t.grad.item())


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_matches_torch(name: str, data: st.DataObject) -> None:
    fn, tfn, dom_a, dom_b = BINARY[name]
    a_, b_ = data.draw(dom_a, label="a"), data.draw(dom_b, label="b")
    a, b = Value(a_), Value(b_)
    y = fn(a, b)
    y.backward()
    ta, tb = leaf(a_), leaf(b_)
    ty = tfn(ta, tb)
    ty.backward()
    assert close(y.data, ty.item())
    assert close(a.grad, ta.grad.item())
    assert close(b.grad, tb.grad.item())


@given(x=ANY)
def test_same_operand_on_both_sides(x: float) -> None:
    # a*a, a/a, a-a: the two contributions to d/da must be summed, not overwritten
    for fn in (lambda a: a * a, lambda a: a - a, lambda a: a + a, lambda a: a * a * a):
        v, t = Value(x), leaf(x)
        fn(v).backward()
        fn(t).backward()
        assert close(v.grad, t.grad.item())


def test_pow_at_zero_base_matches_torch() -> None:
    # 0 ** b: d/db is taken as 0 (PyTorch's convention), d/da = b * 0 ** (b-1)
    for b_ in (2.0, 3.0, 1.0):
        a, b = Value(0.0), Value(b_)
        (a**b).backward()
        ta, tb = leaf(0.0), leaf(b_)
        (ta**tb).backward()
        assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())


def test_zero_power_has_zero_gradient_at_zero() -> None:
    # regression: d/dx x**0 at x = 0 was 0 * inf = nan; PyTorch (and the math: x^0 = 1) give 0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    a, b = Value(0.0), Value(0.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_sqrt_derivative_at_zero_is_inf_with_create_graph() -> None:
    # regression: with create_graph the rule computed Value(0) ** -0.5, which raised
    x, t = Value(0.0), leaf(0.0)
    (g,) = grad(x.sqrt(), [x], create_graph=True)
    (tg,) = torch.autograd.grad(torch.sqrt(t), t, create_graph=True)
    assert g.data == tg.item() == math.inf


def test_pow_hessian_at_zero_exponent() -> None:
    # f = a^b at b = 0: f_ab = d/db (b a^(b-1)) = a^(b-1) = 1/a and f_ba = d/da (a^b ln a) = 1/a.
    # PyTorch masks d/da with where(b == 0, 0, ...), so its f_ab is 0 and its Hessian is not
    # symmetric; ours keeps the formula wherever a != 0.
    a, b = Value(2.0), Value(0.0)
    ga, gb = grad(a**b, [a, b], create_graph=True)
    assert [h.data for h in grad(ga, [a, b])] == [0.0, 0.5]
    assert grad(gb, [a, b])[0].data == 0.5
    ta, tb = leaf(2.0), leaf(0.0)
    _, tgb = torch.autograd.grad(ta**tb, [ta, tb], create_graph=True)
    assert torch.autograd.grad(tgb, ta)[0].item() == 0.5


# ----- random expression graphs with reused nodes -----------------------------------------------
# Ops defined on all of R, so any DAG is valid; (arity, chainrule fn, torch fn)
DAG_OPS: dict[str, tuple[int, Callable[..., Any], Callable[..., Any]]] = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "addc": (1, lambda a: 0.5 + a, lambda a: 0.5 + a),
    "rsub": (1, lambda a: 1 - a, lambda a: 1 - a),
    "neg": (1, lambda a: -a, lambda a: -a),
    "tanh": (1, Value.tanh, torch.tanh),
    "sigmoid": (1, Value.sigmoid, torch.sigmoid),
    "sin": (1, Value.sin, torch.sin),
    "cos": (1, Value.cos, torch.cos),
    "relu": (1, Value.relu, torch.relu),
    "abs": (1, abs, torch.abs),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "softplus": (1, lambda a: (1 + a.exp()).log(), lambda a: torch.log(1 + torch.exp(a))),
    "pow": (2, lambda a, b: (1 + a * a) ** b.tanh(), lambda a, b: (1 + a * a) ** torch.tanh(b)),
}


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, int, int]]]:
    leaves = draw(st.lists(finite(-2, 2), min_size=3, max_size=3))
    n_ops = draw(st.integers(1, 14))
    steps = []
    for k in range(n_ops):
        op = draw(st.sampled_from(sorted(DAG_OPS)))
        # operands are any earlier node (leaves are 0..2), so nodes get reused
        i = draw(st.integers(0, 2 + k))
        j = draw(st.integers(0, 2 + k))
        steps.append((op, i, j))
    return leaves, steps


def run_dag(nodes: list[Any], steps: list[tuple[str, int, int]], torch_side: bool) -> Any:
    for op, i, j in steps:
        arity, fn, tfn = DAG_OPS[op]
        f = tfn if torch_side else fn
        nodes.append(f(nodes[i]) if arity == 1 else f(nodes[i], nodes[j]))
    # the output sums the last few nodes, so several branches meet at the end
    return sum(nodes[-3:], nodes[-1] * 0.25)


@given(dags())
def test_random_dag_matches_torch(dag: tuple[list[float], list[tuple[str, int, int]]]) -> None:
    leaves, steps = dag
    xs = [Value(x) for x in leaves]
    ts = [leaf(x) for x in leaves]
    out = run_dag(list(xs), steps, torch_side=False)
    tout = run_dag(list(ts), steps, torch_side=True)
    assume(math.isfinite(tout.item()))
    tout.backward()
    t_grads = [0.0 if t.grad is None else t.grad.item() for t in ts]
    assume(all(math.isfinite(g) for g in t_grads))
    out.backward()
    assert close(out.data, tout.item(), abs_tol=1e-12)
    scale = max(1.0, *(abs(g) for g in t_grads))
    for v, tg in zip(xs, t_grads, strict=True):
        # sums of contributions are accumulated in a different order than in torch
        assert close(v.grad, tg, abs_tol=1e-10 * scale), (v.grad, tg)


# ----- higher derivatives ----------------------------------------------------------------------
def torch_derivs(tfn: Callable[..., Any], xs: list[float], order: int) -> list[float]:
    """d^k f/dx0^k for k = 1..order via torch.autograd.grad(create_graph=True)."""
    ts = [leaf(x) for x in xs]
    y = tfn(*ts)
    out = []
    for _ in range(order):
        if not y.requires_grad:
            out.append(0.0)
            continue
        (y,) = torch.autograd.grad(y, ts[0], create_graph=True, allow_unused=True)
        if y is None:
            y = torch.zeros((), dtype=torch.float64)
        out.append(y.item())
    return out


def our_derivs(fn: Callable[..., Value], xs: list[float], order: int) -> list[float]:
    vs = [Value(x) for x in xs]
    y = fn(*vs)
    out = []
    for _ in range(order):
        (y,) = grad(y, [vs[0]], create_graph=True)
        out.append(y.data)
    # grad() must not fill .grad
    assert all(v.grad == 0.0 for v in vs)
    return out


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_second_derivative_of_unary_ops(name: str, data: st.DataObject) -> None:
    fn, tfn, domain = UNARY[name]
    x = data.draw(domain, label="x")
    ours, theirs = our_derivs(fn, [x], 2), torch_derivs(tfn, [x], 2)
    # abs_tol: s'' = s'(1-s) - s s' cancels near s = 1/2 (PyTorch computes s'(1-2s) instead)
    for a, b in zip(ours, theirs, strict=True):
        assert close(a, b, abs_tol=1e-12), (ours, theirs)


COMPOSITE: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[st.SearchStrategy]]] = {
    "a*b": (lambda a, b: a * b * a, lambda a, b: a * b * a, [ANY, ANY]),
    "a/b": (lambda a, b: a / b, lambda a, b: a / b, [ANY, away_from_zero()]),
    "b/a": (lambda a, b: b / a, lambda a, b: b / a, [away_from_zero(), ANY]),
    # exponent 0 excluded: there PyTorch's d2/da db is 0 (see test_pow_hessian_at_zero_exponent)
    "a**b": (lambda a, b: a**b, lambda a, b: a**b, [finite(0.1, 5), NONZERO_EXPONENT]),
    "b**a": (lambda a, b: b**a, lambda a, b: b**a, [NONZERO_EXPONENT, finite(0.1, 5)]),
    "mlp-ish": (
        lambda a, b: (a * b + a.tanh()).sigmoid() * (b - a).exp(),
        lambda a, b: torch.sigmoid(a * b + torch.tanh(a)) * torch.exp(b - a),
        [finite(-3, 3), finite(-3, 3)],
    ),
    "log-ratio": (
        lambda a, b: (a * a + 1).log() / (b * b + 2) + (a.sin() * b.cos()) ** 2,
        lambda a, b: torch.log(a * a + 1) / (b * b + 2) + (torch.sin(a) * torch.cos(b)) ** 2,
        [ANY, ANY],
    ),
}


@pytest.mark.parametrize("name", COMPOSITE)
@given(data=st.data())
def test_second_derivatives_of_binary_expressions(name: str, data: st.DataObject) -> None:
    """The full Hessian [[f_aa, f_ab], [f_ba, f_bb]] against torch."""
    fn, tfn, domains = COMPOSITE[name]
    xs = [data.draw(d, label=f"x{i}") for i, d in enumerate(domains)]
    vs = [Value(x) for x in xs]
    ts = [leaf(x) for x in xs]
    y, ty = fn(*vs), tfn(*ts)
    assert close(y.data, ty.item())
    g = grad(y, vs, create_graph=True)
    tg = torch.autograd.grad(ty, ts, create_graph=True)
    for gi, tgi in zip(g, tg, strict=True):
        assert close(gi.data, tgi.item(), abs_tol=1e-12)
        h = grad(gi, vs)
        th = torch.autograd.grad(tgi, ts, retain_graph=True, allow_unused=True)
        for hij, thij in zip(h, th, strict=True):
            expected = 0.0 if thij is None else thij.item()
            assert close(hij.data, expected, rel=1e-8, abs_tol=1e-10), (hij.data, expected)


@pytest.mark.parametrize(
    ("fn", "tfn"),
    [
        (lambda x: x**4, lambda t: t**4),
        (Value.tanh, torch.tanh),
        (Value.sigmoid, torch.sigmoid),
        (Value.sin, torch.sin),
        (lambda x: x.exp() * x, lambda t: torch.exp(t) * t),
        (lambda x: 1 / (1 + x * x), lambda t: 1 / (1 + t * t)),
    ],
)
@given(x=finite(-3, 3))
def test_third_derivative(fn: Callable[..., Any], tfn: Callable[..., Any], x: float) -> None:
    ours, theirs = our_derivs(fn, [x], 3), torch_derivs(tfn, [x], 3)
    for a, b in zip(ours, theirs, strict=True):
        assert close(a, b, rel=1e-8, abs_tol=1e-12), (ours, theirs)


def test_third_derivative_of_x4_exact() -> None:
    # d/dx x^4 = 4x^3, then 12x^2, then 24x: at x = 1.5 these are 13.5, 27, 36
    assert our_derivs(lambda x: x**4, [1.5], 3) == [13.5, 27.0, 36.0]
