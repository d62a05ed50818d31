"""Module and Parameter: registration, traversal, state dicts, hooks, repr, errors."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn
from tests.tensor.oracle import raises_with


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(cr.randn(3, 2))
        self.register_buffer("running", cr.zeros(3))
        self.register_buffer("scratch", cr.zeros(3), persistent=False)
        self.inner = nn.Sequential(nn.Module())

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return x @ self.w.T


def test_parameter_shares_storage_and_is_a_leaf() -> None:
    t = cr.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, cr.Tensor) and p.is_leaf and p.requires_grad
    p.data.add_(1)
    assert float(t.sum()) == 12.0
    assert repr(nn.Parameter(cr.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    y = (p * 2).sum()
    assert type(y) is cr.Tensor
    y.backward()
    assert np.array_equal(p.grad.numpy(), np.full((2, 3), 2.0))


def test_registration_and_traversal() -> None:
    m = Net()
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["w", "running"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "inner.0"]
    m.eval()
    assert not m.inner[0].training


def test_forgot_super_init() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Sequential()

    raises_with(AttributeError, Bad, "cannot assign module before Module.__init__() call")


def test_load_state_dict_errors() -> None:
    m = Net()
    raises_with(RuntimeError, lambda: m.load_state_dict({"w": cr.ones(2, 2), "zz": cr.ones(1)}),
                "Error(s) in loading state_dict for Net:", 'Missing key(s) in state_dict: '
                '"running".', 'Unexpected key(s) in state_dict: "zz".',
                "size mismatch for w: copying a param with shape")
    result = m.load_state_dict({"w": np.ones((3, 2)), "running": cr.ones(3)})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert float(m.w.sum()) == 6.0 and m.w.requires_grad
