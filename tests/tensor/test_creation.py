"""Creating tensors: tensor(), dtypes, factory functions, seeding, conversions, metadata, repr."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

DTYPES = {
    cr.float16: torch.float16, cr.float32: torch.float32, cr.float64: torch.float64,
    cr.int8: torch.int8, cr.int16: torch.int16, cr.int32: torch.int32, cr.int64: torch.int64,
    cr.uint8: torch.uint8, cr.bool_: torch.bool,
}


def torch_dtype(dt):
    return DTYPES[dt]


@pytest.mark.torch
@pytest.mark.parametrize("data", [
    1.5, 2, True, [1.0, 2.0], [1, 2], [True, False], [1, 2.5], [[1, 2], [3, 4]], [], [[]],
    np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float64),
    np.array([1, 2], dtype=np.uint8), np.float32(2.0), np.array(3, dtype=np.int16),
])
def test_tensor_dtype_inference_matches_torch(data):
    ours = cr.tensor(data)
    theirs = torch.tensor(data) if not isinstance(data, np.generic) else torch.tensor(
        np.asarray(data))
    assert torch_dtype(ours.dtype) == theirs.dtype
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = cr.tensor(a)
    a[0] = 9
    assert t.tolist() == [1.0, 2.0]
    u = cr.tensor(t)
    t._data[1] = 7
    assert u.tolist() == [1.0, 2.0]


def test_tensor_dtype_argument_and_requires_grad():
    t = cr.tensor([1, 2], dtype=cr.float64, requires_grad=True)
    assert t.dtype == cr.float64 and t.requires_grad and t.is_leaf and t.grad is None
    assert cr.tensor([1.5], dtype="float64").dtype == cr.float64
    assert cr.tensor([1.5], dtype=np.float16).dtype == cr.float16
    assert cr.tensor([1.7, -1.7], dtype=cr.int64).tolist() == [1, -1]
    assert cr.tensor([1], dtype=float).dtype == cr.float64  # as torch: float is double
    assert cr.tensor([1.0], dtype=int).dtype == cr.int64
    assert cr.tensor([1.0], dtype=bool).dtype == cr.bool_


def test_dtype_objects():
    assert repr(cr.float64) == "chainrule.float64" and cr.float64.is_floating_point
    assert not cr.int64.is_floating_point and cr.int32.itemsize == 4
    assert cr.ones(2).is_floating_point() and not cr.ones(2, dtype=cr.int64).is_floating_point()


@pytest.mark.torch
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype", [None, cr.float64, cr.int64, cr.bool_])
def test_zeros_ones_empty_match_torch(name, dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    tkw = {} if dtype is None else {"dtype": torch_dtype(dtype)}
    for shape in [(), (3,), (2, 0), (2, 3)]:
        ours, theirs = getattr(cr, name)(*shape, **kw), getattr(torch, name)(shape, **tkw)
        assert ours.shape == tuple(theirs.shape)
        assert torch_dtype(ours.dtype) == theirs.dtype
        if name != "empty":
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(cr, name)((2, 3)).shape == (2, 3)  # a tuple works too
    assert getattr(cr, name)([2, 3]).shape == (2, 3)


@pytest.mark.torch
def test_full_eye_arange_linspace_match_torch():
    pairs = [
        (cr.full((2, 3), 1.5), torch.full((2, 3), 1.5)),
        (cr.full((2,), 7), torch.full((2,), 7)),
        (cr.full((2,), True), torch.full((2,), True)),
        (cr.full((2,), 7, dtype=cr.float64), torch.full((2,), 7, dtype=torch.float64)),
        (cr.eye(3), torch.eye(3)),
        (cr.eye(2, 4), torch.eye(2, 4)),
        (cr.eye(2, dtype=cr.int64), torch.eye(2, dtype=torch.int64)),
        (cr.arange(5), torch.arange(5)),
        (cr.arange(2, 9, 3), torch.arange(2, 9, 3)),
        (cr.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)),
        (cr.arange(5.0), torch.arange(5.0)),
        (cr.arange(3, dtype=cr.float64), torch.arange(3, dtype=torch.float64)),
        (cr.arange(3, 0, -1), torch.arange(3, 0, -1)),
        (cr.linspace(0, 1, 5), torch.linspace(0, 1, 5)),
        (cr.linspace(-1, 1, 1), torch.linspace(-1, 1, 1)),
        (cr.linspace(2, 3, 4, dtype=cr.float64), torch.linspace(2, 3, 4, dtype=torch.float64)),
    ]
    for ours, theirs in pairs:
        assert torch_dtype(ours.dtype) == theirs.dtype, (ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="step"):
        cr.arange(0, 1, 0)


@pytest.mark.torch
def test_like_functions_follow_torch():
    for src, tsrc in [(cr.tensor([[1, 2]]), torch.tensor([[1, 2]])),
                      (cr.ones(2, 3, dtype=cr.float64), torch.ones(2, 3, dtype=torch.float64))]:
        for name in ["zeros_like", "ones_like", "empty_like"]:
            ours, theirs = getattr(cr, name)(src), getattr(torch, name)(tsrc)
            assert ours.shape == tuple(theirs.shape)
            assert torch_dtype(ours.dtype) == theirs.dtype
        ours = cr.full_like(src, 3)
        theirs = torch.full_like(tsrc, 3)
        assert torch_dtype(ours.dtype) == theirs.dtype and ours.tolist() == theirs.tolist()
    x = cr.ones(2, 3, dtype=cr.float64)
    assert cr.rand_like(x).dtype == cr.float64 and cr.randn_like(x).shape == (2, 3)
    assert cr.zeros_like(x, dtype=cr.int32).dtype == cr.int32
    assert cr.ones_like(x, requires_grad=True).requires_grad


def test_random_functions_are_seedable():
    cr.manual_seed(7)
    a = (cr.rand(3), cr.randn(2, 2), cr.randint(0, 10, (5,)))
    cr.manual_seed(7)
    b = (cr.rand(3), cr.randn(2, 2), cr.randint(0, 10, (5,)))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert not np.array_equal(cr.rand(3).numpy(), a[0].numpy())  # the stream moves on
    g1, g2 = cr.Generator(3), cr.Generator(3)
    cr.manual_seed(0)
    np.testing.assert_array_equal(cr.randn(4, generator=g1).numpy(),
                                  cr.randn(4, generator=g2).numpy())
    g1.manual_seed(5)
    g2.manual_seed(5)
    np.testing.assert_array_equal(cr.rand(4, generator=g1).numpy(),
                                  cr.rand(4, generator=g2).numpy())


def test_random_values_and_dtypes():
    cr.manual_seed(0)
    u = cr.rand(1000)
    assert u.dtype == cr.float32 and u.numpy().min() >= 0 and u.numpy().max() < 1
    n = cr.randn(4000, dtype=cr.float64)
    assert n.dtype == cr.float64 and abs(float(n.numpy().mean())) < 0.1
    assert 0.9 < float(n.numpy().std()) < 1.1
    r = cr.randint(3, 6, (100,))
    assert r.dtype == cr.int64 and set(r.tolist()) <= {3, 4, 5}
    assert cr.randint(4, size=(2, 2)).shape == (2, 2)
    assert cr.randn(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating-point"):
        cr.rand(2, dtype=cr.int64)


def test_size_arguments_are_checked():
    with pytest.raises(RuntimeError, match="non-negative"):
        cr.ones(2, -1)
    with pytest.raises(TypeError, match="integers"):
        cr.zeros(2.5)


# ----- conversions and metadata --------------------------------------------------------------
def test_numpy_shares_memory_and_refuses_grad_tensors():
    t = cr.ones(3)
    a = t.numpy()
    a[0] = 5
    assert t.tolist() == [5.0, 1.0, 1.0]
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert np.shares_memory(x.detach().numpy(), x._data)


def test_item_tolist_and_python_conversions():
    assert cr.tensor(2.5).item() == 2.5 and isinstance(cr.tensor(2.5).item(), float)
    assert cr.tensor([3]).item() == 3 and isinstance(cr.tensor([3]).item(), int)
    assert cr.tensor(True).item() is True
    assert cr.tensor([[[1.5]]]).item() == 1.5
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert cr.tensor(1.5).tolist() == 1.5
    assert float(cr.tensor([2.0])) == 2.0 and int(cr.tensor(3.9)) == 3
    assert bool(cr.tensor([1.0])) and not bool(cr.tensor(0))
    assert [1, 2, 3][cr.tensor(1)] == 2  # __index__
    with pytest.raises(RuntimeError, match="2 elements"):
        cr.ones(2).item()
    with pytest.raises(TypeError):
        [1, 2][cr.tensor(1.0)]


SUPPORTED = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
             "uint32", "uint64", "bool"]


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(st.sampled_from([*SUPPORTED, "complex64", "complex128"]),
                  hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
def test_metadata_of_any_array(a):
    if a.dtype.name not in SUPPORTED:
        with pytest.raises(TypeError, match=a.dtype.name):
            cr.tensor(a)
        return
    t = cr.tensor(a)
    assert t.dtype.np == a.dtype  # numpy arrays keep their dtype
    assert t.shape == a.shape == t.size() and t.ndim == a.ndim == t.dim()
    assert t.numel() == a.size
    for d in range(-a.ndim, a.ndim):
        assert t.size(d) == a.shape[d]
    if a.ndim:
        assert len(t) == a.shape[0]
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.device == "cpu"


def test_size_of_bad_dim_raises():
    with pytest.raises(IndexError, match="Dimension out of range"):
        cr.ones(2, 3).size(2)
    with pytest.raises(IndexError, match="no dimensions"):
        cr.tensor(1.0).size(0)


# ----- repr ------------------------------------------------------------------------------------
def torch_style(text: str) -> str:
    return re.sub(r"Backward\d+", "Backward", text.replace("torch.", "chainrule."))


@pytest.mark.torch
@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0, 2.0]),
    lambda lib: lib.tensor([0.0, 0.25, -0.5]),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([1e9, 1.0]),
    lambda lib: lib.tensor([float("nan"), 1.5, float("inf")]),
    lambda lib: lib.tensor([[1.5, -2.25], [3.0, 4.0]]),
    lambda lib: lib.tensor(3.5),
    lambda lib: lib.tensor([1, 2]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([1.5], dtype=lib.float16),
    lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True),
    lambda lib: lib.tensor(2.0, requires_grad=True) * 2,
    lambda lib: lib.tensor([[1.0, 2.0]], dtype=lib.float64, requires_grad=True).sum(),
    lambda lib: lib.zeros(0),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.zeros(0, dtype=lib.int64),
    lambda lib: lib.zeros(2, 0, dtype=lib.float64, requires_grad=True),
])
def test_repr_matches_torch(make):
    assert repr(make(cr)) == torch_style(repr(make(torch)))


def test_repr_names_grad_fn_and_flags():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    assert "requires_grad=True" in repr(x) and "dtype=chainrule.float64" in repr(x)
    y = x * x
    assert "grad_fn=<MulBackward>" in repr(y) and "requires_grad" not in repr(y)
    assert "grad_fn" not in repr(y.detach())
    assert "dtype" not in repr(cr.ones(2)) and "dtype=chainrule.bool" not in repr(cr.ones(2) > 0)
    big = repr(cr.arange(5000))
    assert "..." in big and len(big) < 200  # summarized, as torch



@pytest.mark.torch
@pytest.mark.parametrize(("make", "spec"), [
    (lambda lib: lib.tensor(2.5), ".3f"),
    (lambda lib: lib.tensor(2.5), ""),
    (lambda lib: lib.tensor(3), "05d"),
    (lambda lib: lib.tensor(2.0, requires_grad=True) * 2, ".2f"),
    (lambda lib: lib.tensor([1.0, 2.0]), ""),
])
def test_format_matches_torch(make, spec):
    assert format(make(cr), spec) == torch_style(format(make(torch), spec))


@pytest.mark.torch
@pytest.mark.parametrize("make", [lambda lib: lib.tensor([2.5]),
                                  lambda lib: lib.nn.Parameter(lib.tensor(2.5))])
def test_format_spec_only_for_plain_0d_tensors(make):
    with pytest.raises(TypeError):
        format(make(torch), ".2f")
    with pytest.raises(TypeError, match="unsupported format string"):
        format(make(cr), ".2f")

@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=6))
@settings(max_examples=25, deadline=None)
def test_repr_never_fails(values):
    assert repr(cr.tensor(values)).startswith("tensor(")


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
@pytest.mark.parametrize("data", [
    [np.float64(1)], [np.float64(1), 2.0], [np.int16(1)], [np.int16(1), 2], [np.int16(1), 2.5],
    [np.float32(1), np.float64(2)], [[np.float64(1)], [2.0]], [np.bool_(True)],
    [np.int32(1), True], [np.float16(1)], [np.uint8(3), 1], [np.array([1.0, 2.0])],
    [np.array([1, 2], dtype=np.int8)], [1.0, 2], [[1, 2], [3, 4]], [True, False],
], ids=repr)
def test_numpy_numbers_in_lists_keep_their_dtype_as_pytorch(data) -> None:
    assert str(cr.tensor(data).dtype).split(".")[1] == str(torch.tensor(data).dtype).split(".")[1]
