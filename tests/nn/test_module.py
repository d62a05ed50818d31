"""Module and Parameter: registration, traversal, modes, dtype moves, state dicts (with torch's
keys and errors), hooks, containers and their reprs (equal to torch's)."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(cr.randn(3, 2))
        self.register_buffer("running", cr.zeros(3))
        self.register_buffer("scratch", cr.zeros(3), persistent=False)
        self.inner = nn.Sequential(nn.Linear(2, 2), nn.ReLU())

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.inner(x) @ self.w.T


def both(build: object) -> tuple[nn.Module, torch.nn.Module]:
    """The same architecture in chainrule and torch (``build(nn)``), float64, ours loaded
    with torch's weights by name."""
    ours, theirs = build(nn), build(torch.nn)
    theirs = theirs.double()
    ours.double()
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


# ----- Parameter ----------------------------------------------------------------------------
def test_parameter_shares_storage_and_is_a_leaf() -> None:
    t = cr.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, cr.Tensor) and p.is_leaf and p.requires_grad
    p.data.add_(1)
    assert float(t.sum()) == 12.0
    y = (p * 2).sum()
    assert type(y) is cr.Tensor
    y.backward()
    assert np.array_equal(p.grad.numpy(), np.full((2, 3), 2.0))
    assert not nn.Parameter(cr.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    raises_with(TypeError, lambda: nn.Parameter([1.0]), "Parameter", "list")


def test_parameter_repr_equals_torchs() -> None:
    assert repr(nn.Parameter(cr.tensor([1.0, 2.0]))) == \
        repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert repr(nn.Parameter(cr.tensor([[1.5, -2.0]], dtype=cr.float64))).replace(
        "chainrule", "torch") == repr(torch.nn.Parameter(torch.tensor([[1.5, -2.0]]).double()))


def test_parameter_flows_through_ops_and_deepcopies() -> None:
    p = nn.Parameter(cr.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=cr.float64))
    out = (p @ p).relu().sum() + p.exp().mean() + p[0, 1] + p.T.reshape(-1)[1]
    out.backward()
    tp = torch.nn.Parameter(torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=torch.float64))
    tout = (tp @ tp).relu().sum() + tp.exp().mean() + tp[0, 1] + tp.T.reshape(-1)[1]
    tout.backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q is not p and q.requires_grad
    assert np.array_equal(q.detach().numpy(), p.detach().numpy())
    assert not np.shares_memory(q.detach().numpy(), p.detach().numpy())


# ----- registration -------------------------------------------------------------------------
def test_registration_and_traversal() -> None:
    m = Net()
    assert [n for n, _ in m.named_parameters()] == ["w", "inner.0.weight", "inner.0.bias"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["w"]
    assert next(n for n, _ in m.named_parameters(prefix="net")) == "net.w"
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["w", "running", "inner.0.weight", "inner.0.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "inner.0", "inner.1"]
    assert [n for n, _ in m.named_children()] == ["inner"]
    assert list(m.children()) == [m.inner]
    assert len(list(m.modules())) == 4
    assert len(list(m.parameters())) == 3 and len(list(m.buffers())) == 2
    assert m.get_submodule("inner.0") is m.inner[0]
    assert m.get_parameter("inner.0.bias") is m.inner[0].bias
    assert m.get_buffer("running") is m.running
    assert "w" in dir(m) and "inner" in dir(m)


def test_reassignment_moves_between_kinds_and_delete() -> None:
    m = nn.Module()
    m.a = nn.Parameter(cr.ones(1))
    m.a = None  # a parameter slot may be set to None
    assert "a" in m._parameters and m.a is None
    raises_with(TypeError, lambda: setattr(m, "a", cr.ones(1)), "cannot assign",
                "as parameter 'a'")
    m.register_buffer("b", cr.ones(2))
    m.b = cr.zeros(2)
    assert float(m.b.sum()) == 0.0 and "b" in m._buffers
    raises_with(TypeError, lambda: setattr(m, "b", 3), "cannot assign 'int' as buffer 'b'")
    m.c = nn.Linear(1, 1)
    m.c = nn.Parameter(cr.ones(1))  # now a parameter, no longer a module
    assert "c" not in m._modules and "c" in m._parameters
    del m.c
    assert "c" not in m._parameters
    raises_with(AttributeError, lambda: m.c, "'Module' object has no attribute 'c'")
    m.d = nn.Buffer(cr.ones(3), persistent=False)
    assert "d" in m._buffers and "d" not in m.state_dict()


def test_register_errors() -> None:
    m = nn.Module()
    raises_with(KeyError, lambda: m.register_buffer("a.b", cr.ones(1)), "contain")
    raises_with(KeyError, lambda: m.register_parameter("", None), "empty string")
    raises_with(TypeError, lambda: m.register_buffer("x", [1]), "cannot assign 'list'")
    raises_with(TypeError, lambda: m.register_parameter("x", cr.ones(1)), "nn.Parameter")
    m.plain = 3
    raises_with(KeyError, lambda: m.register_buffer("plain", cr.ones(1)), "already exists")
    raises_with(TypeError, lambda: m.add_module("x", 3), "is not a Module subclass")
    leaf = cr.ones(2, requires_grad=True)
    nonleaf = nn.Parameter(cr.ones(2))
    nonleaf.grad_fn = (leaf * 2).grad_fn
    raises_with(ValueError, lambda: m.register_parameter("p", nonleaf), "non-leaf")


def test_forgot_super_init() -> None:
    class NoSuper(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(2, 2)

    class NoSuperParam(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(cr.ones(1))

    class NoSuperTensor(nn.Module):
        def __init__(self) -> None:
            self.t = cr.ones(1)  # allowed (a plain attribute)...

    raises_with(AttributeError, NoSuper, "cannot assign module before Module.__init__() call")
    raises_with(AttributeError, NoSuperParam, "cannot assign parameters before Module.__init__()")
    m = NoSuperTensor()
    # ...but the module is unusable, and says why
    raises_with(AttributeError, lambda: list(m.parameters()), "super().__init__()")


def test_missing_forward() -> None:
    raises_with(NotImplementedError, lambda: nn.Module()(1), 'missing the required "forward"')


# ----- modes, grads, dtype --------------------------------------------------------------------
def test_train_eval_zero_grad_requires_grad_apply() -> None:
    m = Net()
    assert m.training and m.inner[1].training
    assert m.eval() is m and not m.training and not m.inner[1].training
    m.train()
    assert m.inner[0].training
    raises_with(ValueError, lambda: m.train("no"), "boolean")
    m(cr.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen: list[str] = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Net"]


def test_to_float_double_keep_parameter_identity() -> None:
    m = Net()
    w = m.w
    m.register_buffer("steps", cr.tensor(3))  # an integer buffer keeps its dtype
    m(cr.randn(1, 2)).sum().backward()
    assert m.double() is m
    assert m.w is w and w.dtype == cr.float64 and w.grad.dtype == cr.float64
    assert m.running.dtype == cr.float64 and m.steps.dtype == cr.int64
    m.to(cr.float32)
    assert w.dtype == cr.float32 and m.inner[0].weight.dtype == cr.float32
    m.to(dtype=cr.float64, device="cpu")
    assert w.dtype == cr.float64
    m.to("cpu")
    m.to(cr.zeros(1, dtype=cr.float32))
    assert w.dtype == cr.float32
    m.half()
    assert w.dtype == cr.float16
    m.float()
    assert w.dtype == cr.float32 and w.requires_grad and w.is_leaf
    raises_with(TypeError, lambda: m.to(cr.int64), "floating point")
    raises_with(RuntimeError, lambda: m.to("cuda"), "cuda")


# ----- state dicts ------------------------------------------------------------------------------
def test_state_dict_shares_storage_and_is_detached() -> None:
    m = Net()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["w"].requires_grad and type(sd["w"]) is cr.Tensor
    sd["w"].add_(1)  # shares storage with the parameter
    assert np.array_equal(sd["w"].numpy(), m.w.detach().numpy())
    assert m.state_dict(keep_vars=True)["w"] is m.w


def test_state_dict_matches_torch_and_round_trips() -> None:
    def build(n: object) -> object:
        return n.Sequential(OrderedDict([
            ("embed", n.Embedding(7, 4, padding_idx=0)),
            ("flat", n.Flatten()),
            ("fc", n.Linear(12, 5)),
            ("act", n.GELU()),
            ("drop", n.Dropout(0.2)),
            ("heads", n.ModuleList([n.Linear(5, 2), n.Linear(5, 2, bias=False)])),
        ]))

    ours, theirs = build(nn), build(torch.nn)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert repr(sd[k].dtype).split(".")[1] == repr(tsd[k].dtype).split(".")[1], k
    # ours -> torch (through numpy) -> ours: equal outputs
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in sd.items()})
    fresh = build(nn)
    fresh.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval(), theirs.eval(), fresh.eval()
    idx = np.array([[1, 2, 0], [6, 5, 4]])

    def run(m: object, lib: object) -> np.ndarray:
        h = m.act(m.fc(m.flat(m.embed(lib.tensor(idx)))))
        return (m.heads[0](h) + m.heads[1](h)).detach().numpy()

    np.testing.assert_allclose(run(ours, cr), run(theirs, torch), rtol=1e-6)
    np.testing.assert_allclose(run(fresh, cr), run(theirs, torch), rtol=1e-6)


def test_load_state_dict_result_and_errors_as_torch() -> None:
    ours, theirs = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    good = {"weight": np.ones((3, 4), dtype=np.float32), "bias": np.zeros(3, dtype=np.float32)}
    result = ours.load_state_dict(good)
    assert repr(result) == repr(theirs.load_state_dict({k: torch.tensor(v)
                                                        for k, v in good.items()}))
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(ours.weight.detach().numpy(), 1.0)
    assert ours.weight.requires_grad and ours.weight.is_leaf

    bad = {"weight": np.ones((3, 5)), "extra": np.ones(1)}
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict({k: cr.tensor(v) for k, v in bad.items()})
    with pytest.raises(RuntimeError) as torch_err:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in bad.items()})
    assert str(ours_err.value).replace("chainrule", "torch") == str(torch_err.value)
    assert 'Missing key(s) in state_dict: "bias"' in str(ours_err.value)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(ours_err.value)
    assert "size mismatch for weight" in str(ours_err.value)

    partial = {"weight": cr.ones(3, 4), "extra": cr.ones(1)}
    r = ours.load_state_dict(partial, strict=False)
    tr = theirs.load_state_dict({k: torch.ones(tuple(v.shape)) for k, v in partial.items()},
                                strict=False)
    assert (r.missing_keys, r.unexpected_keys) == (tr.missing_keys, tr.unexpected_keys)
    # a shape mismatch is an error even when not strict
    raises_with(RuntimeError, lambda: ours.load_state_dict({"weight": cr.ones(2)}, strict=False),
                "size mismatch for weight")
    raises_with(TypeError, lambda: ours.load_state_dict([1]), "dict-like")


def test_load_state_dict_nested_error_names_the_top_module() -> None:
    ours, theirs = both(lambda n: n.Sequential(n.Linear(2, 3), n.Sequential(n.Linear(3, 1))))
    sd = ours.state_dict()
    del sd["1.0.bias"]
    tsd = theirs.state_dict()
    del tsd["1.0.bias"]
    with pytest.raises(RuntimeError) as e1:
        ours.load_state_dict(sd)
    with pytest.raises(RuntimeError) as e2:
        theirs.load_state_dict(tsd)
    assert str(e1.value) == str(e2.value)


def test_load_state_dict_pre_hook_renames_old_keys() -> None:
    m = nn.Sequential(nn.Linear(2, 2))

    def rename(mod: nn.Module, sd: dict, prefix: str, *rest: object) -> None:
        if prefix + "w" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w")

    handle = m[0].register_load_state_dict_pre_hook(rename)
    old = {"0.w": cr.ones(2, 2), "0.bias": cr.ones(2)}
    assert repr(m.load_state_dict(old)) == "<All keys matched successfully>"
    assert list(old) == ["0.w", "0.bias"]  # the caller's dict is not edited
    handle.remove()
    raises_with(RuntimeError, lambda: m.load_state_dict(old), 'Unexpected key(s) in state_dict: '
                '"0.w"')


def test_non_persistent_buffers_not_loaded() -> None:
    m = Net()
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    sd["running"] = cr.ones(3)
    m.load_state_dict(sd)
    assert float(m.running.sum()) == 3.0
    raises_with(RuntimeError, lambda: m.load_state_dict({**sd, "scratch": cr.ones(3)}),
                'Unexpected key(s) in state_dict: "scratch"')


# ----- hooks ------------------------------------------------------------------------------------
def test_forward_hooks() -> None:
    m = nn.Linear(2, 2)
    calls: list[str] = []

    def pre(mod: nn.Module, args: tuple) -> tuple:
        calls.append("pre")
        return (args[0] * 0,)

    def post(mod: nn.Module, args: tuple, out: cr.Tensor) -> cr.Tensor:
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    y = m(cr.ones(1, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(y.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    h1.remove()
    h2.remove()
    calls.clear()
    m(cr.ones(1, 2))
    assert calls == []
    order: list[int] = []
    m.register_forward_hook(lambda *a: order.append(1))
    m.register_forward_hook(lambda *a: order.append(0), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: order.append(len(kwargs)),
                            with_kwargs=True)
    m(cr.ones(1, 2))
    assert order == [0, 1, 0]


# ----- containers -------------------------------------------------------------------------------
def test_sequential_indexing_and_editing() -> None:
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and len(s) == 3 and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]  # a slice keeps the names
    raises_with(IndexError, lambda: s[3], "out of range")
    s.append(nn.Tanh())
    assert len(s) == 4 and isinstance(s[3], nn.Tanh)
    s.insert(0, nn.Identity())
    assert isinstance(s[0], nn.Identity) and s[1] is a
    del s[0]
    assert s[0] is a and [n for n, _ in s.named_children()] == ["0", "1", "2", "3"]
    s.extend([nn.Sigmoid()])
    assert len(s) == 5
    s[4] = nn.ReLU()
    assert isinstance(s[4], nn.ReLU)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]
    x = cr.randn(4, 2)
    np.testing.assert_allclose(nn.Sequential(a, b, c)(x).detach().numpy(),
                               c(b(a(x))).detach().numpy())


def test_module_list_and_dict() -> None:
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    assert isinstance(ml[-1], nn.Tanh) and isinstance(ml[1:3], nn.ModuleList)
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    md = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert list(md) == ["b", "a", "c"]
    assert list(md.state_dict()) == ["b.weight", "b.bias"]
    assert md.pop("a") is not None and "a" not in md


def test_parameter_list_and_dict() -> None:
    pl = nn.ParameterList([nn.Parameter(cr.ones(2, 3)), cr.zeros(2, dtype=cr.float64)])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3)),
                                  torch.zeros(2, dtype=torch.float64)])
    assert repr(pl).replace("chainrule", "torch") == repr(tpl)
    pd = nn.ParameterDict({"b": cr.ones(2), "a": nn.Parameter(cr.ones(1))})
    assert list(pd) == ["a", "b"]  # a plain dict is sorted, as PyTorch's
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    tpd = torch.nn.ParameterDict({"b": torch.ones(2), "a": torch.nn.Parameter(torch.ones(1))})
    assert repr(pd).replace("chainrule", "torch") == repr(tpd)


def test_nested_repr_equals_torch() -> None:
    def build(n: object) -> object:
        class Block(n.Module):
            def __init__(self) -> None:
                super().__init__()
                self.fc = n.Linear(4, 4)
                self.act = n.LeakyReLU(0.1)

            def forward(self, x: object) -> object:
                return self.act(self.fc(x))

        return n.Sequential(
            n.Flatten(), n.Linear(8, 4), n.GELU(approximate="tanh"), n.Dropout(0.1),
            n.ModuleList([Block(), Block(), n.Softmax(dim=-1)]),
            n.ModuleDict({"emb": n.Embedding(5, 2, padding_idx=1), "id": n.Identity()}),
            n.Sequential(), n.Unflatten(1, (2, 2)), n.Bilinear(2, 3, 4, bias=False),
            n.Softplus(beta=2.0), n.ELU(alpha=0.5, inplace=True), n.ReLU(inplace=True),
        )

    assert repr(build(nn)) == repr(build(torch.nn))


def test_mlp_training_step_matches_torch() -> None:
    def build(n: object) -> object:
        return n.Sequential(n.Linear(5, 8), n.Tanh(), n.Linear(8, 8), n.ReLU(), n.Linear(8, 3))

    ours, theirs = both(build)
    x = np.random.default_rng(0).standard_normal((6, 5))
    out, tout = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-8)
    (out**2).mean().backward()
    (tout**2).mean().backward()
    for (k, p), (tk, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert k == tk
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-8, err_msg=k)
