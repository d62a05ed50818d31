"""More of PyTorch's creation functions: from arrays (``from_numpy``, ``as_tensor``), ranges
(``logspace``, ``range``), index sets (``tril_indices``, ``triu_indices``), random draws
(``randperm``, ``normal``, ``bernoulli``, ``multinomial``, ``randint_like``) and seeding
(``seed``, ``initial_seed``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from chainrule.autograd.grad_mode import _GradMode
from chainrule.tensor import backend
from chainrule.tensor.backend import quiet, xp
from chainrule.tensor.devices import check_device
from chainrule.tensor.function import Function, Node
from chainrule.tensor.tensor import (
    Generator,
    Tensor,
    _asarray,
    _new,
    _size,
    default_generator,
    randint,
)

__all__ = [
    "as_tensor", "bernoulli", "from_numpy", "initial_seed", "is_tensor", "logspace",
    "multinomial", "normal", "randint_like", "randperm", "range", "seed", "tril_indices",
    "triu_indices",
]

_range = range  # the builtin, before this module's torch.range shadows it


def _rng(generator: Generator | None) -> Any:
    return (generator if generator is not None else default_generator).rng


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a Tensor (a subclass included)."""
    return isinstance(obj, Tensor)


def from_numpy(ndarray: Any) -> Tensor:
    """A tensor sharing ``ndarray``'s memory: writes to either show in the other."""
    if not backend.is_array(ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    try:
        backend.dtype_of(ndarray)
    except TypeError:
        raise TypeError(
            f"from_numpy: can't convert np.ndarray of type {ndarray.dtype}. The only supported "
            f"types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None
    return Tensor._make(ndarray, False, None)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor without a copy when it already is one (a Tensor of that dtype is
    returned itself; an array of that dtype is shared); otherwise a new tensor, as ``tensor``.
    A Tensor cast to a new dtype keeps its graph."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return Tensor._make(_asarray(data, dtype), False, None)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` values base**t for t evenly spaced from start to end (inclusive)."""
    check_device(device, "logspace")
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    np_dtype = backend.to_np_dtype(dtype) if dtype is not None else xp.dtype(xp.float32)
    values = xp.logspace(float(start), float(end), steps, base=base)
    if np_dtype.kind != "f":  # PyTorch computes integer results in float, then truncates
        values = xp.trunc(values)
    return _new(values.astype(np_dtype), requires_grad)


def range(start: float = 0, end: float | None = None, step: float = 1,
          dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Deprecated ``torch.range``: start, start+step, ... up to and including ``end``; float32
    unless ``dtype`` says otherwise (use ``arange``, whose end is excluded)."""
    warnings.warn(
        "chainrule.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use chainrule.arange, "
        "which produces values in [start, end).", UserWarning, stacklevel=2)
    check_device(device, "range")
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("range: upper bound and lower bound inconsistent with step sign")
    n = math.floor((end - start) / step) + 1
    np_dtype = backend.to_np_dtype(dtype) if dtype is not None else xp.dtype(xp.float32)
    return _new((start + step * xp.arange(n, dtype=xp.float64)).astype(np_dtype),
                requires_grad)


def _tri_indices(row: int, col: int, offset: int, dtype: Any, device: Any, op: str,
                 upper: bool) -> Tensor:
    check_device(device, op)
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{op}: {name} must be non-negative, got {n}")
    i, j = xp.indices((row, col)).reshape(2, -1)
    keep = j - i >= offset if upper else j - i <= offset  # row-major order, as PyTorch's
    return _new(xp.stack([i[keep], j[keep]]).astype(backend.to_np_dtype(dtype)), False)


def tril_indices(row: int, col: int, offset: int = 0, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) indices of the lower triangle of a row x col matrix (j - i <= offset)."""
    return _tri_indices(row, col, offset, dtype or "int64", device, "tril_indices", False)


def triu_indices(row: int, col: int, offset: int = 0, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) indices of the upper triangle of a row x col matrix (j - i >= offset)."""
    return _tri_indices(row, col, offset, dtype or "int64", device, "triu_indices", True)


# ----- random draws --------------------------------------------------------------------------
def seed() -> int:
    """Reseed the default generator from a nondeterministic source; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def randperm(n: int, generator: Generator | None = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0, ..., n-1 (int64 unless ``dtype``)."""
    check_device(device, "randperm")
    (n,) = _size((n,), "randperm")
    array = _rng(generator).permutation(n).astype(backend.to_np_dtype(dtype or "int64"))
    return _new(array, requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None,
                 generator: Generator | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint_like(x, high)``), x's shape and
    (unless ``dtype``) dtype."""
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return randint(low, high, input.shape, generator=generator,
                   dtype=dtype if dtype is not None else input.dtype, device=device,
                   requires_grad=requires_grad)


class Sampled(Function):
    """y = a sample drawn beforehand from a distribution with tensor parameters. Its gradient
    with respect to the parameters is zero, as PyTorch's (a draw, not a reparameterization)."""

    @staticmethod
    def forward(ctx: Node, sample: Any, *params: Tensor) -> Any:
        ctx.n = len(params)
        return sample

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, ...]:
        return (None, *(xp.zeros_like(g) for _ in _range(ctx.n)))


def _sampled(sample: Any, *params: Any) -> Tensor:
    """The sample as a tensor: a zero-gradient node when a tensor parameter requires grad."""
    tensors = [p for p in params if isinstance(p, Tensor)]
    if _GradMode.enabled and any(p.requires_grad for p in tensors):
        return Sampled.apply(sample, *tensors)
    return Tensor._make(sample, False, None)


def _float_param(p: Any, what: str, op: str) -> Any:
    if isinstance(p, Tensor):
        if p._data.dtype.kind != "f":
            raise NotImplementedError(f"{op}: {what} must be floating point, got {p.dtype!r}")
        return p._data
    if not isinstance(p, int | float) or isinstance(p, bool):
        raise TypeError(f"{op}: {what} must be a Tensor or a number, got {type(p).__name__}")
    return None


def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None,
           generator: Generator | None = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples N(mean, std^2): ``mean``/``std`` tensors (broadcast together; the result
    has their dtype) or numbers with ``size`` (float32 unless ``dtype``)."""
    m, s = _float_param(mean, "mean", "normal"), _float_param(std, "std", "normal")
    if xp.any(xp.asarray(std if s is None else s) < 0):
        bad = std if s is None else float(s.min())
        raise RuntimeError(f"normal expects std >= 0.0, but found std {bad:g}")
    rng = _rng(generator)
    if m is None and s is None:
        if size is None:
            raise TypeError("normal: with a number mean and std, pass the output size")
        check_device(device, "normal")
        np_dtype = backend.to_np_dtype(dtype) if dtype is not None else xp.dtype(xp.float32)
        sample = rng.normal(mean, std, _size((tuple(size),), "normal")).astype(np_dtype)
        return _new(sample, requires_grad)
    if size is not None:
        raise TypeError("normal: size can be given only with a number mean and std")
    arrays = [a for a in (m, s) if a is not None]
    try:
        shape = xp.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise RuntimeError(
            f"normal: mean of shape {tuple(xp.shape(mean))} and std of shape "
            f"{tuple(xp.shape(std))} cannot be broadcast together") from None
    np_dtype = xp.result_type(*arrays)
    sample = (rng.standard_normal(shape) * (std if s is None else s)
              + (mean if m is None else m)).astype(np_dtype)
    return _sampled(sample, mean, std)


def _probabilities(p: Any, op: str) -> Any:
    if isinstance(p, Tensor):
        a = p._data
    else:
        a = xp.asarray(p, dtype=xp.float64)
    if a.size and (xp.isnan(a).any() or a.min() < 0 or a.max() > 1):
        raise RuntimeError(f"{op}: expects p to be in [0, 1], got values outside it")
    return a


def bernoulli(input: Tensor, p: float | None = None,
              generator: Generator | None = None) -> Tensor:
    """Draws 1 with probability ``input`` (or ``p``), else 0, with input's shape and dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: input must be a Tensor, got {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"bernoulli: input must be floating point (probabilities), got {input.dtype!r}")
    probs = _probabilities(input if p is None else p, "bernoulli")
    draw = _rng(generator).random(input._data.shape) < probs
    return _sampled(draw.astype(input._data.dtype), input)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False,
                generator: Generator | None = None) -> Tensor:
    """``num_samples`` category indices per row of the weights ``input`` (1-d or 2-d; weights
    need not sum to 1), int64. Without replacement no index repeats within a row: the categories
    with the ``num_samples`` smallest exponential(1) / weight keys (sequential draws without
    replacement, in one step)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: input must be a Tensor, got {type(input).__name__}")
    w = input._data
    if w.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got {input.dtype!r}")
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples ({num_samples})")
    n = w.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} > {n})")
    rows = w.reshape(-1, n).astype(xp.float64)
    if not xp.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    if not replacement and ((rows > 0).sum(axis=1) < num_samples).any():
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (with replacement=False, not enough "
            f"non-negative category to sample {num_samples})")
    rng = _rng(generator)
    if replacement:  # inverse CDF of each row's distribution
        cdf = xp.cumsum(rows / totals[:, None], axis=1)
        u = rng.random((rows.shape[0], num_samples))
        out = xp.stack([xp.searchsorted(c, ui, side="right") for c, ui in zip(cdf, u,
                                                                               strict=True)])
        last = n - 1 - xp.argmax(rows[:, ::-1] > 0, axis=1)  # each row's last nonzero weight
        out = xp.minimum(out, last[:, None])  # u just below 1 against a cdf rounded below 1
    else:
        with quiet():
            keys = rng.exponential(size=rows.shape) / rows  # weight 0: key inf, drawn last
        out = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return _new(out.reshape(*w.shape[:-1], num_samples).astype(xp.int64), False)
