"""Elementwise ops: each Function's forward and its derivative rule side by side.

Each rule is written once, in NumPy's vocabulary (operators, ``xp.<function>``): it runs on bare
arrays in a backward pass that records nothing and on Tensors under create_graph, where the same
text is recorded (Tensor implements NumPy's protocols, ops/protocol.py) and so is differentiated
again. Rules return gradients possibly still broadcast; Function.apply sums them back to each
input's shape (backward.sum_to), so no rule deals with broadcasting. Masks that select where a
gradient flows (relu, clamp, maximum, where) are constants, taken from the arrays (``data(x)``):
they have no derivative, so a rule that multiplies or selects with them stays differentiable in
``g`` and its saved inputs.

Primitives with rules: add, sub, mul, div, neg, pow, exp, log, sqrt, sin, cos, tanh, sigmoid,
relu, abs, sign, reciprocal, clamp, maximum, minimum, where, cast, clone. Compositions: square
(a * a), number / a (reciprocal(a) * number, as PyTorch's). Comparisons and logical ops return
bool tensors and record nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import keep_where, ndarray, xp
from chainrule.tensor.devices import check_device
from chainrule.tensor.devices import device as _device
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import Operand, broadcast_check, check_operand, data
from chainrule.tensor.ops._util import const as _const
from chainrule.tensor.tensor import Tensor, tensor_method


def _to(x: Tensor, np_dtype: Any) -> Tensor:
    """``x`` as ``np_dtype`` for an op that computes in that dtype: through Cast (differentiable)
    when it requires grad. The copy shares x's version counter: PyTorch computes in the common
    dtype without a copy and saves x itself, so a later in-place write to x must still be
    caught by a rule that saved the copy."""
    y = Cast.apply(x, np_dtype) if x.requires_grad else _const(x._data.astype(np_dtype))
    y._vc = x._version_counter
    return y


def _scalar(x: Any, rt: Any, op: str, exact: bool) -> Any:
    """A number as an operand of an op computing in ``rt``: a Python number NumPy reads as
    ``rt`` (a weak scalar). An int out of ``rt``'s range wraps as in PyTorch's arithmetic
    (``uint8 + 300`` adds 44), or, where PyTorch checks (``exact``: where, clamp, pow), raises."""
    t = type(x)
    if t is not float and t is not int and t is not bool:
        if isinstance(x, xp.bool_):
            x = float(x)  # PyTorch reads a NumPy bool as a float
        elif isinstance(x, xp.generic):
            x = x.item()
        else:
            x = bool(x) if isinstance(x, bool) else int(x) if isinstance(x, int) else float(x)
    if type(x) is int:
        backend.check_python_int(x, op)
        if rt.kind in "iu":
            lo, hi = backend.int_range(rt)
            if not lo <= x <= hi:
                if exact:
                    raise RuntimeError(f"{op}: value {x} cannot be converted to type "
                                       f"{backend.dtype_of_np(rt).name} without overflow")
                return backend.wrap_int(x, rt)
    return x


def _promote(operands: Any, op: str, exact: bool = False, floating: bool = False) -> tuple:
    """``(rt, operands)``: PyTorch's result dtype of ``operands`` (backend.result_type: tensors
    with dimensions, then 0-d tensors, then numbers) and the operands converted to it, so NumPy
    computes in ``rt``. ``floating``: an op with a floating result (true division) computes an
    integer ``rt`` in the default dtype. ``None`` operands (an absent clamp bound) stay None."""
    rt = backend.result_np(operands)
    if floating and rt.kind != "f":
        rt = backend.defaults.float
    out = []
    for x in operands:
        if isinstance(x, Tensor):
            if x._data.dtype != rt:
                x = _to(x, rt)
        elif x is not None:
            x = _scalar(x, rt, op, exact)
        out.append(x)
    return rt, out


def _binary_op(fn: type[Function], op: str, doc: str = "", floating: bool = False,
               check: Callable[[Operand, Operand], None] | None = None
               ) -> Callable[[Operand, Operand], Tensor]:
    """The function ``op(a, b)`` of the Function ``fn``: PyTorch's type promotion (_promote),
    and a RuntimeError showing both shapes if they do not broadcast. The common cases (tensors
    of one dtype, a float tensor and a Python number) need no conversion and go straight to
    ``fn.apply``. ``floating``: integer operands compute in the default float dtype (div).
    ``check(a, b)``: the op's own refusals (sub of bools), run off the fast path and when NumPy
    raises."""
    apply = fn.apply

    def binary(a: Operand, b: Operand) -> Tensor:
        # fast: one dtype; a float tensor and a Python float or int (of int64/uint64 range)
        if isinstance(a, Tensor):
            if isinstance(b, Tensor):
                if a._data.dtype is not b._data.dtype or (floating and a._data.dtype.kind != "f"):
                    a, b = _slow(a, b)
            elif type(b) is float:
                if a._data.dtype.kind != "f":
                    a, b = _slow(a, b)
            elif (type(b) is not int or a._data.dtype.kind != "f"
                  or not -0x8000000000000000 <= b <= 0xFFFFFFFFFFFFFFFF):
                a, b = _slow(a, b)
        elif type(a) is float:
            if not isinstance(b, Tensor) or b._data.dtype.kind != "f":
                a, b = _slow(a, b)
        elif (type(a) is not int or not isinstance(b, Tensor) or b._data.dtype.kind != "f"
              or not -0x8000000000000000 <= a <= 0xFFFFFFFFFFFFFFFF):
            a, b = _slow(a, b)
        try:
            return apply(a, b)
        except (ValueError, TypeError):
            if check is not None:
                check(a, b)
            broadcast_check(op, a, b)
            raise

    def _slow(a: Operand, b: Operand) -> list[Operand]:
        a, b = check_operand(a, op), check_operand(b, op)
        if check is not None:
            check(a, b)
        return _promote((a, b), op, floating=floating)[1]

    binary.__name__ = binary.__qualname__ = op
    binary.__doc__ = doc
    return binary


def _np_dtype(x: Any) -> Any:
    """The dtype ``x`` brings to promotion (a number: its category's, see result_type)."""
    d = x._data if isinstance(x, Tensor) else x
    return d.dtype if isinstance(d, ndarray) else backend.scalar_np_dtype(d)


def _sub_check(a: Operand, b: Operand) -> None:
    """PyTorch refuses subtraction with bool operands (a Python bool counts as one)."""
    ba, bb = _np_dtype(a).kind == "b", _np_dtype(b).kind == "b"
    if ba and bb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if ba or bb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def _tensor_arg(a: Any, op: str) -> Tensor:
    if not isinstance(a, Tensor):
        if isinstance(a, xp.ndarray):
            return _const(a)
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(a).__name__}")
    return a


def _floating(a: Any, op: str) -> Tensor:
    """The input of a transcendental op: integer and bool tensors become the default float
    dtype (float32 unless set_default_dtype changed it), as PyTorch."""
    if not isinstance(a, Tensor):
        a = _tensor_arg(a, op)
    if a._data.dtype.kind != "f":
        return _const(a._data.astype(backend.defaults.float))
    return a


# ----- arithmetic ------------------------------------------------------------------------------
class Add(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        return (a._data if isinstance(a, Tensor) else a) + (b._data if isinstance(b, Tensor) else b)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, Tensor | None]:
        return g, (g if ctx.needs_input_grad[1] else None)  # d(a+b)/da = d(a+b)/db = 1


class Sub(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        return (a._data if isinstance(a, Tensor) else a) - (b._data if isinstance(b, Tensor) else b)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, Tensor | None]:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        needs = ctx.needs_input_grad
        if needs:
            # d(ab)/da = b, d(ab)/db = a: keep only what a needed gradient uses
            ctx.save_for_backward(b if needs[0] else None, a if needs[1] else None)
        return (a._data if isinstance(a, Tensor) else a) * (b._data if isinstance(b, Tensor) else b)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        b, a = ctx.saved_tensors
        return (None if b is None else g * b), (None if a is None else g * a)


class Div(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        if ctx.needs_input_grad:
            ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return (a._data if isinstance(a, Tensor) else a) / (b._data if isinstance(b, Tensor) else b)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None  # d(a/b)/da = 1/b
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Neg(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return -a._data

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return -g


class Pow(Function):
    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)  # a no-op when no gradient is needed
        return data(a) ** data(b)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        e = data(b)  # the exponent's values (a number or an array): masks are constants
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # d(a^b)/da = b a^(b-1), taken as 0 where b == 0 (PyTorch: avoids 0 * inf at a == 0);
            # a number exponent 0 gives a constant zero (PyTorch's zeros_like: no graph)
            if type(e) is not ndarray:
                ga = xp.zeros_like(g) if e == 0 else g * b * a ** (b - 1)
            else:
                ga = xp.where(e == 0, 0, g * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b ln(a), taken as 0 where a == 0 and b >= 0 (PyTorch: the limit);
            # a number base as a 0-d array of g's dtype (NumPy's own scalars would promote)
            if type(data(a)) is not ndarray:
                a = xp.asarray(a, data(g).dtype)
            zero_base = (data(a) == 0) & (e >= 0)
            gb = g * xp.where(zero_base, 0, a ** b * xp.log(a))
        return ga, gb


# ----- unary -----------------------------------------------------------------------------------
# Overflow to inf is silent, as in PyTorch: apply runs every forward with NumPy's warnings off.
def _exp(x: Any) -> Any:
    return xp.exp(x)


def _sigmoid(x: Any) -> Any:
    # 1 / (1 + e^-x) is accurate for every x: for x << 0, e^-x overflows to inf and the result
    # is 0 (the true value underflows too)
    return 1 / (1 + xp.exp(-x))


class Exp(Function):
    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return _exp(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return g * ctx.output  # d e^a / da = e^a


class Log(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return xp.log(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / a  # d ln(a) / da = 1/a (at a = 0: inf, silently, as in every backward pass)


class Sqrt(Function):
    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return xp.sqrt(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return g / (2 * ctx.output)  # d sqrt(a)/da = 1 / (2 sqrt(a))


class Sin(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return xp.sin(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * xp.cos(a)  # d sin(a)/da = cos(a)


class Cos(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return xp.cos(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * -xp.sin(a)  # d cos(a)/da = -sin(a)


class Tanh(Function):
    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return xp.tanh(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return g * (1 - y * y)  # d tanh(a)/da = 1 - tanh(a)^2


class Sigmoid(Function):
    elementwise = True
    save_output = True
    compute = staticmethod(_sigmoid)  # on arrays, for rules that call it (ops/_util.primitive)

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return _sigmoid(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return g * y * (1 - y)  # d s(a)/da = s(a) (1 - s(a))


class Relu(Function):
    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return xp.maximum(a._data, 0)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        # g where the result is positive, 0 elsewhere (0 at a == 0, and where g is nan: a
        # selection, not a product, as PyTorch); recorded as a function of the result too, with
        # derivative 0, as PyTorch's threshold_backward (under create_graph it requires grad)
        y = ctx.output
        return keep_where(y > 0, g, y)  # (y > 0: a constant mask, on arrays and Tensors)


class Abs(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return xp.abs(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        # d|a|/da = sign(a) (0 at a == 0); sign(a) is recorded (with derivative 0), as PyTorch's:
        # under create_graph the gradient requires grad
        return g * xp.sign(a)


class Sign(Function):
    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        x = a._data
        return x.copy() if x.dtype.kind == "b" else xp.sign(x)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return xp.zeros_like(g)  # piecewise constant: the derivative is 0 (a constant)


class Clamp(Function):
    @staticmethod
    def forward(ctx: Node, a: Tensor, lo: Operand, hi: Operand) -> Any:
        ctx.save_for_backward(a, lo, hi)
        if lo is None:
            return xp.minimum(a._data, data(hi))
        if hi is None:
            return xp.maximum(a._data, data(lo))
        return xp.minimum(xp.maximum(a._data, data(lo)), data(hi))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        # PyTorch's subgradient: a gets 1 on the closed interval [lo, hi]; a bound gets 1 where it
        # is the result (lo where a < lo and lo < hi; hi where a > hi or hi < lo)
        a, lo, hi = ctx.saved_tensors
        x, lo_d, hi_d = data(a), data(lo), data(hi)
        need = ctx.needs_input_grad
        ga = g_lo = g_hi = None
        if need[0]:
            if lo is None:
                keep = x <= hi_d
            elif hi is None:
                keep = x >= lo_d
            else:
                keep = (x >= lo_d) & (x <= hi_d)
            ga = xp.where(keep, g, 0)
        if need[1]:
            keep = x < lo_d if hi is None else (x < lo_d) & (lo_d < hi_d)
            g_lo = xp.where(keep, g, 0)
        if need[2]:
            keep = x > hi_d if lo is None else (x > hi_d) | (hi_d < lo_d)
            g_hi = xp.where(keep, g, 0)
        return ga, g_lo, g_hi


class Maximum(Function):
    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.maximum(data(a), data(b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return _select_grads(ctx, g, data(a), data(b))


class Minimum(Function):
    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.minimum(data(a), data(b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        return _select_grads(ctx, g, data(b), data(a))


def _select_grads(ctx: Node, g: Tensor, x: Any, y: Any) -> tuple[Tensor | None, Tensor | None]:
    """Gradients of max(x, y) (min(a, b) is max with the roles swapped): the larger operand gets
    g, the smaller 0, and ties split it 0.5/0.5 (PyTorch). NaN operands: both get g."""
    tie = x == y
    if tie.any():
        g = g * xp.where(tie, 0.5, 1.0).astype(data(g).dtype)
    ga = xp.where(x < y, 0, g) if ctx.needs_input_grad[0] else None
    gb = xp.where(x > y, 0, g) if ctx.needs_input_grad[1] else None
    return ga, gb


class Where(Function):
    @staticmethod
    def forward(ctx: Node, cond: Tensor, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(cond)
        return xp.where(cond._data, data(a), data(b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
        (cond,) = ctx.saved_tensors
        c = data(cond)
        ga = xp.where(c, g, 0) if ctx.needs_input_grad[1] else None
        gb = xp.where(c, 0, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


class Cast(Function):
    @staticmethod
    def forward(ctx: Node, a: Tensor, np_dtype: Any) -> Any:
        ctx.in_dtype = a._data.dtype
        return a._data.astype(np_dtype)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return xp.astype(g, ctx.in_dtype), None  # back to the input's dtype


class Clone(Function):
    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, order: str = "K") -> Any:
        # "K": the input's layout, as PyTorch's preserve_format; "C": row-major (contiguous)
        return a._data.copy(order=order)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return g, None


# ----- public functions ------------------------------------------------------------------------
@tensor_method("to")
def to(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The tensor with elements of ``dtype`` (differentiable between float types), PyTorch's
    forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (its dtype), with
    ``dtype=``, ``device=``, ``copy=``, ``non_blocking=``. Without a change (and ``copy``) it
    returns ``a`` itself."""
    dtype, device, copy = _to_args(a, args, kwargs)
    check_device(device, "to")
    if dtype is None:
        return a.clone() if copy else a
    np_dtype = backend.to_np_dtype(dtype)
    if np_dtype == a._data.dtype and not copy:
        return a
    return Cast.apply(a, np_dtype)


def _to_args(a: Tensor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, bool]:
    """(dtype, device, copy) from ``to``'s overloads: a leading tensor, or device then dtype (a
    string, an int or a device object is a device), then non_blocking and copy."""
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype, device = other._data.dtype, other.device
    else:
        if rest and isinstance(rest[0], str | _device | int) and not isinstance(rest[0], bool):
            device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    if len(rest) > 2:
        raise TypeError(f"to() received too many positional arguments: {args!r}")
    if len(rest) == 2:
        copy = rest[1]
    return dtype, device, bool(copy)


@tensor_method("clone")
def clone(a: Tensor) -> Tensor:
    """A copy with its own storage; gradients flow through it."""
    return Clone.apply(a)


def _cast_method(np_dtype: Any) -> Any:
    def method(a: Tensor) -> Tensor:
        return to(a, np_dtype)

    return method


for _name, _dt in (("float", xp.float32), ("double", xp.float64), ("half", xp.float16),
                   ("long", xp.int64), ("int", xp.int32), ("bool", xp.bool_)):
    setattr(Tensor, _name, _cast_method(_dt))


# a + b, a - b (add and sub take alpha too), a * b, a / b (div silences x/0), a ** b, max, min
_add = tensor_method("__add__")(_binary_op(Add, "add"))
_sub = tensor_method("__sub__")(_binary_op(Sub, "sub", check=_sub_check))
mul = tensor_method(["mul", "__mul__"])(
    _binary_op(Mul, "mul", "a * b elementwise, broadcasting."))
_div = _binary_op(Div, "div", floating=True)
_pow = _binary_op(Pow, "pow")
_maximum = _binary_op(Maximum, "maximum")
_minimum = _binary_op(Minimum, "minimum")


@tensor_method("add")
def add(a: Operand, b: Operand, alpha: float = 1) -> Tensor:
    """a + alpha * b, broadcasting."""
    return _add(a, b if alpha == 1 else b * alpha)


@tensor_method("__radd__")
def _radd(a: Tensor, b: Operand) -> Tensor:
    return _add(b, a)


@tensor_method("sub")
def sub(a: Operand, b: Operand, alpha: float = 1) -> Tensor:
    """a - alpha * b, broadcasting."""
    return _sub(a, b if alpha == 1 else b * alpha)


@tensor_method("__rsub__")
def _rsub(a: Tensor, b: Operand) -> Tensor:
    return _sub(b, a)


@tensor_method("__rmul__")
def _rmul(a: Tensor, b: Operand) -> Tensor:
    return mul(b, a)


@tensor_method(["div", "__truediv__"])
def div(a: Operand, b: Operand) -> Tensor:
    """a / b elementwise (true division; x/0 gives inf or nan as in IEEE arithmetic; integer
    operands give the default float dtype, as PyTorch)."""
    return _div(a, b)


@tensor_method("__rtruediv__")
def _rdiv(a: Tensor, b: Operand) -> Tensor:
    """``b / a`` for a number b: reciprocal(a) * b, as PyTorch computes it (so what is saved is
    1 / a, not a: a later in-place write to a does not invalidate this gradient)."""
    if isinstance(b, _NUMBER):
        return mul(reciprocal(a), b)
    return _div(b, a)


@tensor_method(["neg", "__neg__"])
def neg(a: Tensor) -> Tensor:
    """-a."""
    try:
        return Neg.apply(a)
    except TypeError:
        if isinstance(a, Tensor) and a._data.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            ) from None
        raise


@tensor_method(["pow", "__pow__"])
def pow(a: Operand, b: Operand) -> Tensor:
    """a ** b elementwise; NaN where a < 0 and b is not an integer (real result undefined).
    Integer results follow PyTorch: a negative number exponent is an error; where a tensor
    exponent is negative, 1 ** b = 1, (-1) ** b = +-1, and other bases give 0."""
    if isinstance(a, Tensor) and a._data.dtype.kind == "f" and (
        type(b) is float or type(b) is int
        or (isinstance(b, Tensor) and b._data.dtype is a._data.dtype)
    ):
        return _pow(a, b)
    a, b = check_operand(a, "pow"), check_operand(b, "pow")
    if not isinstance(b, Tensor) and _np_dtype(b).kind != "f" and b < 0 and (
        isinstance(a, Tensor) and a._data.dtype.kind != "f"
    ):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    rt, (a, b) = _promote((a, b), "pow", exact=True)
    if rt.kind == "f":
        try:
            return Pow.apply(a, b)
        except ValueError:
            broadcast_check("pow", a, b)
            raise
    broadcast_check("pow", a, b)
    return _const(_int_pow(xp.asarray(data(a), rt), data(b), rt))


def _int_pow(x: Any, e: Any, rt: Any) -> Any:
    """x ** e for integer (or bool) ``rt`` (no gradient), PyTorch's powi: a negative exponent
    gives 1 for x == 1, +-1 for x == -1 (by e's parity), else 0; overflow wraps."""
    work = xp.int64 if rt.kind == "b" else rt
    x = x.astype(work)
    e = xp.asarray(e).astype(work)
    if rt.kind == "i" and (e < 0).any():
        neg = e < 0
        r = x ** xp.where(neg, 0, e)
        at_neg = xp.where(x == 1, 1, xp.where(x == -1, xp.where(e % 2 != 0, -1, 1), 0))
        r = xp.where(neg, at_neg, r).astype(rt)
    else:
        r = x ** e
    return r.astype(rt)


@tensor_method("__rpow__")
def _rpow(a: Tensor, b: Operand) -> Tensor:
    return pow(b, a)


@tensor_method("exp")
def exp(a: Tensor) -> Tensor:
    """e^a."""
    return Exp.apply(_floating(a, "exp"))


@tensor_method("log")
def log(a: Tensor) -> Tensor:
    """Natural logarithm (-inf at 0, nan below 0, as PyTorch)."""
    return Log.apply(_floating(a, "log"))


@tensor_method("sqrt")
def sqrt(a: Tensor) -> Tensor:
    """Square root (nan below 0; the derivative 1 / (2 sqrt(a)) is inf at 0, as PyTorch)."""
    return Sqrt.apply(_floating(a, "sqrt"))


@tensor_method("sin")
def sin(a: Tensor) -> Tensor:
    """sin(a)."""
    return Sin.apply(_floating(a, "sin"))


@tensor_method("cos")
def cos(a: Tensor) -> Tensor:
    """cos(a)."""
    return Cos.apply(_floating(a, "cos"))


@tensor_method("tanh")
def tanh(a: Tensor) -> Tensor:
    """tanh(a) = (e^a - e^-a) / (e^a + e^-a)."""
    return Tanh.apply(_floating(a, "tanh"))


@tensor_method("sigmoid")
def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a), without overflow trouble for large |a|."""
    return Sigmoid.apply(_floating(a, "sigmoid"))


@tensor_method("relu")
def relu(a: Tensor) -> Tensor:
    """max(a, 0) (derivative 0 at a == 0, as PyTorch)."""
    return Relu.apply(_tensor_arg(a, "relu"))


@tensor_method(["abs", "absolute", "__abs__"])
def abs(a: Tensor) -> Tensor:
    """|a| (derivative sign(a): 0 at a == 0, as PyTorch)."""
    return Abs.apply(_tensor_arg(a, "abs"))


absolute = abs


@tensor_method("sign")
def sign(a: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of a (its derivative is 0 everywhere)."""
    return Sign.apply(_tensor_arg(a, "sign"))


@tensor_method("square")
def square(a: Tensor) -> Tensor:
    """a * a (a composition)."""
    a = _tensor_arg(a, "square")
    return mul(a, a)


class Reciprocal(Function):
    """1 / a. A primitive, as PyTorch's: its rule reads the result (d/da = -1/a^2 = -y^2), so
    it saves 1 / a, not a (``number / a`` is reciprocal(a) * number, as in PyTorch)."""

    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return 1 / a._data

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return -g * (y * y)


@tensor_method("reciprocal")
def reciprocal(a: Tensor) -> Tensor:
    """1 / a (integer tensors give the default float dtype, as PyTorch)."""
    return Reciprocal.apply(_floating(a, "reciprocal"))


def _plain_number(x: Any) -> bool:
    return x is None or type(x) is float or type(x) is int


def _bound(x: Any, op: str) -> Any:
    if x is None or isinstance(x, Tensor):
        return x
    return check_operand(x, op)


@tensor_method(["clamp", "clip"])
def clamp(a: Tensor, min: Operand = None, max: Operand = None) -> Tensor:
    """min(max(a, min), max) elementwise (all results are ``max`` where min > max); the
    derivative is 1 on the closed interval [min, max] and 0 outside it (PyTorch)."""
    a = _tensor_arg(a, "clamp")
    lo, hi = _bound(min, "clamp"), _bound(max, "clamp")
    if lo is None and hi is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if a._data.dtype.kind != "f" or not (_plain_number(lo) and _plain_number(hi)):
        _, (a, lo, hi) = _promote((a, lo, hi), "clamp", exact=True)
    try:
        return Clamp.apply(a, lo, hi)
    except ValueError:
        broadcast_check("clamp", a, *(x for x in (lo, hi) if x is not None))
        raise


clip = clamp


@tensor_method("clamp_min")
def clamp_min(a: Tensor, min: Operand) -> Tensor:
    """max(a, min) elementwise, as clamp(a, min=min)."""
    return clamp(a, min=min)


@tensor_method("clamp_max")
def clamp_max(a: Tensor, max: Operand) -> Tensor:
    """min(a, max) elementwise, as clamp(a, max=max)."""
    return clamp(a, max=max)


@tensor_method("maximum")
def maximum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise max(a, b), broadcasting; NaN if either is NaN; ties split the gradient."""
    return _maximum(a, b)


@tensor_method("minimum")
def minimum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise min(a, b), broadcasting; NaN if either is NaN; ties split the gradient."""
    return _minimum(a, b)


def where(condition: Tensor, input: Operand, other: Operand) -> Tensor:
    """input where condition is True, else other (broadcasting; either may be a number)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where: condition must be a bool Tensor, got {type(condition).__name__}")
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where: expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype!r}"
        )
    a, b = check_operand(input, "where"), check_operand(other, "where")
    rt, (a, b) = _promote((a, b), "where", exact=True)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers
        a, b = _const(xp.asarray(a, rt)), _const(xp.asarray(b, rt))
    try:
        return Where.apply(condition, a, b)
    except ValueError:
        broadcast_check("where", condition, a, b)
        raise


@tensor_method("where")
def _where_method(a: Tensor, condition: Tensor, other: Operand) -> Tensor:
    return where(condition, a, other)


# ----- comparisons and logical ops (bool results, no gradient) --------------------------------
_NUMBER = (int, float, bool, xp.number, xp.bool_)


def _compare(ufunc: Any, op: str, a: Any, b: Any) -> Tensor:
    """``ufunc(a, b)`` computed in the operands' promoted dtype (PyTorch compares there too:
    ``uint8_tensor == 300`` compares with 300 wrapped to 44)."""
    if not (isinstance(a, Tensor) and (
        (isinstance(b, Tensor) and a._data.dtype is b._data.dtype)
        or ((type(b) is float or type(b) is int) and a._data.dtype.kind == "f")
    )):
        a, b = check_operand(a, op), check_operand(b, op)
        _, (a, b) = _promote((a, b), op)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected a Tensor operand, got two numbers")
    try:
        return _const(ufunc(data(a), data(b)))
    except ValueError:
        broadcast_check(op, a, b)
        raise


def _comparison(ufunc: Any, op: str, symbol: str) -> tuple[Any, Any]:
    def fn(a: Operand, b: Operand) -> Tensor:
        return _compare(ufunc, op, a, b)

    def dunder(a: Tensor, b: Any) -> Any:
        if not isinstance(b, Tensor) and not isinstance(b, (*_NUMBER, xp.ndarray)):
            return NotImplemented
        return _compare(ufunc, op, a, b)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"a {symbol} b elementwise, broadcasting: a bool tensor (no gradient)."
    dunder.__name__ = dunder.__qualname__ = f"__{op}__"
    return fn, dunder


eq, _eq = _comparison(xp.equal, "eq", "==")
ne, _ne = _comparison(xp.not_equal, "ne", "!=")
lt, _lt = _comparison(xp.less, "lt", "<")
le, _le = _comparison(xp.less_equal, "le", "<=")
gt, _gt = _comparison(xp.greater, "gt", ">")
ge, _ge = _comparison(xp.greater_equal, "ge", ">=")
for _fn, _dunder in ((eq, _eq), (ne, _ne), (lt, _lt), (le, _le), (gt, _gt), (ge, _ge)):
    setattr(Tensor, _fn.__name__, _fn)
    setattr(Tensor, _dunder.__name__, _dunder)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


@tensor_method("isnan")
def isnan(a: Tensor) -> Tensor:
    """True where a is NaN."""
    return _const(xp.isnan(_tensor_arg(a, "isnan")._data))


@tensor_method("isinf")
def isinf(a: Tensor) -> Tensor:
    """True where a is +inf or -inf."""
    return _const(xp.isinf(_tensor_arg(a, "isinf")._data))


@tensor_method("isfinite")
def isfinite(a: Tensor) -> Tensor:
    """True where a is neither inf nor NaN."""
    return _const(xp.isfinite(_tensor_arg(a, "isfinite")._data))


def _logical(ufunc: Any, op: str, doc: str) -> Any:
    def fn(a: Operand, b: Operand) -> Tensor:
        return _compare(ufunc, op, a, b)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = doc
    return fn


logical_and = _logical(xp.logical_and, "logical_and", "a and b elementwise (nonzero is True).")
logical_or = _logical(xp.logical_or, "logical_or", "a or b elementwise (nonzero is True).")
logical_xor = _logical(xp.logical_xor, "logical_xor", "a xor b elementwise (nonzero is True).")
for _fn in (logical_and, logical_or, logical_xor):
    setattr(Tensor, _fn.__name__, _fn)


@tensor_method("logical_not")
def logical_not(a: Tensor) -> Tensor:
    """not a elementwise (zero is False): a bool tensor."""
    return _const(xp.logical_not(_tensor_arg(a, "logical_not")._data))


def _bitwise(ufunc: Any, op: str, symbol: str, reflected: bool) -> Any:
    def dunder(a: Tensor, b: Any) -> Any:
        if not isinstance(b, Tensor | int | xp.integer | xp.bool_ | xp.ndarray):
            return NotImplemented  # Python then raises TypeError (a float operand, say)
        for t in (a, b):
            if _np_dtype(t).kind not in "biu":
                raise RuntimeError(
                    f"{symbol} ({op}) is only implemented on integer and bool tensors, got "
                    f"{backend.dtype_of_np(_np_dtype(t))!r}"
                )
        return _compare(ufunc, op, b, a) if reflected else _compare(ufunc, op, a, b)

    dunder.__name__ = dunder.__qualname__ = f"__{'r' if reflected else ''}{op[8:]}__"
    return dunder


for _ufunc, _op, _sym in ((xp.bitwise_and, "bitwise_and", "&"), (xp.bitwise_or, "bitwise_or", "|"),
                          (xp.bitwise_xor, "bitwise_xor", "^")):
    for _reflected in (False, True):
        _d = _bitwise(_ufunc, _op, _sym, _reflected)
        setattr(Tensor, _d.__name__, _d)


@tensor_method("__invert__")
def _invert(a: Tensor) -> Tensor:
    if a._data.dtype.kind not in "biu":
        raise TypeError(
            f"~ (operator.invert) is only implemented on integer and bool tensors, got {a.dtype!r}"
        )
    return _const(xp.invert(a._data))


__all__ = [
    "abs", "absolute", "add", "clamp", "clamp_max", "clamp_min", "clip", "clone", "cos", "div",
    "eq", "exp", "ge", "greater", "greater_equal", "gt", "isfinite", "isinf", "isnan", "le",
    "less", "less_equal", "log", "logical_and", "logical_not", "logical_or", "logical_xor", "lt",
    "maximum", "minimum", "mul", "ne", "neg", "not_equal", "pow", "reciprocal", "relu", "sigmoid",
    "sign", "sin", "sqrt", "square", "sub", "tanh", "to", "where",
]


# ===== more elementwise ops ===================================================================
# Inverse trigonometric and hyperbolic functions, exp/log variants, the error function,
# rounding, and the binary ops of PyTorch's pointwise family. Each primitive's rule is written
# in NumPy's vocabulary, as above (so it runs on arrays and is differentiable again); the rest
# are compositions.
from chainrule.tensor.ops import _special  # noqa: E402  (appended section: its own import)

_LN2 = 0.6931471805599453  # log(2)
_LN10 = 2.302585092994046  # log(10)
_TWO_OVER_SQRTPI = 1.1283791670955126  # 2 / sqrt(pi): d erf(a)/da = 2/sqrt(pi) e^(-a^2)
_SQRTPI_OVER_TWO = 0.886226925452758  # sqrt(pi) / 2
_DEG = 0.017453292519943295  # pi / 180


class _Unary(Function):
    """f(a) = ``ufunc(a)`` elementwise. A subclass states f' in its ``backward``, from the input
    (saved) or, where ``save_output``, from the result."""

    elementwise = True
    ufunc: Any = None

    @classmethod
    def compute(cls, a: Any) -> Any:
        """f on an array, for rules that call it (ops/_util.primitive: erf has no NumPy ufunc)."""
        return cls.ufunc(a)

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        if not ctx.fn.save_output:
            ctx.save_for_backward(a)
        return ctx.fn.ufunc(a._data)


class Acos(_Unary):
    ufunc = xp.arccos

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return -g / xp.sqrt(1 - a * a)  # d acos(a)/da = -1 / sqrt(1 - a^2)


class Asin(_Unary):
    ufunc = xp.arcsin

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / xp.sqrt(1 - a * a)  # d asin(a)/da = 1 / sqrt(1 - a^2)


class Atan(_Unary):
    ufunc = xp.arctan

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / (a * a + 1)  # d atan(a)/da = 1 / (1 + a^2)


class Acosh(_Unary):
    ufunc = xp.arccosh

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / xp.sqrt(a * a - 1)  # d acosh(a)/da = 1 / sqrt(a^2 - 1)


class Asinh(_Unary):
    ufunc = xp.arcsinh

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / xp.sqrt(a * a + 1)  # d asinh(a)/da = 1 / sqrt(a^2 + 1)


class Atanh(_Unary):
    ufunc = xp.arctanh

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / (1 - a * a)  # d atanh(a)/da = 1 / (1 - a^2)


class Tan(_Unary):
    ufunc = xp.tan
    save_output = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return g * (1 + y * y)  # d tan(a)/da = 1 + tan(a)^2


class Sinh(_Unary):
    ufunc = xp.sinh

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * xp.cosh(a)  # d sinh(a)/da = cosh(a)


class Cosh(_Unary):
    ufunc = xp.cosh

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * xp.sinh(a)  # d cosh(a)/da = sinh(a)


class Exp2(_Unary):
    ufunc = xp.exp2
    save_output = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return g * ctx.output * _LN2  # d 2^a/da = 2^a ln 2


class Expm1(_Unary):
    """e^a - 1, accurate near a = 0 (where e^a - 1 would cancel)."""

    ufunc = xp.expm1
    save_output = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return g * (ctx.output + 1)  # d(e^a - 1)/da = e^a


class Log1p(_Unary):
    """ln(1 + a), accurate near a = 0 (where 1 + a would round a away)."""

    ufunc = xp.log1p

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / (a + 1)  # d ln(1 + a)/da = 1 / (1 + a)


class Log2(_Unary):
    ufunc = xp.log2

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / (a * _LN2)  # d log2(a)/da = 1 / (a ln 2)


class Log10(_Unary):
    ufunc = xp.log10

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g / (a * _LN10)  # d log10(a)/da = 1 / (a ln 10)


def _rsqrt(x: Any) -> Any:
    return 1 / xp.sqrt(x)


class Rsqrt(_Unary):
    ufunc = _rsqrt
    save_output = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return g * (y * y * y) * -0.5  # d a^(-1/2)/da = -a^(-3/2) / 2


class Erf(_Unary):
    ufunc = _special.erf

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * xp.exp(-(a * a)) * _TWO_OVER_SQRTPI  # d erf(a)/da = 2/sqrt(pi) e^(-a^2)


class Erfc(_Unary):
    ufunc = _special.erfc

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return g * xp.exp(-(a * a)) * -_TWO_OVER_SQRTPI  # d erfc(a)/da = -erf'(a)


class Erfinv(_Unary):
    ufunc = _special.erfinv
    save_output = True

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output  # d erfinv(a)/da = 1 / erf'(y) = sqrt(pi)/2 e^(y^2)
        return g * xp.exp(y * y) * _SQRTPI_OVER_TWO


class _Step(Function):
    """A piecewise-constant f(a) (floor, ceil, trunc): f' = 0 wherever it exists, and PyTorch's
    gradient is a constant zero there too. Integer tensors are returned as a copy."""

    elementwise = True
    ufunc: Any = None

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        x = a._data
        return x.copy() if x.dtype.kind in "iu" else ctx.fn.ufunc(x)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        return xp.zeros_like(g)  # a constant zero (no graph), as PyTorch's


class Floor(_Step):
    ufunc = xp.floor


class Ceil(_Step):
    ufunc = xp.ceil


class Trunc(_Step):
    ufunc = xp.trunc


class Round(Function):
    """Round half to even, at ``decimals`` decimal places (PyTorch's: rint(a 10^d) / 10^d, or
    rint(a / 10^-d) 10^-d for d < 0); its derivative is 0."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, decimals: int) -> Any:
        x = a._data
        if x.dtype.kind in "iu":
            return x.copy()
        if decimals == 0:
            return xp.rint(x)
        scale = xp.asarray(10.0 ** builtins_abs(decimals), x.dtype)
        if decimals > 0:
            return xp.rint(x * scale) / scale
        return xp.rint(x / scale) * scale

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return xp.zeros_like(g), None  # a constant zero (no graph), as PyTorch's


def builtins_abs(x: Any) -> Any:
    """Python's abs (this module's ``abs`` is the tensor op)."""
    return x if x >= 0 else -x


def _unary_fn(fn: type[Function], op: str, doc: str) -> Callable[[Tensor], Tensor]:
    """The function ``op(a)`` of the Function ``fn`` on floating tensors: integer and bool inputs
    become float32, as PyTorch's."""
    apply = fn.apply

    def unary(a: Tensor) -> Tensor:
        return apply(_floating(a, op))

    unary.__name__ = unary.__qualname__ = op
    unary.__doc__ = doc
    return unary


acos = arccos = tensor_method(["acos", "arccos"])(
    _unary_fn(Acos, "acos", "arccos(a), in [0, pi]; NaN outside [-1, 1]."))
asin = arcsin = tensor_method(["asin", "arcsin"])(
    _unary_fn(Asin, "asin", "arcsin(a), in [-pi/2, pi/2]; NaN outside [-1, 1]."))
atan = arctan = tensor_method(["atan", "arctan"])(
    _unary_fn(Atan, "atan", "arctan(a), in (-pi/2, pi/2)."))
acosh = arccosh = tensor_method(["acosh", "arccosh"])(
    _unary_fn(Acosh, "acosh", "The inverse of cosh, ln(a + sqrt(a^2 - 1)); NaN below 1."))
asinh = arcsinh = tensor_method(["asinh", "arcsinh"])(
    _unary_fn(Asinh, "asinh", "The inverse of sinh, ln(a + sqrt(a^2 + 1))."))
atanh = arctanh = tensor_method(["atanh", "arctanh"])(
    _unary_fn(Atanh, "atanh", "The inverse of tanh, ln((1 + a) / (1 - a)) / 2; +-inf at +-1."))
tan = tensor_method("tan")(_unary_fn(Tan, "tan", "tan(a) = sin(a) / cos(a)."))
sinh = tensor_method("sinh")(_unary_fn(Sinh, "sinh", "(e^a - e^-a) / 2."))
cosh = tensor_method("cosh")(_unary_fn(Cosh, "cosh", "(e^a + e^-a) / 2."))
exp2 = tensor_method("exp2")(_unary_fn(Exp2, "exp2", "2^a."))
expm1 = tensor_method("expm1")(
    _unary_fn(Expm1, "expm1", "e^a - 1, accurate for small |a| (no cancellation)."))
log1p = tensor_method("log1p")(
    _unary_fn(Log1p, "log1p", "ln(1 + a), accurate for small |a|; -inf at -1, NaN below."))
log2 = tensor_method("log2")(_unary_fn(Log2, "log2", "Base-2 logarithm."))
log10 = tensor_method("log10")(_unary_fn(Log10, "log10", "Base-10 logarithm."))
rsqrt = tensor_method("rsqrt")(_unary_fn(Rsqrt, "rsqrt", "1 / sqrt(a); inf at 0."))
erf = tensor_method("erf")(
    _unary_fn(Erf, "erf", "The error function 2/sqrt(pi) int_0^a e^(-t^2) dt."))
erfc = tensor_method("erfc")(
    _unary_fn(Erfc, "erfc", "1 - erf(a), accurate where it is tiny (large a)."))
erfinv = tensor_method("erfinv")(
    _unary_fn(Erfinv, "erfinv", "The inverse of erf on [-1, 1]; +-inf at +-1, NaN outside."))


def _not_bool(a: Any, op: str) -> Tensor:
    """The tensor argument of an op PyTorch does not implement for bool tensors."""
    a = _tensor_arg(a, op)
    if a._data.dtype.kind == "b":
        raise NotImplementedError(f"{op}: not implemented for dtype {a.dtype!r}")
    return a


@tensor_method("floor")
def floor(a: Tensor) -> Tensor:
    """The largest integer <= a (integer tensors unchanged); its derivative is 0."""
    return Floor.apply(_not_bool(a, "floor"))


@tensor_method("ceil")
def ceil(a: Tensor) -> Tensor:
    """The smallest integer >= a (integer tensors unchanged); its derivative is 0."""
    return Ceil.apply(_not_bool(a, "ceil"))


@tensor_method(["trunc", "fix"])
def trunc(a: Tensor) -> Tensor:
    """a rounded toward zero (integer tensors unchanged); its derivative is 0."""
    return Trunc.apply(_not_bool(a, "trunc"))


fix = trunc


@tensor_method("round")
def round(a: Tensor, decimals: int = 0) -> Tensor:
    """a rounded half to even, at ``decimals`` places (negative: to tens, hundreds, ...);
    its derivative is 0."""
    a = _not_bool(a, "round")
    if decimals != 0 and a._data.dtype.kind != "f":
        raise NotImplementedError(
            f"round: decimals={decimals} is not implemented for dtype {a.dtype!r}")
    return Round.apply(a, int(decimals))


@tensor_method("frac")
def frac(a: Tensor) -> Tensor:
    """a - trunc(a), with the sign of a (a composition: its derivative is 1)."""
    a = _tensor_arg(a, "frac")
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"frac: not implemented for dtype {a.dtype!r}")
    return a - trunc(a)


@tensor_method("sgn")
def sgn(a: Tensor) -> Tensor:
    """sign(a) (for real tensors, PyTorch's sgn is sign); its derivative is 0."""
    return sign(a)


@tensor_method("signbit")
def signbit(a: Tensor) -> Tensor:
    """True where the sign bit of a is set (-0.0 and -nan included): a bool tensor."""
    x = _tensor_arg(a, "signbit")._data
    return _const(xp.signbit(x) if x.dtype.kind == "f" else x < 0)


negative = neg
Tensor.negative = neg


@tensor_method(["positive", "__pos__"])
def positive(a: Tensor) -> Tensor:
    """+a: a itself (PyTorch's positive returns its input); an error for bool tensors."""
    a = _tensor_arg(a, "positive")
    if a._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return a


@tensor_method("deg2rad")
def deg2rad(a: Tensor) -> Tensor:
    """Degrees to radians: a pi/180 (a composition)."""
    return _floating(a, "deg2rad") * _DEG


@tensor_method("rad2deg")
def rad2deg(a: Tensor) -> Tensor:
    """Radians to degrees: a 180/pi (a composition)."""
    return _floating(a, "rad2deg") * (1 / _DEG)


class Logit(Function):
    """log(x / (1 - x)), x = a clamped to [eps, 1 - eps] when eps is given; d/da =
    1 / (a (1 - a)): 0 outside [eps, 1 - eps] with eps, NaN outside [0, 1] without (PyTorch's).
    A primitive: as a composition, the gradient at a = 0 or 1 would be NaN, not PyTorch's inf."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Tensor, eps: float | None) -> Any:
        ctx.save_for_backward(a)
        ctx.eps = eps
        x = a._data if eps is None else xp.clip(a._data, eps, 1 - eps)
        return xp.log(x / (1 - x))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        x, eps = data(a), ctx.eps
        d = g / (a * (1 - a))
        if eps is None:
            return xp.where((x < 0) | (x > 1), xp.nan, d), None
        return xp.where((x < eps) | (x > 1 - eps), 0, d), None


@tensor_method("logit")
def logit(a: Tensor, eps: float | None = None) -> Tensor:
    """log(a / (1 - a)), the inverse of sigmoid; with ``eps``, a is first clamped to
    [eps, 1 - eps] (and the derivative is 0 outside)."""
    return Logit.apply(_floating(a, "logit"), None if eps is None else float(eps))


@tensor_method("nan_to_num")
def nan_to_num(a: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """a with NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the infinities'
    defaults: the dtype's largest and smallest finite values); the derivative is 1 where a is
    finite and 0 elsewhere (a composition: a selection by a constant mask)."""
    a = _tensor_arg(a, "nan_to_num")
    x = a._data
    if x.dtype.kind != "f":
        return a.clone()
    filled = xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
    return Where.apply(_const(xp.isfinite(x)), a, _const(filled))


# ----- binary ------------------------------------------------------------------------------
def _arrays(a: Operand, b: Operand) -> tuple[Any, Any]:
    """The operands' arrays after promotion; a number as a 0-d array of the other operand's
    dtype (a NumPy scalar from a ufunc of a number would otherwise promote the result)."""
    if not isinstance(a, Tensor):
        return xp.asarray(a, b._data.dtype), b._data
    if not isinstance(b, Tensor):
        return a._data, xp.asarray(b, a._data.dtype)
    return a._data, b._data


def _is_float(x: Operand) -> bool:
    return x._data.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, float)


def _float_operands(a: Operand, b: Operand, op: str) -> tuple[Operand, Operand]:
    """Operands of an op with a floating-point result: if neither is floating, the integer/bool
    tensors become float32 (PyTorch's default dtype)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected a Tensor argument, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if not (_is_float(a) or _is_float(b)):
        a = _floating(a, op) if isinstance(a, Tensor) else a
        b = _floating(b, op) if isinstance(b, Tensor) else b
    return a, b


def _floating_only(a: Operand, b: Operand, op: str) -> None:
    """PyTorch implements some ops (hypot, logaddexp, lerp) for floating results only."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected a Tensor argument, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if not (_is_float(a) or _is_float(b)):
        dt = next(x.dtype for x in (a, b) if isinstance(x, Tensor))
        raise NotImplementedError(f"{op}: not implemented for dtype {dt!r}")


def _is_integral(x: Operand) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "biu"
    return isinstance(x, int | xp.integer | xp.bool_)


def _check_int_division(a: Operand, b: Operand, op: str) -> None:
    """Integer division by zero is an error in PyTorch (NumPy gives 0 and a warning)."""
    if _is_integral(a) and _is_integral(b) and not xp.all(data(b) != 0):
        raise RuntimeError(f"ZeroDivisionError: {op}: integer division by zero")


class Atan2(Function):
    """atan2(a, b), the angle of the point (b, a) in (-pi, pi]; d/da = b / (a^2 + b^2),
    d/db = -a / (a^2 + b^2), both taken as 0 where a^2 + b^2 == 0 (PyTorch's)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.arctan2(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        recip = xp.where(data(denom) == 0, 0, 1 / denom)
        return (g * b * recip if ctx.needs_input_grad[0] else None,
                g * -a * recip if ctx.needs_input_grad[1] else None)


class FloorDivide(Function):
    """floor(a / b) as Python's // (PyTorch's div(rounding_mode='floor')). PyTorch records it
    but has no derivative for it: backward raises."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        return xp.floor_divide(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[None, None]:
        raise RuntimeError("the derivative for 'floor_divide' is not implemented")


class Fmod(Function):
    """fmod(a, b) = a - trunc(a / b) b (C's fmod: the sign of a); d/da = 1, d/db = -trunc(a / b),
    taken as a constant: PyTorch records it (its trunc division has derivative 0, also where
    b == 0), so its create_graph gradient for b requires grad and ours does not."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        if ctx.needs_input_grad and ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        return xp.fmod(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        need = ctx.needs_input_grad
        gb = None
        if need[1]:
            a, b = ctx.saved_tensors
            gb = -g * xp.trunc(data(a) / data(b))
        return (g if need[0] else None), gb


def _remainder(x: Any, y: Any) -> Any:
    """x mod y with the sign of y (Python's %): PyTorch's fmod-then-correct for floats."""
    if x.dtype.kind != "f":
        return xp.remainder(x, y)
    m = xp.fmod(x, y)
    return xp.where((m != 0) & ((y < 0) != (m < 0)), m + y, m)


class Remainder(Function):
    """a - floor(a / b) b (Python's %, the sign of b); d/da = 1, d/db = -floor(a / b), Python's
    floor division (PyTorch's div(rounding_mode="floor")), taken as a constant: PyTorch records
    it (with derivative 0), so its create_graph gradient for b requires grad and ours does not."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        if ctx.needs_input_grad and ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        return _remainder(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        need = ctx.needs_input_grad
        gb = None
        if need[1]:
            a, b = ctx.saved_tensors
            gb = -g * xp.floor_divide(data(a), data(b))
        return (g if need[0] else None), gb


class Logaddexp(Function):
    """log(e^a + e^b) without overflow (NumPy's logaddexp); d/da = 1 / (1 + e^(b - a)) (that is
    sigmoid(a - b), PyTorch's formula), d/db = 1 / (1 + e^(a - b)). A primitive:
    max(a, b) + log1p(e^-|a - b|) would lose the second derivative where a == b."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.logaddexp(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g / (1 + xp.exp(b - a)) if need[0] else None,
                g / (1 + xp.exp(a - b)) if need[1] else None)


class Logaddexp2(Function):
    """log2(2^a + 2^b) without overflow; d/da = 1 / (1 + 2^(b - a)) (PyTorch's formula),
    likewise for b."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.logaddexp2(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g / (1 + xp.exp2(b - a)) if need[0] else None,
                g / (1 + xp.exp2(a - b)) if need[1] else None)


def _xlogy(x: Any, y: Any) -> Any:
    """x ln(y), 0 where x == 0 (even at y == 0), NaN where y is NaN (arrays or Tensors: the
    forward and the rule share it)."""
    return xp.where(xp.isnan(data(y)), xp.nan, xp.where(data(x) == 0, 0, x * xp.log(y)))


class Xlogy(Function):
    """x ln(y), 0 where x == 0 unless y is NaN; d/dx = ln(y) (0 where x == 0 and y <= 0, as
    PyTorch), d/dy = x / y."""

    elementwise = True

    @staticmethod
    def forward(ctx: Node, x: Operand, y: Operand) -> Any:
        ctx.save_for_backward(x, y)
        return _xlogy(*_arrays(x, y))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gy = None
        if need[0]:
            gx = xp.where((data(x) == 0) & (data(y) <= 0), 0, _xlogy(g, y))
        if need[1]:
            gy = g * x / y
        return gx, gy


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / hypot(a, b), d/db = b / hypot(a, b)."""

    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        ctx.save_for_backward(a, b)
        return xp.hypot(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        y = ctx.output
        need = ctx.needs_input_grad
        return (g * a / y if need[0] else None), (g * b / y if need[1] else None)


class Copysign(Function):
    """|a| with the sign of b; d/da = copysign(a, b) / a (+-1; 0 where a == 0, as PyTorch),
    d/db = 0."""

    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Operand, b: Operand) -> Any:
        if ctx.needs_input_grad and ctx.needs_input_grad[0]:
            ctx.save_for_backward(a)
        return xp.copysign(*_arrays(a, b))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        need = ctx.needs_input_grad
        ga = None
        if need[0]:
            (a,) = ctx.saved_tensors
            ga = g * xp.where(data(a) == 0, 0, ctx.output / a)
        return ga, (xp.zeros_like(g) if need[1] else None)


_atan2 = _binary_op(Atan2, "atan2")
_floor_divide = _binary_op(FloorDivide, "floor_divide")
_fmod = _binary_op(Fmod, "fmod")
_remainder_op = _binary_op(Remainder, "remainder")
_logaddexp = _binary_op(Logaddexp, "logaddexp")
_logaddexp2 = _binary_op(Logaddexp2, "logaddexp2")
_xlogy_op = _binary_op(Xlogy, "xlogy")
_hypot = _binary_op(Hypot, "hypot")
_copysign = _binary_op(Copysign, "copysign")


@tensor_method(["atan2", "arctan2"])
def atan2(a: Operand, b: Operand) -> Tensor:
    """atan2(a, b): the angle of the point (b, a), in (-pi, pi]; integer inputs give float32."""
    return _atan2(*_float_operands(a, b, "atan2"))


arctan2 = atan2


@tensor_method("floor_divide")
def floor_divide(a: Operand, b: Operand) -> Tensor:
    """floor(a / b), rounding toward -inf as Python's // (integer tensors stay integer; integer
    division by zero is a RuntimeError, as PyTorch). Not differentiable: PyTorch records the op
    but its backward raises."""
    _check_int_division(a, b, "floor_divide")
    return _floor_divide(a, b)


@tensor_method("__floordiv__")
def _floordiv(a: Tensor, b: Operand) -> Tensor:
    return floor_divide(a, b)


@tensor_method("__rfloordiv__")
def _rfloordiv(a: Tensor, b: Operand) -> Tensor:
    return floor_divide(b, a)


@tensor_method("fmod")
def fmod(a: Operand, b: Operand) -> Tensor:
    """a - trunc(a / b) b, with the sign of a (C's fmod); NaN where b == 0 for floats, a
    RuntimeError for integers."""
    _check_int_division(a, b, "fmod")
    return _fmod(a, b)


@tensor_method("remainder")
def remainder(a: Operand, b: Operand) -> Tensor:
    """a - floor(a / b) b, with the sign of b (Python's %); NaN where b == 0 for floats, a
    RuntimeError for integers."""
    _check_int_division(a, b, "remainder")
    return _remainder_op(a, b)


@tensor_method("__mod__")
def _mod(a: Tensor, b: Operand) -> Tensor:
    return remainder(a, b)


@tensor_method("__rmod__")
def _rmod(a: Tensor, b: Operand) -> Tensor:
    return remainder(b, a)


true_divide = div
Tensor.true_divide = div


@tensor_method("logaddexp")
def logaddexp(a: Tensor, b: Operand) -> Tensor:
    """log(e^a + e^b), computed without overflow or underflow (floating tensors only)."""
    _floating_only(a, b, "logaddexp")
    return _logaddexp(a, b)


@tensor_method("logaddexp2")
def logaddexp2(a: Tensor, b: Operand) -> Tensor:
    """log2(2^a + 2^b), computed without overflow or underflow (floating tensors only)."""
    _floating_only(a, b, "logaddexp2")
    return _logaddexp2(a, b)


@tensor_method("xlogy")
def xlogy(x: Operand, y: Operand) -> Tensor:
    """x ln(y), taken as 0 where x == 0 (even where y == 0), NaN where y is NaN."""
    return _xlogy_op(*_float_operands(x, y, "xlogy"))


@tensor_method("hypot")
def hypot(a: Tensor, b: Operand) -> Tensor:
    """sqrt(a^2 + b^2) without overflow (floating tensors only)."""
    _floating_only(a, b, "hypot")
    return _hypot(a, b)


@tensor_method("copysign")
def copysign(a: Operand, b: Operand) -> Tensor:
    """|a| with the sign of b (-0.0 counts as negative); integer inputs give float32."""
    return _copysign(*_float_operands(a, b, "copysign"))


def _same_float_dtype(op: str, a: Tensor, other: Any, name: str) -> None:
    if isinstance(other, Tensor) and other._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"{op}: expected dtype {a.dtype!r} for `{name}` but got dtype {other.dtype!r}")


@tensor_method("lerp")
def lerp(input: Tensor, end: Tensor, weight: Operand) -> Tensor:
    """input + weight (end - input), as PyTorch computes it: end - (end - input) (1 - weight)
    where |weight| >= 1/2, exact at weight == 1 (a composition; weight a number or a tensor of
    input's dtype, all three broadcast)."""
    a = _tensor_arg(input, "lerp")
    b = _tensor_arg(end, "lerp")
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"lerp: not implemented for dtype {a.dtype!r}")
    _same_float_dtype("lerp", a, b, "end")
    _same_float_dtype("lerp", a, weight, "weight")
    w = check_operand(weight, "lerp")
    broadcast_check("lerp", a, b, w)
    diff = b - a
    if not isinstance(w, Tensor):
        return a + w * diff if builtins_abs(w) < 0.5 else b - diff * (1 - w)
    small = _const(xp.abs(w._data) < 0.5)
    return where(small, a + w * diff, b - diff * (1 - w))


@tensor_method("addcmul")
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: float = 1) -> Tensor:
    """input + value tensor1 tensor2, broadcasting (a composition)."""
    for t in (input, tensor1, tensor2):
        _tensor_arg(t, "addcmul")
    broadcast_check("addcmul", input, tensor1, tensor2)
    if all(t._data.dtype.kind in "biu" for t in (input, tensor1, tensor2)):
        value = int(value)  # PyTorch casts the value to the integer result type
    return input + (tensor1 if value == 1 else tensor1 * value) * tensor2


@tensor_method("addcdiv")
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: float = 1) -> Tensor:
    """input + value tensor1 / tensor2, broadcasting (a composition)."""
    for t in (input, tensor1, tensor2):
        _tensor_arg(t, "addcdiv")
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            f"addcdiv: integer division with addcdiv is no longer supported (tensor1 "
            f"{tensor1.dtype!r}, tensor2 {tensor2.dtype!r}); use addcmul(input, tensor1, "
            f"1 / tensor2) or a floating dtype")
    broadcast_check("addcdiv", input, tensor1, tensor2)
    return input + (tensor1 if value == 1 else tensor1 * value) / tensor2


@tensor_method("float_power")
def float_power(a: Operand, b: Operand) -> Tensor:
    """a ** b computed in float64 (both operands cast to it; a composition)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("float_power(): expected a Tensor argument")
    a = a.to(xp.float64) if isinstance(a, Tensor) else float(check_operand(a, "float_power"))
    b = b.to(xp.float64) if isinstance(b, Tensor) else float(check_operand(b, "float_power"))
    return pow(a, b)


def _mask_and_value(a: Tensor, mask: Any, value: Any, op: str) -> Any:
    """masked_fill's checks (PyTorch's): a bool mask; a number or a 0-d tensor as the value,
    cast to a's dtype (differentiably, for a tensor)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype!r}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        return value if value._data.dtype == a._data.dtype else value.to(a._data.dtype)
    check_operand(value, op)
    return _const(xp.asarray(value).astype(a._data.dtype))


@tensor_method("masked_fill")
def masked_fill(input: Tensor, mask: Tensor, value: Operand) -> Tensor:
    """input with ``value`` where the bool ``mask`` is set (mask and input broadcast); the
    gradient flows to input where mask is False and to a 0-d tensor value where it is True."""
    a = _tensor_arg(input, "masked_fill")
    v = _mask_and_value(a, mask, value, "masked_fill")
    try:
        return Where.apply(mask, v, a)
    except ValueError:
        broadcast_check("masked_fill", a, mask)
        raise


class Softplus(Function):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold; d/dx = sigmoid(beta x),
    1 past the threshold. A primitive for speed (one node and one saved array, not the four ops
    of where(beta x > threshold, x, logaddexp(beta x, 0) / beta)) and to state PyTorch's
    convention at the threshold itself in one place."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, beta: float, threshold: float) -> Any:
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        x = a._data
        z = x * beta
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): e^-|z| <= 1 cannot overflow
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x, soft)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None, None]:
        (a,) = ctx.saved_tensors
        t = ctx.threshold
        z = a * ctx.beta
        s = _stable_sigmoid(z)  # d/dx log(1 + e^(beta x)) / beta = sigmoid(beta x)
        # PyTorch: the slope is sigmoid(z) up to z == threshold and 1 past it, and its own
        # derivative (beta s (1 - s)) only below: at the threshold the slope is a constant
        zd = data(z)
        slope = xp.where(zd < t, s, xp.where(zd > t, 1.0, data(s)))
        return g * slope, None, None


def _stable_sigmoid(z: Any) -> Any:
    """sigmoid(z) from e = e^-|z| <= 1: 1 / (1 + e) for z >= 0, e / (1 + e) below. Nothing
    overflows, so its derivative e / (1 + e)^2 (what create_graph records) is finite everywhere,
    and has no cancellation where sigmoid(z) is near 1 (PyTorch's s (1 - s) has)."""
    neg = data(z) < 0
    e = xp.exp(xp.where(neg, z, -z))
    return xp.where(neg, e, 1) / (1 + e)


def softplus(input: Tensor, beta: float = 1, threshold: float = 20) -> Tensor:
    """torch.nn.functional.softplus: log(1 + e^(beta x)) / beta, reverting to x where
    beta x > threshold; a smooth relu (beta -> inf approaches it)."""
    a = _tensor_arg(input, "softplus")
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"softplus: not implemented for dtype {a.dtype!r}")
    return Softplus.apply(a, _number(beta, "beta"), _number(threshold, "threshold"))


def _number(x: Any, name: str) -> float:
    """A scalar argument (a number or a one-element tensor) as a Python float."""
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"softplus(): argument '{name}' must be a number, not "
                        f"{type(x).__name__}") from None


__all__ += [
    "acos", "acosh", "addcdiv", "addcmul", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "copysign", "cosh",
    "deg2rad", "erf", "erfc", "erfinv", "exp2", "expm1", "fix", "float_power", "floor",
    "floor_divide", "fmod", "frac", "hypot", "lerp", "log1p", "log2", "log10", "logaddexp",
    "logaddexp2", "logit", "masked_fill", "nan_to_num", "negative", "positive", "rad2deg",
    "remainder", "round", "rsqrt", "sgn", "signbit", "sinh", "tan", "true_divide", "trunc",
    "xlogy",
]
__all__ += ["softplus"]
