"""gradcheck and gradgradcheck: analytic derivatives against float64 central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.backward import grad
from chainrule.tensor.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic derivative disagrees with the numerical one."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    outs = _as_tuple(fn(*inputs))
    return tuple(o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point)


def _check_inputs(inputs: Sequence[Any], where: str) -> list[int]:
    diff = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x._data.dtype != xp.float64:
                raise ValueError(
                    f"{where}: inputs[{i}] is {x.dtype!r}; use float64 inputs (finite differences "
                    f"in lower precision are not reliable)"
                )
            diff.append(i)
    if not diff:
        raise ValueError(f"{where}: no input requires grad")
    return diff


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in xp.unravel_index(flat, shape))


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check d fn / d inputs: column j of the Jacobian by backward (rows of unit vectors)
    against (fn(x + eps e_j) - fn(x - eps e_j)) / (2 eps). Returns True, or raises naming the
    output, input and element that disagree (returns False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, "gradcheck")
    outputs = _outputs(fn, inputs)
    for k, out in enumerate(outputs):
        n_out = out._data.size
        for i in diff:
            x = inputs[i]
            numeric = xp.zeros((n_out, x._data.size))
            if not x._data.flags.c_contiguous:
                x._data = xp.ascontiguousarray(x._data)
            flat = x._data.reshape(-1)  # a view: writes nudge x itself
            for j in range(x._data.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = _outputs(fn, inputs)[k]._data.reshape(-1).astype(xp.float64)
                flat[j] = orig - eps
                minus = _outputs(fn, inputs)[k]._data.reshape(-1).astype(xp.float64)
                flat[j] = orig
                numeric[:, j] = (plus - minus) / (2 * eps)
            analytic = xp.zeros_like(numeric)  # an output that does not require grad: J = 0
            for r in range(n_out if out.requires_grad else 0):
                seed = xp.zeros(n_out, dtype=out._data.dtype)
                seed[r] = 1.0
                (gx,) = grad(out, [x], Tensor._make(seed.reshape(out._data.shape), False, None),
                             retain_graph=True, allow_unused=True)
                if gx is not None:
                    analytic[r] = gx._data.reshape(-1)
            bad = ~xp.isclose(analytic, numeric, rtol=rtol, atol=atol)
            if bad.any():
                r, j = (int(v) for v in xp.argwhere(bad)[0])
                return _fail(
                    f"gradcheck: Jacobian mismatch for output {k} with respect to input {i}, "
                    f"element {_index(j, x._data.shape)} (output element "
                    f"{_index(r, out._data.shape)}): numerical {numeric[r, j]:.8g}, "
                    f"analytical {analytic[r, j]:.8g}",
                    raise_exception,
                )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """gradcheck of the function x -> grad(fn(x), x, v) (with ``create_graph=True``): checks
    second derivatives. ``v`` (grad_outputs) is random unless given."""
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, "gradgradcheck")
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = xp.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape), False, None) for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)

    def first_derivative(*xs: Any) -> tuple[Tensor, ...]:
        outs = _outputs(fn, xs)
        gs = grad(list(outs), [xs[i] for i in diff], list(grad_outputs), create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, inputs, eps, atol, rtol, raise_exception)
