"""The lectures' numerical gradient: nudge an input, watch the output, compare with backward.

For an output L(x_1, ..., x_n), the central difference

    dL/dx_i  ~  (L(.., x_i + h, ..) - L(.., x_i - h, ..)) / (2h)

has error O(h^2) (the h^2 L'''/6 term of the Taylor series) plus rounding of order eps * |L| / h,
so h = 1e-6 in float64 agrees with the exact derivative to roughly 1e-8 for well-scaled L.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

from chainrule.autograd.grad_mode import no_grad
from chainrule.scalar.value import Value, grad

Output = Union[Value, int, float]  # noqa: UP007


def _out(f: Callable[[], Output]) -> float:
    y = f()
    return y.data if isinstance(y, Value) else float(y)


def numerical_grad(
    f: Callable[[], Output], inputs: Sequence[Value], h: float = 1e-6
) -> list[float]:
    """(f(x_i + h) - f(x_i - h)) / (2h) for each input x_i, by central differences.

    ``f`` takes no arguments and recomputes the output from the current ``.data`` of ``inputs``.
    Each ``x.data`` is nudged by +h and -h and then restored exactly; no graph is recorded.
    """
    if not h > 0:
        raise ValueError(f"numerical_grad: step h must be > 0, got {h!r}")
    result: list[float] = []
    with no_grad():
        for i, x in enumerate(inputs):
            if not isinstance(x, Value):
                kind = type(x).__name__
                raise TypeError(f"numerical_grad: inputs[{i}] must be a Value, got {kind}")
            old = x.data
            try:
                x.data = old + h
                plus = _out(f)
                x.data = old - h
                minus = _out(f)
            finally:
                x.data = old
            result.append((plus - minus) / (2.0 * h))
    return result


def check_grad(f: Callable[[], Value], inputs: Sequence[Value], h: float = 1e-6) -> float:
    """max_i |numerical dL/dx_i - analytic dL/dx_i|, the analytic one from ``grad``.

    ``.grad`` of every node is left untouched. A result near 1e-8 or below (for outputs of order
    one) means backward agrees with the definition of the derivative.
    """
    inputs = list(inputs)
    out = f()
    if not isinstance(out, Value):
        raise TypeError(f"check_grad: f() must return a Value, got {type(out).__name__}")
    analytic = [g.data for g in grad(out, inputs)]
    del out
    numeric = numerical_grad(f, inputs, h)
    return max((abs(a - n) for a, n in zip(analytic, numeric, strict=True)), default=0.0)
