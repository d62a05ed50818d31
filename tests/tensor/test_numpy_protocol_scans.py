"""NumPy's scans (``ufunc.accumulate``), ``cumprod`` and ``linalg.inv`` on Tensors dispatch to
chainrule's differentiable ops; backend.broadcast_to (the spread of a sum's rule) is NumPy's."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.tensor import backend
from tests.tensor.oracle import check_op, raises_with

pytestmark = pytest.mark.torch

X = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 3.0, -0.5, 2.5]])


@pytest.mark.parametrize("ufunc, ours", [
    (np.add, cr.cumsum), (np.multiply, cr.cumprod), (np.logaddexp, cr.logcumsumexp),
    (np.maximum, lambda a, d: cr.cummax(a, d).values),
    (np.minimum, lambda a, d: cr.cummin(a, d).values),
])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_ufunc_accumulate_on_a_tensor_is_chainrules_scan(ufunc, ours, axis) -> None:
    x = cr.tensor(X, dtype=cr.float64, requires_grad=True)
    y = ufunc.accumulate(x, axis=axis)
    assert isinstance(y, cr.Tensor) and y.requires_grad
    np.testing.assert_allclose(y.detach().numpy(), ufunc.accumulate(X, axis=axis))
    (g,) = cr.grad((y * y).sum(), [x])
    z = ours(x, axis)
    (h,) = cr.grad((z * z).sum(), [x])
    np.testing.assert_allclose(g.numpy(), h.numpy())


def test_accumulate_default_axis_dtype_and_what_is_refused() -> None:
    x = cr.tensor(X, dtype=cr.float64)
    np.testing.assert_allclose(np.add.accumulate(x).numpy(), np.add.accumulate(X))
    assert np.add.accumulate(x, dtype=np.float32).dtype == cr.float32
    raises_with(TypeError, lambda: np.add.accumulate(x, axis=None), "accumulate", "axis")
    raises_with(TypeError, lambda: np.add.accumulate(x, out=np.empty((2, 4))), "numpy.add")
    raises_with(TypeError, lambda: np.subtract.accumulate(x), "numpy.subtract.accumulate")


def test_cumprod_and_linalg_inv_on_tensors_match_torch_to_second_order() -> None:
    check_op(lambda a: np.cumprod(a, axis=1), lambda a: torch.cumprod(a, 1), [X])
    check_op(lambda a: np.cumprod(a), lambda a: torch.cumprod(a.reshape(-1), 0), [X])
    m = np.array([[2.0, 0.5, 0.0], [1.0, 3.0, -1.0], [0.0, 1.0, 1.5]])
    check_op(lambda a: np.linalg.inv(a), torch.linalg.inv, [m])
    raises_with(RuntimeError, lambda: np.linalg.inv(cr.zeros(2, 2)), "singular")


@pytest.mark.parametrize("shape", [(3, 4), (2, 1), (5000,), (80, 60), (0, 3)])
def test_backend_broadcast_to_is_numpys_for_arrays_scalars_and_tensors(shape) -> None:
    g = np.arange(shape[-1], dtype=np.float32)
    for src in (g, g[:1], np.float32(2.5), np.asarray(np.float32(-1.0))):
        ours = backend.broadcast_to(src, shape)
        assert ours.shape == shape and ours.dtype == np.float32
        np.testing.assert_array_equal(ours, np.broadcast_to(src, shape))
    t = cr.tensor(g[:1], requires_grad=True)
    out = backend.broadcast_to(t, shape)
    assert isinstance(out, cr.Tensor) and out.shape == shape and out.requires_grad
    out.sum().backward()
    assert t.grad.item() == np.prod(shape)


def test_backend_keep_where_selects_exactly_on_arrays_and_tensors() -> None:
    mask = np.array([True, False, True])
    g = np.array([1.0, np.nan, np.inf], dtype=np.float32)
    np.testing.assert_array_equal(backend.keep_where(mask, g), [1.0, 0.0, np.inf])
    x = cr.tensor([1.0, np.nan, 3.0], requires_grad=True)
    out = backend.keep_where(mask, x * 2)
    assert isinstance(out, cr.Tensor) and out.requires_grad
    np.testing.assert_array_equal(out.detach().numpy(), [2.0, 0.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])
