"""chainrule.nn.functional.dropout: dropout (inverted: kept values scaled by 1 / (1 - p)), its
channel-wise forms and alpha dropout, drawn from chainrule's global generator."""

from __future__ import annotations

import warnings
from typing import Any

from chainrule.tensor.backend import xp
from chainrule.tensor.ops._util import const
from chainrule.tensor.tensor import Tensor, default_generator

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "feature_alpha_dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape: tuple[int, ...], p: float, dtype: Any) -> Any:
    """1 / (1 - p) with probability 1 - p, else 0 (PyTorch: bernoulli_(1 - p), div_(1 - p))."""
    # uniforms in float32 for float32 inputs (twice as fast to draw; 24 bits decide keep)
    u = default_generator.rng.random(shape, dtype=xp.float32 if dtype == xp.float32
                                     else xp.float64)
    scale = xp.asarray(1, dtype=dtype) / xp.asarray(1 - p, dtype=dtype)
    return (u < 1 - p) * scale


def _apply_mask(input: Tensor, mask: Any, inplace: bool) -> Tensor:
    m = const(mask)
    return input.mul_(m) if inplace else input * m


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Each element zeroed with probability p and the kept ones scaled by 1 / (1 - p) (so the
    expectation is unchanged); the input itself when not training or p == 0."""
    _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if not training or p == 0 or input._data.size == 0:
        return input
    dtype = input._data.dtype
    if p == 1:
        return _apply_mask(input, xp.zeros((), dtype=dtype), inplace)
    return _apply_mask(input, _keep_mask(input._data.shape, p, dtype), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Whole channels (dim 1 of a batched input) zeroed together."""
    if not training or p == 0 or input._data.size == 0:
        return input
    dtype = input._data.dtype
    if p == 1:
        return _apply_mask(input, xp.zeros((), dtype=dtype), inplace)
    shape = input._data.shape[:2] + (1,) * (input.ndim - 2)
    return _apply_mask(input, _keep_mask(shape, p, dtype), inplace)


def _batched(input: Tensor, batched_ndim: int, op: str, p: float, training: bool,
             inplace: bool) -> Tensor:
    if input.ndim == batched_ndim - 1:  # one sample: (C, ...) as (1, C, ...)
        out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
        return input if inplace else out.squeeze(0)
    return _feature_dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, L) or (C, L) input, each with probability p."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _batched(input, 3, "dropout1d", p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input, each with probability p."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      f"deprecated and will result in an error in a future release.",
                      stacklevel=2)
    return _batched(input, 5, "dropout3d", p, training, inplace)


_SELU_ALPHA_PRIME = 1.7580993408473766  # -scale * alpha of selu


def _alpha(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input._data.size == 0:
        return input
    dtype = input._data.dtype
    if p == 1:
        return _apply_mask(input, xp.zeros((), dtype=dtype), inplace)
    shape = input._data.shape[:2] + (1,) * (input.ndim - 2) if feature else input._data.shape
    keep = (default_generator.rng.random(shape) < 1 - p).astype(dtype)
    # kept values keep their (scaled) value; dropped ones become selu's negative saturation,
    # then an affine map restores mean 0 and variance 1: a x + b
    a = ((1 - p) * (1 + p * _SELU_ALPHA_PRIME**2)) ** -0.5
    b = (keep - 1) * (_SELU_ALPHA_PRIME * a) + _SELU_ALPHA_PRIME * a * p
    result = input * const(keep * a) + const(b.astype(dtype))
    return input.copy_(result) if inplace else result


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for selu networks: dropped values set to selu's saturation value, then an affine
    map keeping mean and variance."""
    return _alpha(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels."""
    return _alpha(input, p, training, inplace, True)
