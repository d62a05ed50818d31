"""Bad inputs raise the built-in exception PyTorch raises, with a message naming the op and the
offending shapes, dtypes or dims. Where PyTorch has the same call, the table checks that PyTorch
raises the same exception type too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

import chainrule as cr

pytestmark = pytest.mark.torch


class Case(NamedTuple):
    fn: Callable[[], Any]
    exc: type[BaseException]
    parts: tuple[str, ...]  # substrings the message must contain
    torch_fn: Callable[[], Any] | None = None


def leaf(*shape, lib=cr):
    return lib.ones(*shape, requires_grad=True)


def _second_backward(lib):
    x = leaf(2, lib=lib)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _inplace_on_saved(lib):
    x = leaf(2, lib=lib)
    h = x * 1
    y = h * h
    h.add_(1)
    y.sum().backward()


def _grad_unused(lib):
    x, u = leaf(2, lib=lib), leaf(3, lib=lib)
    fn = cr.grad if lib is cr else torch.autograd.grad
    fn((x * 2).sum(), [x, u])


def _grad_outputs_shape(lib):
    x = leaf(2, lib=lib)
    fn = cr.grad if lib is cr else torch.autograd.grad
    fn(x * 2, x, grad_outputs=lib.ones(3))


def _wrong_gradient_count():
    class Bad(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    Bad.apply(leaf(2), leaf(2)).sum().backward()


def _setitem_shape(lib):
    x = lib.zeros(3)
    x[:] = lib.ones(2)


CASES: dict[str, Case] = {
    "matmul inner sizes": Case(
        lambda: cr.ones(3, 4) @ cr.ones(5, 6), RuntimeError, ("matmul", "(3, 4)", "(5, 6)"),
        lambda: torch.ones(3, 4) @ torch.ones(5, 6)),
    "mm of a 3-D tensor": Case(
        lambda: cr.mm(cr.ones(2, 3, 4), cr.ones(4, 2)), RuntimeError, ("mm", "(2, 3, 4)"),
        lambda: torch.mm(torch.ones(2, 3, 4), torch.ones(4, 2))),
    "dot sizes": Case(
        lambda: cr.dot(cr.ones(3), cr.ones(4)), RuntimeError, ("dot", "(3,)", "(4,)"),
        lambda: torch.dot(torch.ones(3), torch.ones(4))),
    "einsum sizes": Case(
        lambda: cr.einsum("ij,jk->ik", cr.ones(2, 3), cr.ones(4, 5)), RuntimeError,
        ("einsum", "(2, 3)", "(4, 5)"),
        lambda: torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(4, 5))),
    "add broadcast": Case(
        lambda: cr.ones(3, 4) + cr.ones(5), RuntimeError, ("add", "(3, 4)", "(5,)"),
        lambda: torch.ones(3, 4) + torch.ones(5)),
    "where broadcast": Case(
        lambda: cr.where(cr.ones(3) > 0, cr.ones(2), 0.0), RuntimeError,
        ("where", "(3,)", "(2,)"),
        lambda: torch.where(torch.ones(3) > 0, torch.ones(2), 0.0)),
    "cat shapes": Case(
        lambda: cr.cat([cr.ones(3, 2), cr.ones(2, 3)]), RuntimeError, ("cat", "(3, 2)", "(2, 3)"),
        lambda: torch.cat([torch.ones(3, 2), torch.ones(2, 3)])),
    "stack shapes": Case(
        lambda: cr.stack([cr.ones(3), cr.ones(2)]), RuntimeError, ("stack", "(3,)", "(2,)"),
        lambda: torch.stack([torch.ones(3), torch.ones(2)])),
    "reshape size": Case(
        lambda: cr.ones(3, 2).reshape(4, 2), RuntimeError, ("reshape", "(4, 2)", "6"),
        lambda: torch.ones(3, 2).reshape(4, 2)),
    "expand shape": Case(
        lambda: cr.ones(3, 2).expand(4, 3), RuntimeError, ("expand", "(4, 3)", "(3, 2)"),
        lambda: torch.ones(3, 2).expand(4, 3)),
    "permute duplicate dims": Case(
        lambda: cr.ones(3, 2).permute(0, 0), RuntimeError, ("permute", "(0, 0)"),
        lambda: torch.ones(3, 2).permute(0, 0)),
    "mT of 1-D": Case(
        lambda: cr.ones(3).mT, RuntimeError, ("mT", "1-D", "(3,)"), lambda: torch.ones(3).mT),
    "sum dim out of range": Case(
        lambda: cr.ones(3, 2).sum(dim=2), IndexError, ("sum", "[-2, 1]", "2"),
        lambda: torch.ones(3, 2).sum(dim=2)),
    "unsqueeze dim out of range": Case(
        lambda: cr.ones(3).unsqueeze(3), IndexError, ("unsqueeze", "3"),
        lambda: torch.ones(3).unsqueeze(3)),
    "transpose dim out of range": Case(
        lambda: cr.ones(3).transpose(0, 2), IndexError, ("transpose", "2"),
        lambda: torch.ones(3).transpose(0, 2)),
    "softmax dim out of range": Case(
        lambda: cr.ones(3).softmax(dim=1), IndexError, ("softmax", "1"),
        lambda: torch.ones(3).softmax(dim=1)),
    "index out of range": Case(
        lambda: cr.ones(3, 2)[5], IndexError, ("5", "(3, 2)"), lambda: torch.ones(3, 2)[5]),
    "index with a float": Case(
        lambda: cr.ones(3)[1.5], IndexError, ("float",), lambda: torch.ones(3)[1.5]),
    "gather index dtype": Case(
        lambda: cr.ones(3, 2).gather(0, cr.zeros(3, 2)), RuntimeError, ("gather", "float32"),
        lambda: torch.ones(3, 2).gather(0, torch.zeros(3, 2))),
    "gather index out of range": Case(
        lambda: cr.ones(3, 2).gather(0, cr.tensor([[5, 0]])), RuntimeError, ("gather", "5"),
        lambda: torch.ones(3, 2).gather(0, torch.tensor([[5, 0]]))),
    "unknown dtype string": Case(
        lambda: cr.ones(2, dtype="float33"), TypeError, ("float33",)),
    "ragged list": Case(
        lambda: cr.tensor([[1, 2], [3]]), ValueError, ("ragged",),
        lambda: torch.tensor([[1, 2], [3]])),
    "negative size": Case(
        lambda: cr.zeros(-1), RuntimeError, ("zeros", "-1"), lambda: torch.zeros(-1)),
    "mul by a string": Case(
        lambda: cr.ones(3) * "a", TypeError, ("mul", "str"), lambda: torch.ones(3) * "a"),
    "mean of integers": Case(
        lambda: cr.tensor([1, 2]).mean(), RuntimeError, ("mean", "int64"),
        lambda: torch.tensor([1, 2]).mean()),
    "item of many elements": Case(
        lambda: cr.ones(2).item(), RuntimeError, ("2 elements",), lambda: torch.ones(2).item()),
    "bool of many elements": Case(
        lambda: bool(cr.ones(2)), RuntimeError, ("ambiguous", "(2,)"),
        lambda: bool(torch.ones(2))),
    "len of 0-d": Case(lambda: len(cr.tensor(1.0)), TypeError, ("0-d",),
                       lambda: len(torch.tensor(1.0))),
    "numpy of tensor requiring grad": Case(
        lambda: leaf(2).numpy(), RuntimeError, ("detach",), lambda: leaf(2, lib=torch).numpy()),
    "to an unknown device": Case(
        lambda: cr.ones(2).to(device="cuda"), RuntimeError, ("cuda",)),
    "int tensor requires grad": Case(
        lambda: cr.tensor([1, 2], requires_grad=True), RuntimeError, ("floating point", "int64"),
        lambda: torch.tensor([1, 2], requires_grad=True)),
    "non-scalar backward": Case(
        lambda: (leaf(2) * 2).backward(), RuntimeError, ("scalar", "(2,)"),
        lambda: (leaf(2, lib=torch) * 2).backward()),
    "backward of a tensor not requiring grad": Case(
        lambda: cr.ones(1).backward(), RuntimeError, ("does not require grad",),
        lambda: torch.ones(1).backward()),
    "backward gradient shape": Case(
        lambda: (leaf(2) * 2).backward(cr.ones(3)), RuntimeError, ("(3,)", "(2,)"),
        lambda: (leaf(2, lib=torch) * 2).backward(torch.ones(3))),
    "second backward": Case(
        lambda: _second_backward(cr), RuntimeError, ("second time", "MulBackward"),
        lambda: _second_backward(torch)),
    "in-place on a saved tensor": Case(
        lambda: _inplace_on_saved(cr), RuntimeError, ("in-place", "MulBackward", "version 1"),
        lambda: _inplace_on_saved(torch)),
    "in-place on a leaf requiring grad": Case(
        lambda: leaf(2).add_(1), RuntimeError, ("add_", "leaf"),
        lambda: leaf(2, lib=torch).add_(1)),
    "in-place output shape": Case(
        lambda: cr.ones(3).add_(cr.ones(2, 3)), RuntimeError, ("add_", "(3,)", "(2, 3)"),
        lambda: torch.ones(3).add_(torch.ones(2, 3))),
    "in-place dtype": Case(
        lambda: cr.tensor([1, 2]).add_(1.5), RuntimeError, ("add_", "float32", "int64"),
        lambda: torch.tensor([1, 2]).add_(1.5)),
    "index assignment shape": Case(
        lambda: _setitem_shape(cr), RuntimeError, ("(2,)", "(3,)"),
        lambda: _setitem_shape(torch)),
    "grad of an unused input": Case(
        lambda: _grad_unused(cr), RuntimeError, ("not have been used", "inputs[1]", "(3,)"),
        lambda: _grad_unused(torch)),
    "grad_outputs shape": Case(
        lambda: _grad_outputs_shape(cr), RuntimeError, ("(3,)", "(2,)"),
        lambda: _grad_outputs_shape(torch)),
    "grad of input not requiring grad": Case(
        lambda: cr.grad((leaf(2) * 2).sum(), cr.ones(2)), RuntimeError, ("does not require grad",),
        lambda: torch.autograd.grad((leaf(2, lib=torch) * 2).sum(), torch.ones(2))),
    "retain_grad without requires_grad": Case(
        lambda: cr.ones(2).retain_grad(), RuntimeError, ("requires_grad=False",),
        lambda: torch.ones(2).retain_grad()),
    "hook without requires_grad": Case(
        lambda: cr.ones(2).register_hook(print), RuntimeError, ("require",),
        lambda: torch.ones(2).register_hook(print)),
    "size beyond memory": Case(
        lambda: cr.ones(2**62), RuntimeError, ("ones", "overflowed", str(2**62), "bytes"),
        lambda: torch.ones(2**62)),
    "size too big to allocate": Case(
        lambda: cr.zeros(2**24, 2**24), RuntimeError, ("zeros", "allocate", str(2**50), "bytes")),
    "bool minus bool": Case(
        lambda: cr.tensor([True]) - cr.tensor([True]), RuntimeError, ("Subtraction", "bool"),
        lambda: torch.tensor([True]) - torch.tensor([True])),
    "bool negation": Case(
        lambda: -cr.tensor([True]), RuntimeError, ("Negation", "bool", "logical_not"),
        lambda: -torch.tensor([True])),
    "backward with a str gradient": Case(
        lambda: (leaf(2) * 2).sum().backward("a"), TypeError, ("gradients", "str"),
        lambda: (leaf(2, lib=torch) * 2).sum().backward("a")),
    "tensor of an int beyond int64": Case(
        lambda: cr.tensor([2**70]), ValueError, ("Overflow", str(2**70), "int64"),
        lambda: torch.tensor([2**70])),
    "tensor of 2**63": Case(
        lambda: cr.tensor([1, 2**63]), ValueError, ("Overflow", str(2**63)),
        lambda: torch.tensor([1, 2**63])),
    "tensor int out of its dtype": Case(
        lambda: cr.tensor([300], dtype=cr.int8), RuntimeError, ("300", "int8", "overflow"),
        lambda: torch.tensor([300], dtype=torch.int8)),
    "tensor of strings": Case(
        lambda: cr.tensor(["a"]), ValueError, ("str",), lambda: torch.tensor(["a"])),
    "tensor of a number and a string": Case(
        lambda: cr.tensor([1, "a"]), TypeError, ("str",), lambda: torch.tensor([1, "a"])),
    "complex dtype": Case(
        lambda: cr.zeros(2, dtype=complex), TypeError, ("complex",)),
    "complex array": Case(
        lambda: cr.tensor(np.ones(2, dtype=np.complex64)), TypeError, ("complex64",)),
    "datetime dtype": Case(
        lambda: cr.zeros(2, dtype="datetime64[s]"), TypeError, ("datetime64",)),
    "object dtype": Case(lambda: cr.zeros(2, dtype=object), TypeError, ("object",)),
    "str dtype": Case(lambda: cr.zeros(2, dtype=str), TypeError, ("str",)),
    "integer to a negative power": Case(
        lambda: cr.tensor([2]) ** -1, RuntimeError, ("negative integer powers",),
        lambda: torch.tensor([2]) ** -1),
    "uint16 with int32": Case(
        lambda: cr.ones(2, dtype=cr.uint16) + cr.ones(2, dtype=cr.int32), RuntimeError,
        ("uint16", "int32", "not supported"),
        lambda: torch.promote_types(torch.uint16, torch.int32)),
    "where scalar out of range": Case(
        lambda: cr.where(cr.tensor([True]), cr.ones(1, dtype=cr.uint8), 300), RuntimeError,
        ("where", "300", "uint8"),
        lambda: torch.where(torch.tensor([True]), torch.ones(1, dtype=torch.uint8), 300)),
    "set_default_dtype int": Case(
        lambda: cr.set_default_dtype(cr.int32), TypeError, ("floating", "int32"),
        lambda: torch.set_default_dtype(torch.int32)),
    "iinfo of a float": Case(
        lambda: cr.iinfo(cr.float32), TypeError, ("iinfo", "float32"),
        lambda: torch.iinfo(torch.float32)),
    "finfo of an int": Case(
        lambda: cr.finfo(cr.int32), TypeError, ("finfo", "int32"),
        lambda: torch.finfo(torch.int32)),
    "custom Function gradient count": Case(
        _wrong_gradient_count, RuntimeError, ("BadBackward", "expected 2, got 1")),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_raises_clear_error(case: Case) -> None:
    with pytest.raises(case.exc) as info:
        case.fn()
    assert type(info.value).__module__ == "builtins"  # not a NumPy subclass (AxisError, ...)
    message = str(info.value)
    for part in case.parts:
        assert part in message, f"{part!r} missing from: {message}"
    assert "Traceback" not in message
    if case.torch_fn is not None:
        with pytest.raises(case.exc):
            case.torch_fn()


def test_table_is_large_enough():
    assert len(CASES) >= 25
