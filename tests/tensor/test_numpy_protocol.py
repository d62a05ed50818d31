"""NumPy's functions on Tensors (``__array_ufunc__``/``__array_function__``) and NumPy's error
state: forwards and backward passes are silent, and the caller's error state is left as it was."""

import warnings

import numpy as np
import pytest

import chainrule as cr
from tests.tensor.oracle import raises_with


def test_numpy_ufuncs_on_tensors_are_chainrules_differentiable_ops() -> None:
    x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = np.exp(x) * np.tanh(x) + np.square(x) - np.maximum(x, 0) / np.sqrt(np.abs(x))
    assert isinstance(y, cr.Tensor) and y.grad_fn is not None
    (g,) = cr.grad(y.sum(), [x])
    xd = x.detach()
    ref = (cr.exp(xd) * cr.tanh(xd) + 2 * xd + cr.exp(xd) * (1 - cr.tanh(xd) ** 2)
           - cr.where(xd > 0, 1 / cr.sqrt(xd) - xd / (2 * xd ** 1.5), 0 * xd))
    np.testing.assert_allclose(g.numpy(), ref.numpy(), rtol=1e-12)


def test_numpy_functions_on_tensors_dispatch_and_stay_in_the_graph() -> None:
    x = cr.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=cr.float64, requires_grad=True)
    mask = np.array([[True, False, True], [False, True, True]])
    parts = [
        np.where(mask, x, 0), np.broadcast_to(np.sum(x, axis=0, keepdims=True), (2, 3)),
        np.transpose(np.flip(x, 1)).T, np.reshape(np.swapaxes(x, 0, 1), (2, 3)),
        np.squeeze(np.expand_dims(x, 0), 0), np.astype(x, np.float64),
        np.take_along_axis(x, np.array([[2, 0, 1], [1, 1, 0]]), 1),
        np.concatenate([x[:1], x[1:]], axis=0), np.stack([x, x], 0).sum(0),
        np.einsum("ij,ij->ij", x, x), np.tril(np.ones((2, 3))) * x,
        np.clip(x, -1.0, None), np.clip(x, None, 2.0), np.clip(x, min=-1.0, max=2.0),
    ]
    for p in parts:
        assert isinstance(p, cr.Tensor) and p.shape == (2, 3) and p.requires_grad
    total = sum(p.sum() for p in parts)
    total.backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_numpy_clip_on_a_tensor_is_clamp() -> None:
    x = cr.tensor([-2.0, -1.0, 0.5, 3.0], dtype=cr.float64, requires_grad=True)
    y = np.clip(x, -1.0, 2.0)
    assert y.grad_fn is not None and y.tolist() == [-1.0, -1.0, 0.5, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]  # clamp's: 1 at the bound itself
    raises_with(TypeError, lambda: np.clip(x, 0, 1, out=np.empty(4)), "numpy.clip", "out")


def test_an_array_operand_is_a_constant_and_numpy_scalars_promote_as_numbers() -> None:
    x = cr.ones(3, requires_grad=True)
    y = np.array([1.0, 2.0, 3.0], dtype=np.float32) * x
    assert isinstance(y, cr.Tensor) and y.dtype == cr.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3])
    assert (np.float64(2.0) * cr.ones(2)).dtype == cr.float32


def test_unsupported_numpy_calls_say_so() -> None:
    x = cr.ones(3)
    raises_with(TypeError, lambda: np.exp(x, out=np.empty(3)), "numpy.exp", "out")
    raises_with(TypeError, lambda: np.add.reduce(x), "numpy.add.reduce")
    # a NumPy function chainrule does not implement runs on the array, as without the protocol
    assert np.allclose(x, 1.0) and np.median(x) == 1.0


def test_forwards_and_backward_are_silent_and_leave_numpy_error_state_alone() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            x = cr.tensor([0.0, 1e38, -1.0], requires_grad=True)
            y = cr.log(x) + x * 10 + cr.sqrt(x) + x / 0.0 + cr.exp(x * 100)
            y.sum().backward()
            assert np.geterr()["over"] == "raise"
            with pytest.raises(FloatingPointError):
                np.float32(1e38) * np.float32(10)  # the caller's state is back after each op
    assert np.isinf(x.grad.numpy()).any()


def test_a_numpy_scalar_on_the_left_takes_the_reflected_operator_as_pytorch() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    v = x * 1
    y = np.float64(2.0) / v  # recorded as 2 * reciprocal(v), which saves its result, not v
    v.mul_(2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-2.0, -0.5])
    assert (np.float32(3) - cr.ones(2)).tolist() == [2.0, 2.0]
    assert (np.int64(2) ** cr.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
