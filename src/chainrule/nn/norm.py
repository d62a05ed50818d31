"""Normalization layers (torch.nn.BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm,
GroupNorm): the state (weight, bias, running statistics) here, the math in
``nn.functional.norm``."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

from chainrule.nn import functional as F  # noqa: N812 (PyTorch code's name for it)
from chainrule.nn import init
from chainrule.nn.module import Module, Parameter
from chainrule.tensor.backend import int64
from chainrule.tensor.devices import check_device
from chainrule.tensor.tensor import Tensor, empty, ones, tensor, zeros

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d", "InstanceNorm3d", "LayerNorm"]


def _input(x: Any, layer: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: expected a Tensor input, got {type(x).__name__}")
    return x


def _affine(module: Module, shape: Any, affine: bool, bias: bool, dtype: Any) -> None:
    """Register ``weight`` and ``bias`` of ``shape`` (filled by reset_parameters), or None for
    each, as PyTorch's norm layers do."""
    module.register_parameter("weight", Parameter(empty(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(empty(shape, dtype=dtype))
                              if affine and bias else None)


def _reset_affine(module: Module) -> None:
    """weight = 1, bias = 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Per-channel state of batch and instance norm: weight (ones) and bias (zeros) if
    ``affine``; running_mean (zeros), running_var (ones) and num_batches_tracked (int64 0)
    buffers if ``track_running_stats``."""

    _version = 2  # version 2 added num_batches_tracked (PyTorch's state-dict version)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine(self, num_features, affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _check_channels(self, x: Tensor, dim: int) -> None:
        """A channel count that differs from num_features: an error naming both (when the layer
        has per-channel state; without it the count is free, as in PyTorch)."""
        if (self.affine or self.track_running_stats) and x.shape[dim] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}({self.num_features}): expected input with "
                               f"{self.num_features} channels (dimension {dim}), got "
                               f"{x.shape[dim]} channels in input of shape {tuple(x.shape)}")

    def _load_from_state_dict(self, state_dict: Any, prefix: str, local_metadata: dict[str, Any],
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"  # state dicts older than version 2 lack it
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else tensor(0, dtype=int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    _dims: tuple[int, ...] = ()  # the input dimensions the layer takes
    _dims_text = ""

    def forward(self, input: Tensor) -> Tensor:
        x = _input(input, type(self).__name__)
        if x.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._dims_text} input (got "
                             f"{x.ndim}D input)")
        self._check_channels(x, 1)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            # momentum None: the cumulative average of the batch statistics
            factor = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                      else self.momentum)
        # batch statistics in training, and in eval when there are no running statistics
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs: per channel, over the batch (and L),
    ``(x - mean) / sqrt(var + eps) * weight + bias``; in eval mode with the running statistics
    (updated in training: ``(1 - momentum) * running + momentum * batch``, the variance
    unbiased; momentum None: their cumulative average)."""

    _dims = (2, 3)
    _dims_text = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel (see BatchNorm1d)."""

    _dims = (4,)
    _dims_text = "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs, per channel (see BatchNorm1d)."""

    _dims = (5,)
    _dims_text = "5D"


class _InstanceNorm(_NormBase):
    _no_batch_dims = 0  # the dimensions of an unbatched input

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        x = _input(input, name)
        nd = self._no_batch_dims
        if x.ndim not in (nd, nd + 1):
            raise ValueError(f"{name}: expected {nd}D or {nd + 1}D input (got {x.ndim}D input)")
        channel = x.ndim - nd
        if x.shape[channel] != self.num_features:
            if self.affine:
                raise ValueError(f"{name}: expected input's size at dim={channel} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{x.shape[channel]}.")
            warnings.warn(f"{name}: input's size at dim={channel} does not match num_features. "
                          f"You can silence this warning by not passing in num_features, "
                          f"which is not used because affine=False", stacklevel=2)
        batched = x.unsqueeze(0) if x.ndim == nd else x
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if x.ndim == nd else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) inputs: each channel of each sample over
    L (running statistics only if ``track_running_stats``; no affine map unless ``affine``)."""

    _no_batch_dims = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) inputs (see InstanceNorm1d)."""

    _no_batch_dims = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) inputs (see InstanceNorm1d)."""

    _no_batch_dims = 4


class LayerNorm(Module):
    """Normalization over the last ``len(normalized_shape)`` dimensions of each sample (mean and
    biased variance), then ``* weight + bias`` elementwise (each of ``normalized_shape``; ones
    and zeros at first) if ``elementwise_affine``."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "LayerNorm")
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        x = _input(input, "LayerNorm")
        ns = self.normalized_shape
        if tuple(x.shape[x.ndim - len(ns):]) != ns or x.ndim < len(ns):
            raise RuntimeError(f"LayerNorm({ns}): expected input with shape (*, "
                               f"{', '.join(map(str, ns))}), got shape {tuple(x.shape)}")
        return F.layer_norm(x, ns, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization of (N, C, *) inputs: the C channels split into ``num_groups``
    groups, each group of each sample normalized over its channels and the other dimensions,
    then ``* weight + bias`` per channel if ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        check_device(device, "GroupNorm")
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine(self, num_channels, affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        x = _input(input, "GroupNorm")
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected "
                               f"input of shape (N, {self.num_channels}, *), got shape "
                               f"{tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
