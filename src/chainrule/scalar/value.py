"""Value: a scalar that remembers how it was computed, micrograd's engine done without its defects.

Every operation returns a new Value whose ``_prev`` lists its inputs and whose ``_rule`` is the
op's local chain-rule step, written beside the forward. A rule takes ``(g, out, *inputs)`` and
returns ``g * d(out)/d(input)`` for each input. Rules are plain module-level functions, never
closures over the result, so a node is not a reference cycle and reference counting frees a graph
the moment it is dropped. They are also written so that they run on floats (the fast backward)
and on Values (``grad(..., create_graph=True)`` records the backward pass itself, which is how
second and third derivatives work) with the same code.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from chainrule.autograd import graph
from chainrule.autograd.grad_mode import _GradMode

Number = Union[int, float]  # noqa: UP007
Operand = Union["Value", int, float]
Rule = Callable[..., tuple[Any, ...]]


def _is_number(x: object) -> bool:
    """A real number other than a bool: int, float, NumPy's integer and float scalars, Fraction
    (NumPy's bool is not a numbers.Real)."""
    t = type(x)
    return t is float or t is int or (isinstance(x, numbers.Real) and t is not bool)


def _as_value(x: Operand) -> Value:
    if isinstance(x, Value):
        return x
    t = type(x)
    if t is float or t is int or _is_number(x):  # the common two inline: once per constant
        return Value(x)
    raise TypeError(f"Value: cannot combine a Value with {type(x).__name__} {x!r}")


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _fn(x: Any, name: str) -> Any:
    """Apply a math function by name to a float (math module) or to a Value (its method)."""
    return getattr(x, name)() if isinstance(x, Value) else getattr(math, name)(x)


def _pow_num(x: Any, k: Any) -> Any:
    """x ** k inside a derivative rule; 0 ** negative is +inf as in PyTorch (a constant, also
    when x is a Value: the forward op would raise, but the derivative of sqrt at 0 is inf)."""
    if _data(x) == 0.0 and _data(k) < 0:
        return math.inf
    return x**k


# Local chain-rule steps: (g, out, *inputs) -> g * d(out)/d(input) for each input.
def _add_rule(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    return g, g


def _sub_rule(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    return g, -g


def _mul_rule(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    return g * b, g * a


def _div_rule(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    return g / b, -g * out / b  # d(a/b)/db = -a/b^2 = -out/b


def _pow_rule(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b ln(a), taken as 0 at a = 0 as PyTorch does
    # 0^0: d/da = 0 as in PyTorch (b a^(b-1) would be 0 * inf). Only there: for a != 0 the
    # formula gives 0 itself and keeps d2/da db = a^(b-1) (PyTorch zeroes that at b = 0 too)
    if _data(b) == 0 and _data(a) == 0:
        da = g * 0.0
    else:
        da = g * b * _pow_num(a, b - 1.0)
    a_num = _data(a)
    if a_num > 0:
        db = g * out * _fn(a, "log")
    else:
        db = g * (0.0 if a_num == 0 else math.nan)
    return da, db


def _neg_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (-g,)


def _exp_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * out,)


def _log_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g / a,)


def _tanh_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * (1.0 - out * out),)


def _sigmoid_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * out * (1.0 - out),)


def _relu_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * (1.0 if _data(a) > 0 else 0.0),)


def _abs_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    x = _data(a)
    return (g * (1.0 if x > 0 else -1.0 if x < 0 else 0.0),)


def _sin_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (g * _fn(a, "cos"),)


def _cos_rule(g: Any, out: Any, a: Any) -> tuple[Any]:
    return (-g * _fn(a, "sin"),)


def _linear_rule(g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
    # out = b + sum_i w_i x_i:  d/dw_i = x_i,  d/dx_i = w_i,  d/db = 1
    n = (len(inputs) - 1) // 2
    ws, xs = inputs[:n], inputs[n : 2 * n]
    return (*[g * x for x in xs], *[g * w for w in ws], g)


class _PowConst:
    """Rule for a ** k with a plain-number k (one input, like micrograd's ``**k``)."""

    __slots__ = ("k",)

    def __init__(self, k: float) -> None:
        self.k = k

    def __call__(self, g: Any, out: Any, a: Any) -> tuple[Any]:
        if self.k == 0:  # a^0 = 1: d/da = 0 even at a = 0 (not 0 * inf), as in PyTorch
            return (g * 0.0,)
        return (g * self.k * _pow_num(a, self.k - 1),)


class Value:
    """A scalar node of an expression graph: ``data``, ``grad`` and how it was made.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad  # dc/da = b + 1, dc/db = a
    (-2.0, 2.0)
    """

    __slots__ = ("__weakref__", "_op", "_prev", "_rule", "data", "grad", "label")
    # NumPy scalars (priority -1e6) defer to Value's reflected operators, so np.float64(2) + v is
    # a Value; arrays (priority 0) do not, so array * v is still an object array of Values
    __array_priority__ = -100.0

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        _rule: Rule | None = None,
    ) -> None:
        if type(data) is not float:
            if type(data) is not int and not _is_number(data):
                kind = type(data).__name__
                raise TypeError(f"Value: data must be a real number, got {kind} {data!r}")
            data = float(data)
        self.data = data
        self.grad = 0.0
        self._prev: tuple[Value, ...] = tuple(_children)
        self._op = _op
        self.label = label
        self._rule = _rule

    @staticmethod
    def _make(data: float, children: tuple[Value, ...], op: str, rule: Rule) -> Value:
        """A result node; records its inputs only while grad mode is on. Fields are set here
        rather than through __init__: this runs once per node of every graph."""
        v = _new_value(Value)
        v.data = data
        v.grad = 0.0
        v.label = ""
        if _GradMode.enabled:
            v._prev = children
            v._op = op
            v._rule = rule
        else:
            v._prev = ()
            v._op = ""
            v._rule = None
        return v

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ----- binary operations -------------------------------------------------------------
    def __add__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)
        return Value._make(self.data + other.data, (self, other), "+", _add_rule)

    def __radd__(self, other: Operand) -> Value:
        return _as_value(other) + self

    def __sub__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)
        return Value._make(self.data - other.data, (self, other), "-", _sub_rule)

    def __rsub__(self, other: Operand) -> Value:
        return _as_value(other) - self

    def __mul__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)
        return Value._make(self.data * other.data, (self, other), "*", _mul_rule)

    def __rmul__(self, other: Operand) -> Value:
        return _as_value(other) * self

    def __truediv__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / {other.data!r}")
        return Value._make(self.data / other.data, (self, other), "/", _div_rule)

    def __rtruediv__(self, other: Operand) -> Value:
        return _as_value(other) / self

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            out = _checked_pow(self.data, other.data)
            return Value._make(out, (self, other), "**", _pow_rule)
        if not _is_number(other):
            kind = type(other).__name__
            raise TypeError(f"pow: exponent must be a Value or a number, got {kind}")
        out = _checked_pow(self.data, float(other))
        return Value._make(out, (self,), f"**{other:g}", _PowConst(float(other)))

    def __rpow__(self, other: Operand) -> Value:
        return _as_value(other) ** self

    # ----- unary operations --------------------------------------------------------------
    def __neg__(self) -> Value:
        return Value._make(-self.data, (self,), "neg", _neg_rule)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return Value._make(abs(self.data), (self,), "abs", _abs_rule)

    def abs(self) -> Value:
        """|x|; derivative sign(x), 0 at 0."""
        return abs(self)

    def exp(self) -> Value:
        """e^x; derivative e^x."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return Value._make(out, (self,), "exp", _exp_rule)

    def log(self) -> Value:
        """Natural log ln(x) for x > 0; derivative 1/x."""
        if self.data <= 0:
            raise ValueError(f"log: input must be positive, got {self.data!r}")
        return Value._make(math.log(self.data), (self,), "log", _log_rule)

    def sqrt(self) -> Value:
        """x ** 0.5 for x >= 0; derivative 1 / (2 sqrt(x))."""
        return self**0.5

    def tanh(self) -> Value:
        """tanh(x); derivative 1 - tanh(x)^2."""
        return Value._make(math.tanh(self.data), (self,), "tanh", _tanh_rule)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x); derivative s(x) (1 - s(x))."""
        x = self.data
        # the two forms avoid overflow of e^-x for very negative x
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value._make(s, (self,), "sigmoid", _sigmoid_rule)

    def relu(self) -> Value:
        """max(0, x); derivative 1 for x > 0, else 0."""
        x = self.data
        return Value._make(x if x > 0 else 0.0, (self,), "ReLU", _relu_rule)

    def sin(self) -> Value:
        """sin(x); derivative cos(x)."""
        return Value._make(math.sin(self.data), (self,), "sin", _sin_rule)

    def cos(self) -> Value:
        """cos(x); derivative -sin(x)."""
        return Value._make(math.cos(self.data), (self,), "cos", _cos_rule)

    # ----- == and hash are identity (as in micrograd, which defines neither): a Value is a node
    # of a graph, so sets, dicts and `in` find that node. Ordering compares data.
    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    def __float__(self) -> float:
        return self.data

    # ----- backward ----------------------------------------------------------------------
    def _backward(self) -> None:
        """This node's local chain-rule step alone: add ``grad * d(self)/d(input)`` to each
        input's ``.grad``, as micrograd's ``_backward`` does; nothing for a leaf. Calling it on
        every node in reverse topological order, after ``self.grad = 1.0``, is ``backward()`` by
        hand. A method, not a closure stored on the node, so a node is not a reference cycle."""
        if self._prev:
            for p, g in zip(self._prev, _float_vjp(self, self.grad), strict=True):
                p.grad += g

    def backward(self) -> None:
        """Fill ``grad`` with d(self)/d(node) for every node of this graph.

        Seeds d(self)/d(self) = 1. Intermediate nodes get this pass's gradient (their old one is
        replaced); leaves add it to what they hold, as PyTorch's leaves do, so two calls give
        leaves exactly twice the gradient.
        """
        grads = graph.backward((self,), (1.0,), _parents, _float_vjp)
        for node, g in grads.items():  # every node of the graph: each rule returns all inputs'
            if node._prev:
                node.grad = g
            else:
                node.grad += g


def linear(ws: Sequence[Value], xs: Sequence[Operand], b: Operand = 0.0) -> Value:
    """b + sum_i w_i x_i as one node whose inputs are (w_1..w_n, x_1..x_n, b).

    Fused for measured speed: a neuron is one node instead of 2n, which makes a small MLP's
    training step several times faster (docs/benchmarks.md). The derivatives are the elementary
    ones: d/dw_i = x_i, d/dx_i = w_i, d/db = 1.
    """
    if len(ws) != len(xs):
        raise ValueError(f"linear: {len(ws)} weights but {len(xs)} inputs")
    ws = [w if isinstance(w, Value) else _as_value(w) for w in ws]
    xs = [x if isinstance(x, Value) else _as_value(x) for x in xs]
    b = b if isinstance(b, Value) else _as_value(b)
    total = b.data
    for w, x in zip(ws, xs, strict=True):
        total += w.data * x.data
    return Value._make(total, (*ws, *xs, b), "w·x+b", _linear_rule)


_new_value = object.__new__


def _parents(v: Value) -> tuple[Value, ...]:
    return v._prev


def _float_vjp(v: Value, g: float) -> tuple[float, ...]:
    prev = v._prev
    if len(prev) == 2:
        return v._rule(g, v.data, prev[0].data, prev[1].data)  # type: ignore[misc]
    if len(prev) == 1:
        return v._rule(g, v.data, prev[0].data)  # type: ignore[misc]
    if prev:
        return v._rule(g, v.data, *[p.data for p in prev])  # type: ignore[misc]
    return ()


def _value_vjp(v: Value, g: Value) -> tuple[Value, ...]:
    if not v._prev:
        return ()
    return v._rule(g, v, *v._prev)  # type: ignore[misc]


def _checked_pow(a: float, b: float) -> float:
    if a == 0.0 and b < 0:
        raise ZeroDivisionError(f"pow: {a!r} ** {b!r}: zero to a negative power is undefined")
    if a < 0 and not float(b).is_integer():
        raise ValueError(f"pow: ({a!r}) ** {b!r}: a negative base needs an integer exponent")
    try:
        return a**b
    except OverflowError:
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf


def grad(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> tuple[Value, ...]:
    """d(output)/d(x) for each x in ``inputs``, as Values; ``.grad`` is left untouched.

    With ``create_graph=True`` the backward pass is itself recorded, so the returned Values can be
    differentiated again (second, third, ... derivatives). An input that ``output`` does not
    depend on gets Value(0.0).
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    if create_graph:
        grads = graph.backward((output,), (Value(1.0),), _parents, _value_vjp)
        return tuple(_as_value(grads.get(x, 0.0)) for x in inputs)
    grads = graph.backward((output,), (1.0,), _parents, _float_vjp)
    return tuple(Value(grads.get(x, 0.0)) for x in inputs)
