"""device, Size and Tensor.to's forms, against torch."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch


def test_device_prints_and_compares_like_torch():
    for spec in ["cpu", "cuda", "cuda:1", "mps", "cpu:0"]:
        ours, theirs = cr.device(spec), torch.device(spec)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert repr(cr.device("cuda", 1)) == repr(torch.device("cuda", 1))
    assert cr.device(cr.device("cpu")) == cr.device("cpu")
    assert cr.device("cpu") != cr.device("cpu:0") and cr.device("cpu") != cr.device("cuda")
    assert hash(cr.device("cpu")) == hash(cr.device("cpu"))
    # unlike torch 2.13, a device also equals its string (t.device == "cpu")
    assert cr.ones(1).device == "cpu" and cr.ones(1).device != "cuda"
    assert cr.ones(1).device == cr.device("cpu")
    assert repr(cr.ones(1).device) == "device(type='cpu')"
    assert pickle.loads(pickle.dumps(cr.device("cuda:2"))) == cr.device("cuda:2")


def test_device_errors():
    raises_with(RuntimeError, lambda: cr.device("foo"), "device type", "foo")
    raises_with(RuntimeError, lambda: cr.device("cuda:x"), "cuda:x")
    raises_with(TypeError, lambda: cr.device(1.5), "1.5")
    with pytest.raises(AttributeError):
        cr.device("cpu").type = "cuda"


@pytest.mark.parametrize("dev", ["cuda", "mps", "cuda:0", cr.device("cuda", 1), 0])
def test_only_the_cpu_holds_tensors(dev):
    name = str(cr.device(dev))
    x = cr.ones(2)
    raises_with(RuntimeError, lambda: x.to(dev), name, "CPU only")
    raises_with(RuntimeError, lambda: x.to(device=dev), name, "CPU only")
    raises_with(RuntimeError, lambda: cr.zeros(2, device=dev), "zeros", name, "CPU only")
    raises_with(RuntimeError, lambda: cr.tensor([1.0], device=dev), "tensor", name)
    raises_with(RuntimeError, lambda: cr.randn(2, device=dev), "randn", name)
    raises_with(RuntimeError, lambda: cr.zeros_like(x, device=dev), name)


@pytest.mark.parametrize("dev", ["cpu", cr.device("cpu"), None])
def test_creation_functions_take_the_cpu(dev):
    for fn in [lambda: cr.zeros(2, device=dev), lambda: cr.ones(2, device=dev),
               lambda: cr.empty(2, device=dev), lambda: cr.full((2,), 1.0, device=dev),
               lambda: cr.eye(2, device=dev), lambda: cr.arange(3, device=dev),
               lambda: cr.linspace(0, 1, 3, device=dev), lambda: cr.rand(2, device=dev),
               lambda: cr.randn(2, device=dev), lambda: cr.randint(3, (2,), device=dev),
               lambda: cr.tensor([1], device=dev), lambda: cr.ones_like(cr.ones(1), device=dev),
               lambda: cr.full_like(cr.ones(1), 2, device=dev)]:
        assert fn().device == cr.device("cpu")


def test_to_forms_match_torch():
    a = np.arange(6.0).reshape(2, 3)
    x, tx = cr.tensor(a, dtype=cr.float32), torch.tensor(a, dtype=torch.float32)
    d64 = cr.ones(1, dtype=cr.float64)
    cases = [  # (ours, torch's)
        (x.to(cr.float64), tx.to(torch.float64)),
        (x.to("cpu"), tx.to("cpu")),
        (x.to(cr.device("cpu")), tx.to(torch.device("cpu"))),
        (x.to("cpu", cr.int64), tx.to("cpu", torch.int64)),
        (x.to(d64), tx.to(torch.ones(1, dtype=torch.float64))),
        (x.to(dtype=cr.int32), tx.to(dtype=torch.int32)),
        (x.to(device="cpu", dtype=cr.float16), tx.to(device="cpu", dtype=torch.float16)),
        (x.to(cr.float64, non_blocking=False, copy=True), tx.to(torch.float64, copy=True)),
    ]
    for ours, theirs in cases:
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # no change: self itself (PyTorch's exception), unless copy
    assert x.to(cr.float32) is x and x.to("cpu") is x and x.to(x) is x and x.to() is x
    assert x.to(cr.float32, False, True) is not x
    y = x.to(copy=True)
    assert y is not x and not np.shares_memory(y.numpy(), x.numpy())


def test_to_is_differentiable_and_rejects_bad_arguments():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cpu", cr.float64)
    (y * y).sum().backward()
    assert y.dtype == cr.float64 and x.grad.dtype == cr.float32 and x.grad.tolist() == [2.0, 4.0]
    raises_with(TypeError, lambda: x.to(dtype=cr.float64, foo=1), "foo")
    raises_with(RuntimeError, lambda: x.to("float64"), "float64")  # a string is a device


def test_size():
    x, tx = cr.ones(2, 3), torch.ones(2, 3)
    s = x.shape
    assert isinstance(s, cr.Size) and isinstance(s, tuple) and s == (2, 3) == x.size()
    assert isinstance(x.size(), cr.Size) and x.size(1) == 3
    assert repr(s) == repr(tx.shape).replace("torch", "chainrule") == "chainrule.Size([2, 3])"
    assert str(cr.ones(()).shape) == "chainrule.Size([])"
    assert s.numel() == 6 and cr.Size([]).numel() == 1 and cr.Size([0, 4]).numel() == 0
    assert s[1:] == tx.shape[1:] == (3,)  # a plain tuple here (a Size in torch)
    for ours, theirs in [(s + (4,), tx.shape + (4,)), ((4,) + s, (4,) + tx.shape),  # noqa: RUF005
                         (s * 2, tx.shape * 2)]:
        assert type(ours) is cr.Size and type(theirs) is torch.Size and ours == tuple(theirs)
    assert type(s[0]) is int
    assert cr.Size((np.int64(2), 3)) == (2, 3)
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is cr.Size
    assert cr.zeros(s).shape == s  # a Size is a size
