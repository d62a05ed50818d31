"""chainrule.nn.functional.activation: elementwise nonlinearities and the softmax family.

Primitives (one node, the rule beside the forward) for the activations on the hot path of the
models we run (leaky_relu, gelu both ways, silu, the elu family, hardtanh); the others compose
chainrule ops. The rules are written once, in NumPy's vocabulary, as the tensor engine's
(docs/design.md): bare arrays in a plain backward pass, Tensors under create_graph. A rule that
needs another primitive (gelu's, silu's: their gradient as one node) calls it through
``primitive``: its ``compute`` on arrays, its Function on Tensors. Gradient conventions at kinks
are PyTorch's (stated per rule).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule.tensor.backend import keep_where, xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._special import erf as _erf_array
from chainrule.tensor.ops._util import const, data, primitive
from chainrule.tensor.ops.elementwise import Erf, Sigmoid, sigmoid, softplus, tanh, where
from chainrule.tensor.ops.elementwise import relu as _core_relu
from chainrule.tensor.ops.reduce import log_softmax as _log_softmax
from chainrule.tensor.ops.reduce import softmax as _softmax
from chainrule.tensor.tensor import Tensor

__all__ = [
    "celu",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
]

_SQRT1_2 = 1 / math.sqrt(2.0)
_PDF = 1 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_TANH_BETA = math.sqrt(2.0 / math.pi)
_TANH_KAPPA = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    return x


def _float_tensor(x: Any, op: str) -> Tensor:
    x = _tensor(x, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype!r}")
    return x


def _inplace(input: Tensor, result: Tensor) -> Tensor:
    """``input`` overwritten by ``result`` (the in-place variants: ``inplace=True``)."""
    return input.copy_(result)


# ----- relu family ----------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) (gradient 0 at x == 0, as PyTorch)."""
    if inplace:
        return relu_(input)
    return _core_relu(_tensor(input, "relu"))


def relu_(input: Tensor) -> Tensor:
    """relu in place."""
    return _inplace(input, _core_relu(_tensor(input, "relu_")))


class LeakyRelu(Function):
    """x for x > 0, slope x elsewhere; d/dx = 1 for x > 0, slope for x <= 0 (PyTorch's)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, slope: float) -> Any:
        x = a._data
        positive = x > 0
        ctx.slope_mask = xp.where(positive, 1, slope).astype(x.dtype)
        return xp.where(positive, x, x * slope)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return g * ctx.slope_mask, None  # the slope mask: a constant


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x elsewhere."""
    result = LeakyRelu.apply(_float_tensor(input, "leaky_relu"), float(negative_slope))
    return _inplace(input, result) if inplace else result


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


class Hardtanh(Function):
    """clamp(x, lo, hi); d/dx = 1 strictly inside (lo, hi), 0 elsewhere (PyTorch's
    hardtanh_backward; clamp's own subgradient is 1 at the bounds)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, lo: float, hi: float) -> Any:
        x = a._data
        ctx.inside = (x > lo) & (x < hi)
        return xp.minimum(xp.maximum(x, lo), hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        return keep_where(ctx.inside, g), None, None


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val) with gradient 1 strictly between them."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    result = Hardtanh.apply(_tensor(input, "hardtanh"), float(min_val), float(max_val))
    return _inplace(input, result) if inplace else result


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (hardtanh(x, 0, 6))."""
    return hardtanh(input, 0.0, 6.0, inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    x = _tensor(input, "threshold")
    result = where(const(x._data > threshold), x, value)
    return _inplace(input, result) if inplace else result


# ----- smooth activations -----------------------------------------------------------------------
class Gelu(Function):
    """x Phi(x) (Phi the standard normal CDF). Its rule is one node, GeluBackward (the
    forward's Phi(x) reused: erf is the costly part), as PyTorch's gelu_backward."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        x = a._data
        ctx.cdf = cdf = 0.5 * (1 + _erf_array(x * _SQRT1_2))
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return primitive(GeluBackward, g, x, ctx.cdf)


class GeluBackward(Function):
    """g (Phi(x) + x phi(x)), gelu's gradient as an op of (g, x): d/dg = Phi(x) + x phi(x),
    d/dx = g phi(x) (2 - x^2) (phi the standard normal density)."""

    @staticmethod
    def compute(g: Any, x: Any, cdf: Any) -> Any:
        pdf = xp.exp(x * x * -0.5) * _PDF
        return (g * (cdf + x * pdf)).astype(x.dtype, copy=False)

    @staticmethod
    def forward(ctx: Node, g: Tensor, a: Tensor, cdf: Any) -> Any:
        ctx.save_for_backward(g, a)
        return GeluBackward.compute(g._data, a._data, cdf)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        g, x = ctx.saved_tensors
        pdf = xp.exp(x * x * -0.5) * _PDF
        dg = dx = None
        if ctx.needs_input_grad[0]:
            dg = gg * ((primitive(Erf, x * _SQRT1_2) + 1) * 0.5 + x * pdf)
        if ctx.needs_input_grad[1]:
            dx = gg * g * pdf * (2 - x * x)
        return dg, dx, None


class GeluTanh(Function):
    """0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); its rule is one node,
    GeluTanhBackward (the forward's tanh(u) reused)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        x = a._data
        ctx.t = t = xp.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))
        return 0.5 * x * (1 + t)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return primitive(GeluTanhBackward, g, x, ctx.t)


def _tanh_gelu_parts(x: Any, t: Any) -> tuple[Any, Any]:
    """(u', 1 - t^2) for u = sqrt(2/pi) (x + 0.044715 x^3), t = tanh(u) (arrays or Tensors)."""
    return (x * x * (3 * _TANH_KAPPA) + 1) * _TANH_BETA, 1 - t * t


class GeluTanhBackward(Function):
    """g s(x), s = 0.5 (1 + t) + 0.5 x (1 - t^2) u' (t = tanh(u)): d/dg = s,
    d/dx = g s', s' = (1 - t^2) (u' - x t u'^2 + 0.5 x u''), u'' = 6 * 0.044715 sqrt(2/pi) x."""

    @staticmethod
    def compute(g: Any, x: Any, t: Any) -> Any:
        du, sech2 = _tanh_gelu_parts(x, t)
        return g * (0.5 * (1 + t) + 0.5 * x * sech2 * du)

    @staticmethod
    def forward(ctx: Node, g: Tensor, a: Tensor, t: Any) -> Any:
        ctx.save_for_backward(g, a)
        return GeluTanhBackward.compute(g._data, a._data, t)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        g, x = ctx.saved_tensors
        t = xp.tanh((x + x * x * x * _TANH_KAPPA) * _TANH_BETA)
        du, sech2 = _tanh_gelu_parts(x, t)
        dg = dx = None
        if ctx.needs_input_grad[0]:
            dg = gg * ((t + 1) * 0.5 + x * 0.5 * sech2 * du)
        if ctx.needs_input_grad[1]:
            d2u = x * (6 * _TANH_KAPPA * _TANH_BETA)
            dx = gg * g * (sech2 * (du - x * t * du * du + x * 0.5 * d2u))
        return dg, dx, None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF (``approximate='tanh'``: its tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))))."""
    x = _float_tensor(input, "gelu")
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        return GeluTanh.apply(x)
    raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got "
                       f"{approximate!r}")


def _stable_sigmoid(x: Any) -> Any:
    e = xp.exp(-xp.abs(x))  # in (0, 1]: no overflow on either side
    return xp.where(x >= 0, 1, e) / (1 + e)


class Silu(Function):
    """x sigmoid(x); its rule is one node, SiluBackward (the forward's sigmoid reused)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        x = a._data
        ctx.s = s = _stable_sigmoid(x).astype(x.dtype, copy=False)
        return x * s

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return primitive(SiluBackward, g, x, ctx.s)


class SiluBackward(Function):
    """g s (1 + x (1 - s)), s = sigmoid(x): d/dg = s (1 + x (1 - s)),
    d/dx = g s (1 - s) (2 + x (1 - 2 s))."""

    @staticmethod
    def compute(g: Any, x: Any, s: Any) -> Any:
        return g * (s * (1 + x * (1 - s)))

    @staticmethod
    def forward(ctx: Node, g: Tensor, a: Tensor, s: Any) -> Any:
        ctx.save_for_backward(g, a)
        return SiluBackward.compute(g._data, a._data, s)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        g, x = ctx.saved_tensors
        s = primitive(Sigmoid, x)
        dg = gg * (s * (x * (1 - s) + 1)) if ctx.needs_input_grad[0] else None
        dx = gg * g * (s * (1 - s) * (x * (1 - s * 2) + 2)) if ctx.needs_input_grad[1] else None
        return dg, dx, None


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (swish)."""
    result = Silu.apply(_float_tensor(input, "silu"))
    return _inplace(input, result) if inplace else result


class Elu(Function):
    """scale x for x > 0, scale alpha (exp(input_scale x) - 1) elsewhere (elu, selu, celu);
    d/dx = scale for x > 0, scale alpha s exp(s x) for x <= 0, where s is input_scale (celu's
    rule takes PyTorch's s = 1 / float32(alpha), ``grad_scale``)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, alpha: float, scale: float, input_scale: float,
                grad_scale: float) -> Any:
        ctx.save_for_backward(a)
        ctx.coefs = (alpha, scale, grad_scale)
        x = a._data
        positive = x > 0
        neg = xp.expm1(xp.minimum(x * input_scale, 0)) * (alpha * scale)
        return xp.where(positive, x * scale, neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None, None, None]:
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coefs
        d = data(x)  # the masks: constants
        c = alpha * scale * input_scale
        negative = d < 0
        # exp of the negative part only (no overflow); at x == 0 the slope is the constant c,
        # whose own derivative PyTorch takes as 0 (its double backward masks with x < 0)
        x_neg = xp.where(negative, x, 0.0)
        slope = xp.where(d > 0, scale, xp.where(negative, xp.exp(x_neg * input_scale) * c, c))
        return g * slope, None, None, None, None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) elsewhere."""
    result = Elu.apply(_float_tensor(input, "elu"), float(alpha), 1.0, 1.0, 1.0)
    return _inplace(input, result) if inplace else result


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with Klambauer et al.'s scale 1.0507... and alpha 1.6732...."""
    result = Elu.apply(_float_tensor(input, "selu"), _SELU_ALPHA, _SELU_SCALE, 1.0, 1.0)
    return _inplace(input, result) if inplace else result


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu: alpha must not be 0")
    # PyTorch's rule uses 1 / alpha.toFloat() (alpha rounded to float32), its forward 1 / alpha
    grad_scale = 1.0 / float(xp.float32(alpha))
    result = Elu.apply(_float_tensor(input, "celu"), float(alpha), 1.0, 1.0 / alpha, grad_scale)
    return _inplace(input, result) if inplace else result


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    x = _float_tensor(input, "mish")
    result = x * tanh(softplus(x))
    return _inplace(input, result) if inplace else result


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|) (stable on both sides; a primitive, as a
    composition has no stable form with the right derivative at 0): d/dx = sigmoid(-x)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        x = a._data
        return (xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return g * primitive(Sigmoid, -x)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
    return LogSigmoid.apply(_float_tensor(input, "logsigmoid"))


# PyTorch's hardsigmoid rule multiplies by the float32 constant 1/6 in every dtype
_ONE_SIXTH_F32 = float(xp.float32(1.0) / xp.float32(6.0))


class Hardsigmoid(Function):
    """min(max(x + 3, 0), 6) / 6; d/dx = 1/6 strictly inside (-3, 3), else 0."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        x = a._data
        ctx.inside = (x > -3) & (x < 3)
        return (xp.minimum(xp.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return keep_where(ctx.inside, g * _ONE_SIXTH_F32)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    result = Hardsigmoid.apply(_float_tensor(input, "hardsigmoid"))
    return _inplace(input, result) if inplace else result


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    x = _float_tensor(input, "hardswish")
    result = x * Hardtanh.apply(x + 3, 0.0, 6.0) / 6
    return _inplace(input, result) if inplace else result


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = _tensor(input, "softsign")
    return x / (x.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = _tensor(input, "tanhshrink")
    return x - tanh(x)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    x = _float_tensor(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    d = x._data
    return where(const(d > lambd), x - lambd, where(const(d < -lambd), x + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    x = _tensor(input, "hardshrink")
    d = x._data
    return where(const((d > lambd) | (d < -lambd)), x, 0.0)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a sigmoid(b), a and b the two halves of input along dim."""
    x = _tensor(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = x.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % x.ndim} is "
                           f"size {n}")
    a, b = x.chunk(2, dim)
    return a * sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight x elsewhere; weight has one value or one per channel (dim 1)."""
    x = _tensor(input, "prelu")
    w = _tensor(weight, "weight")
    if w.numel() != 1:
        channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
        if w.ndim != 1 or w.shape[0] != channels:
            raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: "
                               f"{w.numel()} parameters for an input of shape "
                               f"{tuple(x.shape)} ({channels} channels)")
        if x.ndim >= 2:
            w = w.reshape(-1, *([1] * (x.ndim - 2)))
    elif w.ndim:
        w = w.reshape(())
    d = x._data
    # x == 0 takes the slope w for x's gradient but, as PyTorch's rule, gives w no gradient
    # (and so no second derivative through it)
    return where(const(d > 0), x, where(const(d < 0), w * x, w.detach() * x))


# ----- softmax family ----------------------------------------------------------------------
def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x), dim) (``dtype``: cast first)."""
    x = _tensor(input, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", x.ndim, _stacklevel)
    return _softmax(x, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x, dim)."""
    x = _tensor(input, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", x.ndim, _stacklevel)
    return _log_softmax(x, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x, dim)."""
    x = _tensor(input, "softmin")
    if dim is None:
        dim = _softmax_dim("softmin", x.ndim, _stacklevel)
    if dtype is not None:
        x = x.to(dtype)
    return _softmax(-x, dim)
