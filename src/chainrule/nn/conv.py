"""Conv1d, Conv2d, Conv3d, ConvTranspose1d/2d/3d, Unfold, Fold (torch.nn's).

Thin modules: the weight and bias as PyTorch's (names, shapes, initialisation), the math in
``chainrule.nn.functional.conv``. Errors name the layer (``Conv1d(25, 32, ...)``) and the
expected and actual input shapes.
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.nn import init
from chainrule.nn.functional import conv as _fconv
from chainrule.nn.module import Module, Parameter
from chainrule.tensor.devices import check_device
from chainrule.tensor.tensor import Tensor, empty

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Fold", "Unfold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value: Any, d: int) -> tuple[int, ...]:
    """PyTorch's _single/_pair/_triple: an int repeated d times, a sequence as a tuple."""
    if isinstance(value, int):
        return (value,) * d
    return tuple(value)


class _LayerName:
    """A module's name for error messages, ``Conv1d(25, 32, kernel_size=(5,), ...)``: made into
    text only when a message is (the ops take it as their ``op``; a repr per call costs more
    than a small layer's forward's bookkeeping)."""

    __slots__ = ("module",)

    def __init__(self, module: Module) -> None:
        self.module = module

    def __str__(self) -> str:
        m = self.module
        return f"{type(m).__name__}({m.extra_repr()})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _ConvNd(Module):
    """The state shared by the convolutions: sizes, weight and bias (PyTorch's _ConvNd)."""

    _d = 0  # spatial dims

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, transposed: bool, output_padding: Any,
                 groups: int, bias: bool, padding_mode: str, device: Any, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        d = self._d
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got "
                             f"in_channels={in_channels}, groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got "
                             f"out_channels={out_channels}, groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, but "
                             f"got padding_mode={padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, d)
        self.stride = _tuple(stride, d)
        self.dilation = _tuple(dilation, d)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 f"['valid', 'same']")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = _tuple(padding, d)
        self.transposed = transposed
        self.output_padding = _tuple(output_padding, d)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: last dim first, (before, after)
        # (a list for a padding string, a tuple for numbers, as PyTorch's)
        if self.padding == "same":
            pads = []
            for k, dd in zip(reversed(self.kernel_size), reversed(self.dilation), strict=True):
                total = dd * (k - 1)
                pads += [total // 2, total - total // 2]
            self._reversed_padding_repeated_twice = pads
        elif self.padding == "valid":
            self._reversed_padding_repeated_twice = [0, 0] * d
        else:
            self._reversed_padding_repeated_twice = tuple(p for p in reversed(self.padding)
                                                          for _ in range(2))
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty((*shape, *self.kernel_size), dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
        the bias from the same bound (PyTorch's initialisation)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _layer(self) -> _LayerName:
        """The layer as errors name it: its class and sizes (formatted only for an error)."""
        return _LayerName(self)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        return _fconv._conv(input, weight, bias, self.stride, self.padding, self.dilation,
                            self.groups, self._d, self._layer(), self.padding_mode)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution (cross-correlation) over (N, C_in, L) or (C_in, L) inputs: weight
    (out_channels, in_channels/groups, k), bias (out_channels,); see F.conv1d."""

    _d = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) inputs: weight
    (out_channels, in_channels/groups, kh, kw), bias (out_channels,); see F.conv2d."""

    _d = 2


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) or (C_in, D, H, W) inputs; see F.conv3d."""

    _d = 3


class _ConvTranspose(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """output_padding, or the one that gives ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        d = self._d
        output_size = [int(s) for s in output_size]
        lead = 2 if input.ndim == d + 2 else 1
        if len(output_size) == lead + d:
            output_size = output_size[lead:]
        if len(output_size) != d:
            raise ValueError(f"{self._layer()}: output_size must have {d} or {lead + d} "
                             f"elements (got {len(output_size)})")
        lo = [(input.shape[lead + i] - 1) * self.stride[i] - 2 * self.padding[i]
              + self.dilation[i] * (self.kernel_size[i] - 1) + 1 for i in range(d)]
        hi = [m + s - 1 for m, s in zip(lo, self.stride, strict=True)]
        if any(not m <= s <= h for s, m, h in zip(output_size, lo, hi, strict=True)):
            raise ValueError(f"{self._layer()}: requested an output size of {output_size}, "
                             f"but valid sizes range from {lo} to {hi} (for an input of "
                             f"{list(input.shape[lead:])})")
        return tuple(s - m for s, m in zip(output_size, lo, strict=True))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        _fconv._tensor(input, "input", self._layer())
        _fconv._batched(input, self._d, self._layer())
        return _fconv._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                      self._output_padding(input, output_size), self.groups,
                                      self.dilation, self._d, self._layer())


class ConvTranspose1d(_ConvTranspose):
    """The adjoint of Conv1d in its input over (N, C_in, L) or (C_in, L) inputs: weight
    (in_channels, out_channels/groups, k); see F.conv_transpose1d."""

    _d = 1


class ConvTranspose2d(_ConvTranspose):
    """The adjoint of Conv2d in its input: weight (in_channels, out_channels/groups, kh, kw);
    see F.conv_transpose2d."""

    _d = 2


class ConvTranspose3d(_ConvTranspose):
    """The adjoint of Conv3d in its input; see F.conv_transpose3d."""

    _d = 3


class Unfold(Module):
    """The sliding blocks of (N, C, H, W) input as columns (N, C*kh*kw, L); see F.unfold."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return _fconv.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns (N, C*kh*kw, L) summed back into (N, C, *output_size); see F.fold."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return _fconv.fold(input, self.output_size, self.kernel_size, self.dilation,
                           self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
