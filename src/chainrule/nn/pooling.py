"""MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d (torch.nn's).

Thin modules holding PyTorch's attributes (and their reprs); the math is in
``chainrule.nn.functional.pooling``.
"""

from __future__ import annotations

from typing import Any

from chainrule.nn.conv import _LayerName
from chainrule.nn.functional import pooling as _fpool
from chainrule.nn.module import Module
from chainrule.tensor.tensor import Tensor

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum over each window of (N, C, L) or (C, L) input; see F.max_pool1d."""

    def forward(self, input: Tensor) -> Any:
        return _fpool._max_pool(input, self.kernel_size, self.stride, self.padding,
                                self.dilation, self.ceil_mode, self.return_indices, 1,
                                _LayerName(self))


class MaxPool2d(_MaxPoolNd):
    """The maximum over each window of (N, C, H, W) or (C, H, W) input; see F.max_pool2d."""

    def forward(self, input: Tensor) -> Any:
        return _fpool._max_pool(input, self.kernel_size, self.stride, self.padding,
                                self.dilation, self.ceil_mode, self.return_indices, 2,
                                _LayerName(self))


class AvgPool1d(Module):
    """The mean over each window of (N, C, L) or (C, L) input; see F.avg_pool1d."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        # PyTorch keeps these as 1-tuples (_single)
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return _fpool._avg_pool(input, self.kernel_size, self.stride, self.padding,
                                self.ceil_mode, self.count_include_pad, None, 1,
                                _LayerName(self))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


class AvgPool2d(Module):
    """The mean over each window of (N, C, H, W) or (C, H, W) input; see F.avg_pool2d."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return _fpool._avg_pool(input, self.kernel_size, self.stride, self.padding,
                                self.ceil_mode, self.count_include_pad, self.divisor_override,
                                2, _LayerName(self))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """The mean over output_size adaptive windows of the last dim; see
    F.adaptive_avg_pool1d."""

    def forward(self, input: Tensor) -> Tensor:
        return _fpool._adaptive_avg_pool(input, self.output_size, 1,
                                         _LayerName(self))


class AdaptiveAvgPool2d(_AdaptivePool):
    """The mean over adaptive windows of the last two dims; see F.adaptive_avg_pool2d."""

    def forward(self, input: Tensor) -> Tensor:
        return _fpool._adaptive_avg_pool(input, self.output_size, 2,
                                         _LayerName(self))


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum over output_size adaptive windows of the last dim; see
    F.adaptive_max_pool1d."""

    def forward(self, input: Tensor) -> Any:
        return _fpool._adaptive_max_pool(input, self.output_size, self.return_indices, 1,
                                         _LayerName(self))


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum over adaptive windows of the last two dims; see F.adaptive_max_pool2d."""

    def forward(self, input: Tensor) -> Any:
        return _fpool._adaptive_max_pool(input, self.output_size, self.return_indices, 2,
                                         _LayerName(self))
