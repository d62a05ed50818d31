"""Recurrent layers (torch.nn.RNN, GRU, LSTM) and their cells (RNNCell, GRUCell, LSTMCell).

PyTorch's parameter names and shapes (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``, ``..._reverse`` for the backward direction; gates stacked in PyTorch's order:
GRU r, z, n; LSTM i, f, g, o), all drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
The math is in ``chainrule.nn.functional.rnn``; these check shapes and hold the weights.
PackedSequence inputs and LSTM's proj_size are not supported.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from chainrule.nn import init
from chainrule.nn.functional import rnn as rnn_f
from chainrule.nn.module import Module, Parameter
from chainrule.tensor.backend import dtype_of_np
from chainrule.tensor.devices import check_device
from chainrule.tensor.tensor import Tensor, empty, zeros

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_input(name: str, input: Any, ndims: tuple[int, ...], size: int, dtype: Any) -> None:
    """The input is a tensor of ``ndims`` dimensions, ``size`` features, the weights' dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
    if input.dim() not in ndims:
        raise ValueError(f"{name}: Expected input to be {ndims[0]}D or {ndims[1]}D, got "
                         f"{input.dim()}D input instead (shape {tuple(input.shape)})")
    if input.shape[-1] != size:
        raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                           f"{size}, got {input.shape[-1]} (input shape {tuple(input.shape)})")
    if input._data.dtype != dtype:
        raise ValueError(f"{name}: input dtype ({input.dtype}) does not match weight dtype "
                         f"({dtype_of_np(dtype)}). Convert the input (input.to(...)) or the "
                         f"model (model.to(...))")


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the weights of every layer and direction, in PyTorch's
    order and names (``_flat_weights_names``), their initialisation, shape checks and repr."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device, mode)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for what, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"{what} should be of type int, got: {type(v).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size != 0:
            raise NotImplementedError(f"{mode}: proj_size is not supported by chainrule")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        names = []
        for layer in range(num_layers):
            for d in range(dirs):
                n_in = input_size if layer == 0 else hidden_size * dirs
                suffix = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gates, n_in)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(empty(shape, dtype=dtype)))
                    names.append(name + suffix)
        self._flat_weights_names = names
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The weights per layer and direction: [w_ih, w_hh(, b_ih, b_hh)]."""
        w = self._flat_weights
        per = 4 if self.bias else 2
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch packs the weights for cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _states(self, input: Tensor, hx: Any, batched: bool, lstm: bool) -> Any:
        """The initial state(s) as (layers*dirs, batch, hidden), checked; None: zeros."""
        name = type(self).__name__
        if hx is None:
            return None
        hs = list(hx) if lstm else [hx]
        if lstm and len(hs) != 2:
            raise RuntimeError(f"{name}: expected hx to be a tuple (h_0, c_0), got {len(hs)} "
                               f"tensors")
        batch = input.shape[0 if self.batch_first else 1] if batched else 1
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        out = []
        for i, h in enumerate(hs):
            if not isinstance(h, Tensor):
                raise TypeError(f"{name}: expected hx to be a Tensor, got {type(h).__name__}")
            if h.dim() != (3 if batched else 2):
                raise RuntimeError(
                    f"{name}: For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx "
                    f"should also be {3 if batched else 2}-D but got {h.dim()}-D tensor")
            if not batched:
                h = h.unsqueeze(1)
            if tuple(h.shape) != expected:
                which = f"hidden[{i}]" if lstm else "hidden"
                raise RuntimeError(f"{name}: Expected {which} size {expected}, got "
                                   f"{list(h.shape if batched else h.squeeze(1).shape)}")
            out.append(h)
        return tuple(out) if lstm else out[0]

    def _run(self, input: Tensor, hx: Any, fn: Any) -> tuple[Tensor, Any]:
        name = type(self).__name__
        w = self._flat_weights
        _check_input(name, input, (2, 3), self.input_size, w[0]._data.dtype)
        batched = input.dim() == 3
        lstm = fn is rnn_f.lstm
        h = self._states(input, hx, batched, lstm)
        if not batched:
            input = input.unsqueeze(1 if not self.batch_first else 0)
        res = fn(input, h, w, self.bias, self.num_layers, self.dropout, self.training,
                 self.bidirectional, self.batch_first)
        out, states = res[0], res[1:]
        if not batched:
            out = out.squeeze(1 if not self.batch_first else 0)
            states = tuple(s.squeeze(1) for s in states)
        return out, (states if lstm else states[0])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN layers: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Input (T, N, input_size) ((N, T, .) if batch_first, or unbatched (T, .)), optional h_0
    (layers*dirs, N, hidden_size); returns (output (T, N, dirs*hidden_size), h_n).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        fn = rnn_f.rnn_tanh if self.nonlinearity == "tanh" else rnn_f.rnn_relu
        return self._run(input, hx, fn)


class GRU(RNNBase):
    """GRU layers: r, z = s(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.

    Shapes as RNN's; returns (output, h_n).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx, rnn_f.gru)


class LSTM(RNNBase):
    """LSTM layers: i, f, o = s(.), g = tanh(.) of x W_i*^T + b_i* + h W_h*^T + b_h*;
    c' = f c + i g, h' = o tanh(c').

    Shapes as RNN's, with hx = (h_0, c_0); returns (output, (h_n, c_n)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        return self._run(input, hx, rnn_f.lstm)


# ----- cells -------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: weight_ih (G*hidden, input), weight_hh (G*hidden, hidden),
    bias_ih, bias_hh (G*hidden) for G gates, all from U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _state(self, input: Tensor, hx: Any, i: int = 0) -> Tensor:
        """The (batch, hidden) state, checked; zeros if None."""
        name = type(self).__name__
        batch = input.shape[0] if input.dim() == 2 else None
        if hx is None:
            shape = (self.hidden_size,) if batch is None else (batch, self.hidden_size)
            return zeros(shape, dtype=input.dtype)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name}: expected hx to be a Tensor, got {type(hx).__name__}")
        shape = (self.hidden_size,) if batch is None else (batch, self.hidden_size)
        if tuple(hx.shape) != shape:
            which = "hidden" if not isinstance(self, LSTMCell) else ("h", "c")[i]
            raise RuntimeError(f"{name}: expected {which} state of shape {shape}, got "
                               f"{tuple(hx.shape)} (input shape {tuple(input.shape)})")
        return hx

    def _check(self, input: Tensor) -> None:
        _check_input(type(self).__name__, input, (1, 2), self.input_size,
                     self.weight_ih._data.dtype)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One Elman step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu);
    input (N, input_size) or (input_size,), hx likewise with hidden_size (zeros if None)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check(input)
        fn = rnn_f.rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_f.rnn_relu_cell
        return fn(input, self._state(input, hx), self.weight_ih, self.weight_hh, self.bias_ih,
                  self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step (see GRU); input (N, input_size) or (input_size,), hx (zeros if None)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check(input)
        return rnn_f.gru_cell(input, self._state(input, hx), self.weight_ih, self.weight_hh,
                          self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step (see LSTM); hx = (h, c) (zeros if None); returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        self._check(input)
        h, c = (None, None) if hx is None else hx
        return rnn_f.lstm_cell(input, (self._state(input, h, 0), self._state(input, c, 1)),
                           self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
