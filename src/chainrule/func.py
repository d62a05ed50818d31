"""Functional derivatives built on ``chainrule.grad``: jacobian, hessian, vjp, jvp, hvp, vhp.

PyTorch's ``torch.autograd.functional`` API: ``f`` takes the tensor(s) ``x`` (a Tensor or a
tuple of them) and returns a Tensor; results have the structure PyTorch gives them (a tuple per
input when ``x`` is a tuple). The inputs are differentiated as fresh leaves (the caller's
tensors need not require grad); ``create_graph=True`` keeps the results differentiable,
through the caller's tensors when they require grad.

Every function here is a few lines over reverse mode:

- vjp: one backward pass, v^T J;
- jacobian: one vjp per output element (the rows of J);
- jvp: the double-vjp trick, J v = d/du <J^T u, v> (J^T u is linear in a dummy u);
- hessian: the jacobian of x -> grad f(x), built with create_graph=True;
- hvp / vhp: d/dx <grad f(x), v>, one double backward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.autograd.grad_mode import enable_grad
from chainrule.tensor.backward import grad
from chainrule.tensor.ops.movement import stack
from chainrule.tensor.tensor import Tensor, zeros, zeros_like

Inputs = Tensor | tuple[Tensor, ...]

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(x: Any, what: str, where: str) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(x, tuple | list)
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            name = f"{what}[{i}]" if is_tuple else what
            raise TypeError(
                f"{where}: {name} must be a Tensor (or a tuple of Tensors), got "
                f"{type(t).__name__}"
            )
    return xs, is_tuple


def _inputs(x: Inputs, create_graph: bool, where: str) -> tuple[tuple[Tensor, ...], bool]:
    """The inputs as leaves to differentiate (kept connected to the caller's graph when
    ``create_graph`` and they require grad)."""
    xs, is_tuple = _as_tuple(x, "inputs", where)
    for i, t in enumerate(xs):
        if not t.dtype.is_floating_point:
            raise TypeError(
                f"{where}: inputs[{i}] has dtype {t.dtype!r}; only floating-point tensors can be "
                f"differentiated"
            )
    return tuple(
        t if create_graph and t.requires_grad else t.detach().requires_grad_(True) for t in xs
    ), is_tuple


def _vectors(v: Any, like: tuple[Tensor, ...], what: str, where: str) -> tuple[Tensor, ...]:
    vs, _ = _as_tuple(v, what, where)
    if len(vs) != len(like):
        raise RuntimeError(f"{where}: expected {len(like)} tensors in {what}, got {len(vs)}")
    for i, (a, b) in enumerate(zip(vs, like, strict=True)):
        if a.shape != b.shape:
            raise RuntimeError(
                f"{where}: {what}[{i}] has shape {tuple(a.shape)} but the matching tensor has "
                f"shape {tuple(b.shape)}; they must match"
            )
    return vs


def _output(out: Any, where: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{where}: the function must return a Tensor, got {type(out).__name__}")
    return out


def _vjp(out: Tensor, xs: tuple[Tensor, ...], v: Tensor | None, create_graph: bool,
         retain_graph: bool) -> list[Tensor]:
    """v^T d(out)/dx for each x; zeros where out does not depend on x."""
    if not out.requires_grad:
        return [zeros_like(x) for x in xs]
    gs = grad(out, xs, v, retain_graph=retain_graph, create_graph=create_graph,
              allow_unused=True)
    return [zeros_like(x) if g is None else g for g, x in zip(gs, xs, strict=True)]


def _pack(items: list[Any], is_tuple: bool) -> Any:
    return tuple(items) if is_tuple else items[0]


def _jacobian_rows(out: Tensor, xs: tuple[Tensor, ...], create_graph: bool) -> list[Tensor]:
    """d(out)/dx_j with shape out.shape + x_j.shape, one backward pass per output element."""
    n = out.numel()
    if n == 0 or not out.requires_grad:
        return [zeros(*out.shape, *x.shape, dtype=x.dtype) for x in xs]
    rows: list[list[Tensor]] = [[] for _ in xs]
    for k in range(n):
        seed = zeros(n, dtype=out.dtype)
        seed._data[k] = 1
        gs = _vjp(out, xs, seed.reshape(out.shape), create_graph, retain_graph=True)
        for j, g in enumerate(gs):
            rows[j].append(g if create_graph else g.detach())
    return [stack(r).reshape((*out.shape, *x.shape)) for r, x in zip(rows, xs, strict=True)]


def jacobian(f: Callable[..., Any], x: Inputs, create_graph: bool = False) -> Any:
    """J[i..., j...] = d f(x)[i...] / d x[j...]: shape f(x).shape + x.shape.

    ``x`` a tuple: one Jacobian per input; ``f`` returning a tuple: one (or one tuple) per output.
    """
    xs, in_tuple = _inputs(x, create_graph, "jacobian")
    with enable_grad():
        outs, out_tuple = _as_tuple(f(*xs), "outputs", "jacobian")
        jac = [_pack(_jacobian_rows(o, xs, create_graph), in_tuple) for o in outs]
    return _pack(jac, out_tuple)


def hessian(f: Callable[..., Any], x: Inputs, create_graph: bool = False) -> Any:
    """H[i..., j...] = d^2 f(x) / d x[i...] d x[j...] for a scalar-valued ``f``.

    ``x`` a tuple: a tuple of tuples, ``H[a][b]`` of shape x_a.shape + x_b.shape.
    """
    xs, in_tuple = _inputs(x, create_graph, "hessian")

    def gradient(*ins: Tensor) -> tuple[Tensor, ...]:
        out = _output(f(*ins), "hessian")
        if out.numel() != 1:
            raise RuntimeError(
                f"hessian: the function must return a single-element tensor, got shape "
                f"{tuple(out.shape)}"
            )
        return tuple(_vjp(out, ins, None, create_graph=True, retain_graph=True))

    with enable_grad():
        gs = gradient(*xs)
        rows = [_jacobian_rows(g, xs, create_graph) for g in gs]
    if not in_tuple:
        return rows[0][0]
    return tuple(tuple(r) for r in rows)


def vjp(f: Callable[..., Any], x: Inputs, v: Any = None,
        create_graph: bool = False) -> tuple[Tensor, Any]:
    """(f(x), v^T J): the vector-Jacobian product (``v`` may be omitted for scalar f)."""
    xs, in_tuple = _inputs(x, create_graph, "vjp")
    with enable_grad():
        out = _output(f(*xs), "vjp")
        if v is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"vjp: v can be omitted only when the function returns a single-element "
                    f"tensor, got shape {tuple(out.shape)}"
                )
        else:
            (v,) = _vectors(v, (out,), "v", "vjp")
        gs = _vjp(out, xs, v, create_graph, retain_graph=create_graph)
    if not create_graph:
        out, gs = out.detach(), [g.detach() for g in gs]
    return out, _pack(gs, in_tuple)


def jvp(f: Callable[..., Any], x: Inputs, v: Any = None,
        create_graph: bool = False) -> tuple[Tensor, Tensor]:
    """(f(x), J v): the Jacobian-vector product, by the double-vjp trick d/du <J^T u, v>."""
    xs, _ = _inputs(x, create_graph, "jvp")
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("jvp: v can be omitted only when the input is a single-element "
                               "tensor")
        vs: tuple[Tensor, ...] = (zeros_like(xs[0]) + 1,)
    else:
        vs = _vectors(v, xs, "v", "jvp")
    with enable_grad():
        out = _output(f(*xs), "jvp")
        if not out.requires_grad:
            jv = zeros_like(out)
        else:
            u = zeros_like(out).requires_grad_(True)  # any value: J^T u is linear in u
            gs = grad(out, xs, u, create_graph=True, allow_unused=True)
            pairs = [(g, w) for g, w in zip(gs, vs, strict=True) if g is not None
                     and g.requires_grad]
            jv = None
            if pairs:
                (jv,) = grad([g for g, _ in pairs], u, [w for _, w in pairs],
                             create_graph=create_graph, allow_unused=True)
            if jv is None:
                jv = zeros_like(out)
    if not create_graph:
        out, jv = out.detach(), jv.detach()
    return out, jv


def vhp(f: Callable[..., Any], x: Inputs, v: Any,
        create_graph: bool = False) -> tuple[Tensor, Any]:
    """(f(x), v^T H) for a scalar-valued ``f``: d/dx <grad f(x), v>."""
    return _second(f, x, v, create_graph, "vhp")


def hvp(f: Callable[..., Any], x: Inputs, v: Any,
        create_graph: bool = False) -> tuple[Tensor, Any]:
    """(f(x), H v) for a scalar-valued ``f``; H is symmetric, so this is v^T H computed by one
    double backward pass (d/dx <grad f(x), v>)."""
    return _second(f, x, v, create_graph, "hvp")


def _second(f: Callable[..., Any], x: Inputs, v: Any, create_graph: bool,
            where: str) -> tuple[Tensor, Any]:
    xs, in_tuple = _inputs(x, create_graph, where)
    vs = _vectors(v, xs, "v", where)
    with enable_grad():
        out = _output(f(*xs), where)
        if out.numel() != 1:
            raise RuntimeError(
                f"{where}: the function must return a single-element tensor, got shape "
                f"{tuple(out.shape)}"
            )
        gs = _vjp(out, xs, None, create_graph=True, retain_graph=True)
        pairs = [(g, w) for g, w in zip(gs, vs, strict=True) if g.requires_grad]
        if pairs:
            hs = grad([g for g, _ in pairs], xs, [w for _, w in pairs],
                      create_graph=create_graph, allow_unused=True)
            hs = [zeros_like(t) if h is None else h for h, t in zip(hs, xs, strict=True)]
        else:
            hs = [zeros_like(t) for t in xs]
    if not create_graph:
        out, hs = out.detach(), [h.detach() for h in hs]
    return out, _pack(hs, in_tuple)
