"""In-place random fills: ``uniform_``, ``normal_``, ``bernoulli_``, ``random_``,
``exponential_``, drawn from chainrule's generator (``generator=`` or the default one).

They follow the in-place rules (ops/inplace.py): a leaf that requires grad is refused under grad
mode; the version counter is bumped; a tensor with history takes the fill's (whose gradient
with respect to the old values is zero), as ``copy_`` of the sample.
"""

from __future__ import annotations

from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.ops.inplace import copy_
from chainrule.tensor.tensor import Generator, Tensor, default_generator, tensor_method

__all__: list[str] = []


def _fill(a: Tensor, sample: Any, op: str) -> Tensor:
    """Write ``sample`` (an array of a's shape) into ``a`` under the in-place rules."""
    a._check_inplace(op)
    return copy_(a, Tensor._make(sample, False, None))


def _rng(generator: Generator | None) -> Any:
    return (generator if generator is not None else default_generator).rng


def _floating(a: Tensor, op: str) -> None:
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {a.dtype!r} (a floating-point "
                                  f"tensor is needed)")


@tensor_method("uniform_")
def uniform_(a: Tensor, from_: float = 0, to: float = 1, generator: Generator | None = None,
             **kwargs: Any) -> Tensor:
    """Fill with samples from the uniform distribution on [from, to)."""
    from_ = kwargs.pop("from", from_)
    _no_more(kwargs, "uniform_")
    _floating(a, "uniform_")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    return _fill(a, _rng(generator).uniform(from_, to, a._data.shape), "uniform_")


@tensor_method("normal_")
def normal_(a: Tensor, mean: float = 0, std: float = 1,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _floating(a, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    return _fill(a, _rng(generator).normal(mean, std, a._data.shape), "normal_")


@tensor_method("exponential_")
def exponential_(a: Tensor, lambd: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill with samples from the exponential distribution of rate ``lambd``."""
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"exponential_: the exponential distribution is continuous; the "
                           f"dtype must be floating point, got {a.dtype!r}")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(a, _rng(generator).exponential(1 / lambd, a._data.shape), "exponential_")


@tensor_method("bernoulli_")
def bernoulli_(a: Tensor, p: Any = 0.5, generator: Generator | None = None) -> Tensor:
    """Fill with 1 with probability ``p`` (a number or a tensor broadcast to self), else 0."""
    probs = p._data if isinstance(p, Tensor) else xp.asarray(p, dtype=xp.float64)
    if probs.size and (xp.isnan(probs).any() or probs.min() < 0 or probs.max() > 1):
        shown = p if not isinstance(p, Tensor) else "a tensor with values outside [0, 1]"
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={shown}")
    try:
        probs = xp.broadcast_to(probs, a._data.shape)
    except ValueError:
        raise RuntimeError(f"bernoulli_: p of shape {probs.shape} cannot be broadcast to the "
                           f"tensor's shape {tuple(a.shape)}") from None
    return _fill(a, _rng(generator).random(a._data.shape) < probs, "bernoulli_")


@tensor_method("random_")
def random_(a: Tensor, from_: int = 0, to: int | None = None,
            generator: Generator | None = None, **kwargs: Any) -> Tensor:
    """Fill with integers drawn uniformly from [from, to) (``random_(to)``: [0, to)). Without
    ``to``: up to the dtype's largest value, or 2**mantissa for floating types (every integer
    there is exact)."""
    from_ = kwargs.pop("from", from_)
    _no_more(kwargs, "random_")
    dtype = a._data.dtype
    if to is None and "from" not in kwargs and from_ != 0:
        from_, to = 0, from_  # random_(to)
    if to is None:
        if dtype == xp.bool_:
            to = 2
        elif dtype.kind == "f":
            to = 2 ** (xp.finfo(dtype).nmant + 1) + 1
        else:
            to = int(xp.iinfo(dtype).max) + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={from_} >= to={to}")
    return _fill(a, _rng(generator).integers(from_, to, a._data.shape), "random_")


def _no_more(kwargs: dict[str, Any], op: str) -> None:
    if kwargs:
        raise TypeError(f"{op}() got an unexpected keyword argument '{next(iter(kwargs))}'")
