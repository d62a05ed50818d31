"""Acceptance tests of the tensor core's semantics, each compared with PyTorch itself.

Every case is a snippet written once against a module ``m``: ``same(case)`` runs it with
``m = torch`` and with ``m = chainrule`` and compares what it returns (values, dtypes, shapes,
requires_grad, is_leaf of every tensor; plain Python values exactly) or the type of the error it
raises. Cases where chainrule still differs are marked ``xfail(strict=True)``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

pytestmark = pytest.mark.torch


class Param(cr.Tensor):
    """A Tensor subclass, as nn.Parameter will be (the torch side uses torch.nn.Parameter)."""


PARAM = {torch: torch.nn.Parameter, cr: Param}


# ----- the runner ------------------------------------------------------------------------------
class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _run(fn: Callable[[Any], Any], m: Any) -> tuple[Any, list[str]]:
    """fn(m) or the error it raised, and the RuntimeWarnings (NumPy's floating-point ones) seen."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = fn(m)
        except Exception as e:  # the error itself is compared
            out = _Raised(e)
    return out, sorted({str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)})


def _builtin(exc: BaseException) -> type:
    """The nearest built-in class of an exception (torch's are RuntimeError, TypeError...)."""
    return next(k for k in type(exc).__mro__ if k.__module__ == "builtins")


def _norm(v: Any) -> Any:
    """What is compared of a result: tensors by dtype, shape, values, requires_grad, is_leaf."""
    if isinstance(v, (torch.Tensor, cr.Tensor)):
        values = v.detach().numpy(force=True).copy()
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), values,
                v.requires_grad, v.is_leaf)
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.shape, v)
    if isinstance(v, np.generic):
        return ("numpy scalar", str(v.dtype), v)
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def _compare(t: Any, c: Any, where: str) -> None:
    if isinstance(t, dict):
        assert isinstance(c, dict) and t.keys() == c.keys(), f"{where}: keys {t.keys()} vs {c}"
        for k in t:
            _compare(t[k], c[k], f"{where}.{k}")
    elif isinstance(t, list):
        assert isinstance(c, list) and len(t) == len(c), f"{where}: torch {t} vs chainrule {c}"
        for i, (a, b) in enumerate(zip(t, c, strict=True)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(t, tuple) and t and t[0] in ("tensor", "ndarray", "numpy scalar"):
        assert isinstance(c, tuple) and c[0] == t[0], f"{where}: torch gives a {t[0]}, " \
                                                       f"chainrule {c}"
        if t[0] == "tensor":
            _, dtype, shape, values, rg, leaf = t
            assert (c[1], c[2]) == (dtype, shape), f"{where}: dtype/shape {c[1:3]} vs torch " \
                                                   f"{(dtype, shape)}"
            assert c[4] == rg, f"{where}: requires_grad {c[4]} vs torch {rg}"
            assert c[5] == leaf, f"{where}: is_leaf {c[5]} vs torch {leaf}"
            ours = c[3]
        else:
            assert c[1] == t[1] and np.shape(c[-1]) == np.shape(t[-1]), f"{where}: {c} vs {t}"
            values, ours = t[-1], c[-1]
        if np.asarray(values).dtype.kind in "fc":
            np.testing.assert_allclose(ours, values, rtol=1e-6, atol=1e-7, equal_nan=True,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(ours, values, err_msg=where)
    else:
        assert type(c) is type(t) and c == t, f"{where}: chainrule {c!r} vs torch {t!r}"


def same(case: Callable[[Any], Any]) -> Any:
    """Run ``case(m)`` on torch and on chainrule; assert the same results or the same error."""
    (t, t_warn), (c, c_warn) = _run(case, torch), _run(case, cr)
    assert c_warn == t_warn, f"chainrule warns {c_warn}, torch {t_warn}"
    if isinstance(t, _Raised):
        kind = _builtin(t.exc)
        if isinstance(c, _Raised):
            assert isinstance(c.exc, kind), f"torch raises {kind.__name__} ({t.exc}), " \
                                            f"chainrule {type(c.exc).__name__}: {c.exc}"
            return c.exc
        pytest.fail(f"torch raises {kind.__name__} ({t.exc}); chainrule returns {c!r}")
    if isinstance(c, _Raised):
        raise AssertionError(f"chainrule raises where torch returns {t!r}") from c.exc
    _compare(_norm(t), _norm(c), "result")
    return c


def xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def table(items: Any, failing: dict[str, str] | None = None) -> list[Any]:
    """pytest params of names (or functions, by __name__), those in ``failing`` marked
    xfail(strict) with the reason given there."""
    failing = dict(failing or {})
    out = []
    for item in items:
        name = getattr(item, "__name__", item)
        marks = [xfail(failing.pop(name))] if name in failing else []
        out.append(pytest.param(item, id=name, marks=marks))
    assert not failing, f"unknown names in failing: {list(failing)}"
    return out



def x3(m: Any) -> Any:
    return m.tensor([1.0, 2.0, 3.0], requires_grad=True)


def test_runner_detects_differences():
    """same() fails on a different value, dtype, requires_grad, None vs tensor, error type."""
    bad = [
        lambda m: m.tensor([1.0, 2.0 if m is torch else 3.0]),
        lambda m: m.tensor([1.0], dtype=m.float64 if m is torch else m.float32),
        lambda m: m.tensor([1.0], requires_grad=m is torch),
        lambda m: None if m is torch else m.zeros(1),
        lambda m: m.zeros(1) if m is torch else None,
        lambda m: 1 if m is torch else True,
        lambda m: m.zeros(2) if m is torch else m.zeros(3),
        lambda m: np.zeros(()) if m is torch else np.float64(0.0),
    ]
    for fn in bad:
        with pytest.raises(AssertionError):
            same(fn)

    def wrong_error(m):
        raise RuntimeError if m is torch else ValueError

    with pytest.raises(AssertionError):
        same(wrong_error)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        same(lambda m: m.zeros(2) + (m.zeros(3) if m is torch else 0))
    same(lambda m: (m.tensor([1.0, float("nan")]), 2, None, {"a": m.tensor(True)}))


# ----- 1. views see in-place writes to their base --------------------------------------------
def case_view_before_write(m):
    x = x3(m)
    y = x * 1
    v = y[:2]
    y.mul_(2)
    info = {"v version": v._version, "y version": y._version, "v grad_fn": v.grad_fn is not None,
            "v._base is y": v._base is y}
    v.sum().backward()
    return v, x.grad, info


def case_view_of_view(m):
    x = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    w = v[:2]
    y.mul_(m.tensor([2.0, 3.0, 4.0, 5.0]))
    (w * m.tensor([1.0, 10.0])).sum().backward()
    return v, w, x.grad


def case_several_views_write_base_and_view(m):
    x = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    a, b, c = y[:2], y[1:3], y[::2]
    y.mul_(m.tensor([2.0, 3.0, 4.0, 5.0]))
    a.mul_(10)  # seen by y, b (overlaps at y[1]) and c (at y[0])
    versions = [t._version for t in (y, a, b, c)]
    loss = a.sum() + 2 * b.sum() + 3 * c.sum() + 5 * y.sum()
    loss.backward()
    return y, a, b, c, x.grad, versions, b._base is y


def case_view_of_reshape_transpose(m):
    x = m.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)
    y = x.reshape(2, 3) * 1
    t = y.t()
    r = y.view(6)
    y[0].mul_(2)
    t[2].add_(m.tensor([100.0, 200.0]))
    (t * m.arange(6.0).reshape(3, 2)).sum().backward()
    return y, t, r, x.grad


def case_write_into_view_then_base(m):
    x = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    v = y[1:3]
    v.mul_(x[:2])
    y.mul_(x)
    (v * m.tensor([1.0, 10.0])).sum().backward()
    return y, v, x.grad


@pytest.mark.parametrize("case", [case_view_before_write, case_view_of_view,
                                  case_several_views_write_base_and_view,
                                  case_view_of_reshape_transpose, case_write_into_view_then_base])
def test_views_see_writes(case):
    same(case)


VIEW_OPS = {
    "t": lambda y: y.t(),
    "T": lambda y: y.T,
    "transpose": lambda y: y.transpose(0, 1),
    "diagonal": lambda y: y.diagonal(),
    "unsqueeze": lambda y: y.unsqueeze(1),
    "narrow": lambda y: y.narrow(1, 1, 2),
    "select": lambda y: y.select(1, 2),
    "movedim": lambda y: y.movedim(0, 1),
    "flatten": lambda y: y.flatten(),
    "view(-1)": lambda y: y.view(-1),
    "unflatten": lambda y: y.unflatten(1, (3, 1)),
    "[:, ::2]": lambda y: y[:, ::2],
    "[None, 1]": lambda y: y[None, 1],
    "chunk": lambda y: y.chunk(2, dim=1)[0],
    "expand": lambda y: y[:1].expand(3, 3),
}


@pytest.mark.parametrize("name", table(VIEW_OPS))
def test_inplace_through_view_ops(name):
    """An in-place write through each view op reaches the base and its gradient (or raises as
    torch: several-view outputs, overlapping expand)."""
    def case(m):
        x = m.arange(1.0, 10.0).reshape(3, 3).requires_grad_()
        y = x * 1
        v = VIEW_OPS[name](y)
        v.mul_(m.arange(2.0, 2.0 + v.numel()).reshape(v.shape))
        (y * m.arange(9.0).reshape(3, 3)).sum().backward()
        return y, v, x.grad, v._base is y, y._version

    same(case)


# ----- 2. x[int] is a view, down to 0-d --------------------------------------------------------
def test_int_index_is_view_1d():
    def case(m):
        x = m.zeros(3)
        x[1].fill_(5.0)
        x[2].add_(1.0)
        return x, x[1]._base is x, x[1].shape

    same(case)


def test_int_index_is_view_2d():
    def case(m):
        x = m.zeros(2, 3)
        x[1, 2].fill_(5.0)
        x[0][1].add_(2.0)
        x[1][0].mul_(3.0)
        x[0, 0].sub_(1.0)
        return x, x[1, 2]._base is x, x[0][1]._base is x

    same(case)


def test_int_index_view_in_graph():
    def case(m):
        x = x3(m)
        y = x * 1
        y[1].mul_(3)
        y[2].mul_(y[0])
        (y * m.tensor([1.0, 10.0, 100.0])).sum().backward()
        return y, x.grad

    same(case)


# ----- 3. no-op views are new tensors (except .to(same dtype), 1-d flatten) -------------------
NOOP_VIEWS = {
    "reshape": lambda x: x.reshape(3),
    "reshape(-1)": lambda x: x.reshape(-1),
    "view": lambda x: x.view(3),
    "view_as": lambda x: x.view_as(x),
    "squeeze": lambda x: x.squeeze(),
    "squeeze(0)": lambda x: x.squeeze(0),
    "permute": lambda x: x.permute(0),
    "transpose(0, 0)": lambda x: x.transpose(0, 0),
    "expand": lambda x: x.expand(3),
    "expand_as": lambda x: x.expand_as(x),
    "x[...]": lambda x: x[...],
    "x[:]": lambda x: x[:],
    "flatten": lambda x: x.flatten(),
    "to(same dtype)": lambda x: x.to(x.dtype),
    "contiguous": lambda x: x.contiguous(),
}


@pytest.mark.parametrize("name", table(NOOP_VIEWS))
def test_noop_view_with_grad(name):
    op = NOOP_VIEWS[name]

    def case(m):
        x = x3(m)
        y = op(x)
        info = {"is x": y is x, "has grad_fn": y.grad_fn is not None,
                "_base is x": y._base is x, "is_leaf": y.is_leaf}
        y.register_hook(lambda g: g * 2)
        (x + y).sum().backward()
        return info, x.grad

    same(case)


@pytest.mark.parametrize("name", table(NOOP_VIEWS))
def test_noop_view_without_grad(name):
    op = NOOP_VIEWS[name]

    def case(m):
        x = m.zeros(3)
        y = op(x)
        info = {"is x": y is x, "_base is x": y._base is x}
        y.add_(1.0)  # writes through (it is a view or x itself)
        return info, x, y

    same(case)


# ----- 4. saved index tensors and masks are version-checked ----------------------------------
def case_index_tensor_changed(m):
    x = x3(m)
    i = m.tensor([0, 0, 1])
    y = x[i]
    i[0] = 2
    (y * m.tensor([1.0, 10.0, 100.0])).sum().backward()
    return x.grad


def case_mask_changed(m):
    x = x3(m)
    mask = m.tensor([True, False, True])
    y = x[mask]
    mask[0] = False
    (y * m.tensor([1.0, 10.0])).sum().backward()
    return y, x.grad


def case_gather_index_changed(m):
    x = x3(m)
    i = m.tensor([0, 0, 1])
    y = m.gather(x, 0, i)
    i[0] = 2
    (y * m.tensor([1.0, 10.0, 100.0])).sum().backward()
    return x.grad


def case_index_select_changed(m):
    x = x3(m)
    i = m.tensor([0, 0, 1])
    y = m.index_select(x, 0, i)
    i[0] = 2
    (y * m.tensor([1.0, 10.0, 100.0])).sum().backward()
    return x.grad


def case_where_condition_changed(m):
    x = x3(m)
    c = m.tensor([True, False, True])
    y = m.where(c, x, m.zeros(3))
    c[1] = True
    y.sum().backward()
    return x.grad


def case_masked_fill_mask_changed(m):
    x = x3(m)
    mask = m.tensor([True, False, False])
    y = x.masked_fill(mask, 0.0)
    mask[1] = True
    y.sum().backward()
    return x.grad


def case_index_put_index_changed(m):
    x = x3(m)
    i = m.tensor([0, 2])
    y = m.zeros(3).index_put((i,), x[:2] * 2)
    i[0] = 1
    (y * m.tensor([1.0, 10.0, 100.0])).sum().backward()
    return y, x.grad


@pytest.mark.parametrize("case", table([
    case_index_tensor_changed, case_mask_changed, case_gather_index_changed,
    case_index_select_changed, case_where_condition_changed, case_masked_fill_mask_changed,
    case_index_put_index_changed,
],))
def test_saved_indices_version_checked(case):
    same(case)


def test_index_tensor_changed_raises_runtime_error():
    with pytest.raises(RuntimeError):
        case_index_tensor_changed(cr)


# ----- 5. advanced indexing: reading and writing -----------------------------------------------
def _keys(m):
    """Keys for a (2, 3, 3) tensor: int/slice/None/Ellipsis/list/index tensor/mask mixes."""
    return {
        "0,:,[0,1,2]": (0, slice(None), [0, 1, 2]),
        "[1,0],:,0": ([1, 0], slice(None), 0),
        ":,[0,2],[1,0]": (slice(None), [0, 2], [1, 0]),
        "[1,0],[2,0]": ([1, 0], [2, 0]),
        "1,[0,2],:": (1, [0, 2], slice(None)),
        "...,[2,0]": (Ellipsis, [2, 0]),
        "[[0],[1]],:,[[0,1,2]]": ([[0], [1]], slice(None), [[0, 1, 2]]),
        ":,None,[0,1]": (slice(None), None, [0, 1]),
        "tensor[1,0],1:,tensor[2]": (m.tensor([1, 0]), slice(1, None), m.tensor([2])),
        "tensor 2-d": m.tensor([[1, 0], [0, 1]]),
        "mask dim0": m.tensor([False, True]),
        "0,mask dim1": (0, m.tensor([True, False, True])),
        ":,mask dim1,[1,2]": (slice(None), m.tensor([True, False, True]), [1, 2]),
        "mask (2,3)": m.tensor([[True, False, True], [False, True, True]]),
        "mask (2,3,3)": m.arange(18).reshape(2, 3, 3) % 4 == 1,
        "[1,0],...,1:": ([1, 0], Ellipsis, slice(1, None)),
        "-1,[-1,0],::2": (-1, [-1, 0], slice(None, None, 2)),
        "None,0": (None, 0),
        "True": True,
        "[True,False]": [True, False],
        "1,tensor 0-d": (1, m.tensor(2)),
        "0-d bool mask": (0, m.tensor(True)),
    }


KEYS = list(_keys(torch))


@pytest.mark.parametrize("name", table(KEYS))
def test_advanced_index_read(name):
    def case(m):
        x = m.arange(18.0).reshape(2, 3, 3).requires_grad_()
        y = x[_keys(m)[name]]
        (y * m.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, x.grad

    same(case)



@pytest.mark.parametrize("name", table(KEYS))
def test_advanced_index_write_no_graph(name):
    def case(m):
        key = _keys(m)[name]
        x = m.zeros(2, 3, 3)
        shape = x[key].shape
        x[key] = m.arange(1.0, 1.0 + x[key].numel()).reshape(shape)
        z = m.zeros(2, 3, 3)
        z[key] = 7.0
        return x, z

    same(case)


def test_advanced_index_write_example():
    def case(m):
        x = m.zeros(2, 3, 3)
        x[0, :, [0, 1, 2]] = m.arange(9.0).reshape(3, 3)
        return x

    same(case)


def test_setitem_bumps_version_once():
    def case(m):
        x = m.zeros(2, 3, 3)
        v = x[1]
        x[0, :, [0, 1]] = 1.0
        x[1] = 2.0
        x[x > 1.5] = 3.0
        v[0] = 4.0
        return x._version, v._version, x

    same(case)


@pytest.mark.parametrize("name", table(KEYS))
def test_advanced_index_write_with_graph(name):
    def case(m):
        key = _keys(m)[name]
        x = m.ones(2, 3, 3)
        shape = x[key].shape
        v = m.arange(1.0, 1.0 + x[key].numel()).reshape(shape).requires_grad_()
        x[key] = v * 2
        info = {"has grad_fn": x.grad_fn is not None}
        (x * m.arange(18.0).reshape(2, 3, 3)).sum().backward()
        return x, info, v.grad

    same(case)


@pytest.mark.parametrize("name", table(KEYS))
def test_advanced_index_write_into_graph_tensor(name):
    """Self in the graph too: the overwritten positions get no gradient."""
    def case(m):
        key = _keys(m)[name]
        a = m.arange(18.0).reshape(2, 3, 3).requires_grad_()
        x = a * 1
        shape = x[key].shape
        v = m.arange(1.0, 1.0 + x[key].numel()).reshape(shape).requires_grad_()
        x[key] = v * 2
        (x * (m.arange(18.0).reshape(2, 3, 3) + 1)).sum().backward()
        return x, v.grad, a.grad

    same(case)


# ----- 6. 0-d comparison results are 0-d bool tensors -----------------------------------------
ZERO_D_PREDICATES = {
    ">": lambda m, x: x > 0,
    "==": lambda m, x: x == 1.5,
    "<": lambda m, x: x < 0,
    "isnan": lambda m, x: m.isnan(x),
    "logical_not": lambda m, x: m.logical_not(x),
    "~": lambda m, x: ~(x > 0),
    "eq()": lambda m, x: x.eq(x),
}


@pytest.mark.parametrize("name", table(ZERO_D_PREDICATES))
def test_zero_d_comparison(name):
    pred = ZERO_D_PREDICATES[name]

    def case(m):
        x = m.tensor(1.5)
        mask = pred(m, x)
        arr = mask.numpy()
        out = {"mask": mask, "numpy is ndarray": type(arr) is np.ndarray, "numpy": arr,
               "x[mask]": x[mask], "x[x > 0]": x[x > 0], "ndim": mask.ndim,
               "item": mask.item(), "tolist": mask.tolist(), "bool": bool(mask)}
        mask.fill_(False)
        out["after fill_"] = mask
        out["x[mask] after"] = x[mask]
        return out

    same(case)


# ----- 7. .grad assignment is validated -------------------------------------------------------
GRAD_VALUES = {
    "wrong shape": lambda m: m.zeros(2),
    "wrong dtype": lambda m: m.zeros(3, dtype=m.float64),
    "int dtype": lambda m: m.zeros(3, dtype=m.int64),
    "list": lambda m: [0.0, 0.0, 0.0],
    "ndarray": lambda m: np.zeros(3, dtype=np.float32),
    "float": lambda m: 1.0,
    "None": lambda m: None,
    "right": lambda m: m.ones(3),
    "0-d for 1-d": lambda m: m.tensor(1.0),
}


@pytest.mark.parametrize("name", table(GRAD_VALUES))
def test_grad_assignment(name):
    def case(m):
        x = x3(m)
        x.grad = GRAD_VALUES[name](m)
        return x.grad

    same(case)


def test_grad_assignment_error_types():
    x = x3(cr)
    with pytest.raises(RuntimeError):
        x.grad = cr.zeros(2)
    with pytest.raises(RuntimeError):
        x.grad = cr.zeros(3, dtype=cr.float64)
    with pytest.raises(TypeError):
        x.grad = [0.0, 0.0, 0.0]
    x.grad = None
    assert x.grad is None


# ----- 8. requires_grad_(False) on a leaf already in a graph ---------------------------------
def test_requires_grad_off_after_graph_built():
    def case(m):
        x = x3(m)
        w = x3(m)
        y = (x * w).sum()
        x.requires_grad_(False)
        y.backward()
        return x.grad, w.grad, x.requires_grad, x.is_leaf

    same(case)


def test_requires_grad_attribute_off_after_graph_built():
    def case(m):
        x = x3(m)
        y = (x * x).sum()
        x.requires_grad = False
        y.backward()
        return x.grad

    same(case)


# ----- 9. nan/inf upstream gradients and masks ------------------------------------------------
NAN, INF = float("nan"), float("inf")
MASKED = {
    "relu": (lambda m, x, y: m.relu(x), [NAN, INF, 1.0, -INF, 2.0, 3.0]),
    "clamp": (lambda m, x, y: m.clamp(x, -1.0, 1.0), [NAN, INF, -INF, NAN, 2.0, 3.0]),
    "clamp(min)": (lambda m, x, y: x.clamp(min=0.0), [NAN, INF, 1.0, -INF, 2.0, 3.0]),
    "max()": (lambda m, x, y: x.max(), NAN),
    "min()": (lambda m, x, y: x.min(), INF),
    "max(dim)": (lambda m, x, y: x.reshape(2, 3).max(dim=1).values, [NAN, INF]),
    "min(dim)": (lambda m, x, y: x.reshape(2, 3).min(dim=1)[0], [INF, NAN]),
    "maximum": (lambda m, x, y: m.maximum(x, y), [NAN, INF, 1.0, -INF, 2.0, 3.0]),
    "minimum": (lambda m, x, y: m.minimum(x, y), [NAN, INF, 1.0, -INF, 2.0, 3.0]),
    "where": (lambda m, x, y: m.where(x > 0, x, y), [NAN, INF, -INF, 1.0, NAN, 3.0]),
    "amax": (lambda m, x, y: m.amax(x.reshape(2, 3), dim=1), [NAN, INF]),
    "amin": (lambda m, x, y: m.amin(x.reshape(2, 3), dim=1), [INF, NAN]),
    "abs": (lambda m, x, y: x.abs(), [NAN, INF, 1.0, -INF, 2.0, 3.0]),
    "x[mask]": (lambda m, x, y: x[x > 0], [NAN, INF, 1.0]),
    "masked_fill": (lambda m, x, y: x.masked_fill(x < 0, 0.0), [NAN, INF, 1.0, -INF, 2., 3.]),
}



@pytest.mark.parametrize("name", table(MASKED))
def test_nonfinite_upstream_gradient(name):
    fn, g = MASKED[name]

    def case(m):
        x = m.tensor([-1.0, 0.5, 2.0, -3.0, 4.0, 0.0], requires_grad=True)
        y = m.tensor([0.0, 1.0, 1.0, -4.0, 5.0, 0.0], requires_grad=True)
        out = fn(m, x, y)
        out.backward(m.tensor(g))
        return out, x.grad, y.grad

    same(case)


TIES = {
    "max()": lambda m, x: x.max(),
    "min()": lambda m, x: x.min(),
    "amax": lambda m, x: m.amax(x.reshape(2, 3), dim=1),
    "max(dim)": lambda m, x: x.reshape(2, 3).max(dim=1).values,
    "maximum": lambda m, x: m.maximum(x, m.tensor([2.0, 0.0, 1.0, 2.0, 0.0, 5.0])),
    "clamp at bounds": lambda m, x: x.clamp(1.0, 2.0),
    "relu at 0": lambda m, x: m.relu(x - 1.0),
    "abs at 0": lambda m, x: (x - 1.0).abs(),
}


@pytest.mark.parametrize("upstream", ["finite", "nan"])
@pytest.mark.parametrize("name", table(TIES))
def test_ties_and_kinks(name, upstream):
    """Tied extremes share the gradient (or not) as in torch; kinks get torch's subgradient."""
    def case(m):
        x = m.tensor([2.0, 2.0, 1.0, 1.0, 1.0, 1.0], requires_grad=True)
        out = TIES[name](m, x)
        g = m.full(out.shape, 3.0 if upstream == "finite" else NAN)
        out.backward(g)
        return out, x.grad

    same(case)


# ----- 10. create_graph gradients of piecewise ops --------------------------------------------
PIECEWISE = {
    "abs": lambda m, x: x.abs(),
    "relu": lambda m, x: m.relu(x),
    "clamp": lambda m, x: m.clamp(x, -1.0, 1.0),
    "clamp(min)": lambda m, x: x.clamp(min=0.0),
    "max()": lambda m, x: x.max(),
    "max(dim)": lambda m, x: x.reshape(2, 2).max(dim=1).values,
    "amax": lambda m, x: m.amax(x.reshape(2, 2), dim=1),
    "sign": lambda m, x: m.sign(x),
    "maximum": lambda m, x: m.maximum(x, m.zeros(4, dtype=m.float64)),
    "where": lambda m, x: m.where(x > 0, x, -x),
    "x*relu": lambda m, x: x * m.relu(x),
}


@pytest.mark.parametrize("name", table(PIECEWISE))
def test_create_graph_piecewise(name):
    fn = PIECEWISE[name]

    def case(m):
        x = m.tensor([-1.5, 0.5, 2.0, -0.25], dtype=m.float64, requires_grad=True)
        out = fn(m, x)
        (g,) = m.autograd.grad(out.sum(), x, create_graph=True)
        result = {"g": g, "g.requires_grad": g.requires_grad}
        if g.requires_grad:
            (gg,) = m.autograd.grad((g * g).sum(), x, retain_graph=True, allow_unused=True)
            result["second"] = gg
        (dx,) = m.autograd.grad((g * x).sum(), x)
        result["d(g.x)"] = dx
        return result

    same(case)


# ----- 11. in-place on views of tensors that require grad ------------------------------------
def test_inplace_on_slice_of_nonleaf():
    def case(m):
        a = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b = a * 1
        b[1:3].mul_(m.tensor([2.0, 3.0]))
        b[::3].add_(a[:2])
        (b * m.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
        return b, a.grad

    same(case)


def test_write_rows_and_columns_of_zeros():
    def case(m):
        a = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        h = m.zeros(2, 2)
        h[0] = a[1] * 2
        info = {"leaf after row": h.is_leaf, "grad_fn": h.grad_fn is not None}
        h[:, 1] = a[:, 0]
        (h * m.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
        return h, info, a.grad

    same(case)


def test_rnn_loop_writing_hidden_states():
    def case(m):
        gen = np.random.default_rng(0)
        B, T, D, H = 3, 5, 4, 6
        x = m.tensor(gen.standard_normal((B, T, D)), requires_grad=True)
        W = m.tensor(gen.standard_normal((D, H)) * 0.5, requires_grad=True)
        U = m.tensor(gen.standard_normal((H, H)) * 0.5, requires_grad=True)
        h = m.zeros(B, T, H, dtype=m.float64)
        for t in range(T):
            h[:, t] = m.tanh(x[:, t] @ W + h[:, t - 1] @ U)
        (h * m.tensor(gen.standard_normal((B, T, H)))).sum().backward()
        return h, W.grad, U.grad, x.grad

    same(case)


def test_rnn_loop_create_graph():
    def case(m):
        gen = np.random.default_rng(1)
        x = m.tensor(gen.standard_normal((2, 3, 2)), requires_grad=True)
        W = m.tensor(gen.standard_normal((2, 2)), requires_grad=True)
        h = m.zeros(2, 3, 2, dtype=m.float64)
        for t in range(3):
            h[:, t] = m.tanh(x[:, t] @ W + h[:, t - 1])
        (gW,) = m.autograd.grad(h.sum(), W, create_graph=True)
        (ggW,) = m.autograd.grad((gW ** 2).sum(), W)
        return gW, ggW

    same(case)


def test_inplace_on_leaf_view_under_no_grad():
    def case(m):
        w = x3(m)
        with m.no_grad():
            w[0].mul_(2)
            w[1:].add_(1)
        (w * w).sum().backward()
        return w, w.grad, w._version

    same(case)


# ----- 12. errors ------------------------------------------------------------------------------
def case_inplace_view_of_leaf(m):
    x = x3(m)
    x[0].mul_(2)
    return x


def case_inplace_slice_of_leaf(m):
    x = x3(m)
    x[:2].add_(1)
    return x


def case_setitem_on_leaf(m):
    x = x3(m)
    x[0] = 5.0
    return x


def case_inplace_on_leaf(m):
    x = x3(m)
    x.mul_(2)
    return x


def case_view_of_view_of_leaf(m):
    x = x3(m)
    x[:2][0].mul_(2)
    return x


def case_reshape_view_of_leaf(m):
    x = x3(m)
    x.view(3).add_(1)
    return x


def case_multi_output_view_inplace(m):
    x = x3(m)
    a, _b = (x * 1).split(2)
    a.mul_(2)
    return a


def case_unbind_output_inplace(m):
    x = x3(m)
    a, _b, _c = (x * 1).unbind()
    a.mul_(2)
    return a


def case_detach_shares_version(m):
    x = x3(m)
    y = x.exp()
    y.detach().add_(1)  # unlike .data, detach() shares the version counter
    y.sum().backward()
    return x.grad


def case_no_grad_view_of_nonleaf(m):
    x = x3(m)
    y = x * 1
    with m.no_grad():
        v = y[:2]
    v.mul_(2)
    return v


def case_no_grad_view_of_leaf(m):
    x = x3(m)
    with m.no_grad():
        v = x[:2]
    v.mul_(2)
    return v


def case_no_grad_view_of_plain_tensor(m):
    x = m.zeros(3)
    with m.no_grad():
        v = x[:2]
    v.add_(2)
    return x, v


def case_backward_twice(m):
    x = x3(m)
    y = (x * x).sum()
    y.backward()
    y.backward()
    return x.grad


def case_backward_twice_nothing_saved(m):
    x = x3(m)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


def case_backward_twice_retain(m):
    x = x3(m)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def case_saved_output_modified(m):
    x = x3(m)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
    return x.grad



@pytest.mark.parametrize("case", table([
    case_inplace_view_of_leaf, case_inplace_slice_of_leaf, case_setitem_on_leaf,
    case_inplace_on_leaf, case_no_grad_view_of_nonleaf, case_no_grad_view_of_leaf,
    case_no_grad_view_of_plain_tensor, case_backward_twice, case_backward_twice_nothing_saved,
    case_backward_twice_retain, case_saved_output_modified, case_view_of_view_of_leaf,
    case_reshape_view_of_leaf, case_multi_output_view_inplace, case_unbind_output_inplace,
    case_detach_shares_version,
],))
def test_errors(case):
    same(case)


# ----- 13. subclasses of Tensor -----------------------------------------------------------------
def test_subclass_through_ops_and_backward():
    def case(m):
        P = PARAM[m]
        w = P(m.tensor([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
        b = P(m.tensor([0.1, -0.2]), requires_grad=True)
        x = m.tensor([1.0, 3.0])
        outs = {"w @ x": w @ x, "x + b": x + b, "cat": m.cat([w, w]), "w[0]": w[0],
                "sum": w.sum(), "exp": w.exp()}
        types = {k: type(v) is m.Tensor for k, v in outs.items()}
        loss = sum(v.sum() for v in outs.values())
        loss.backward()
        info = {"isinstance": isinstance(w, m.Tensor), "type kept": type(w) is P,
                "w.grad is Tensor": type(w.grad) is m.Tensor, "is_leaf": w.is_leaf}
        before = w
        with m.no_grad():
            w -= 0.1 * w.grad
            b.sub_(0.1 * b.grad)
        info["same object"] = w is before
        info["type after update"] = type(w) is P
        grads = (w.grad.clone(), b.grad.clone())
        w.grad = None
        b.grad = None
        ((w @ x + b) ** 2).sum().backward()
        return outs, types, info, grads, w, b, w.grad, b.grad

    same(case)


def test_subclass_results_are_plain_tensors():
    def case(m):
        P = PARAM[m]
        w = P(m.tensor([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
        made = {"detach": w.detach(), "data": w.data, "clone": w.clone(), "w * 1": w * 1,
                "T": w.T, "reshape": w.reshape(4), "w[0]": w[0], "neg": -w}
        kinds = {k: type(v) is m.Tensor for k, v in made.items()}
        return made, kinds

    same(case)


def test_subclass_deepcopy():
    def case(m):
        P = PARAM[m]
        w = P(m.tensor([1.0, 2.0]), requires_grad=True)
        (w * w).sum().backward()
        c = copy.deepcopy(w)
        with m.no_grad():
            c.mul_(10)
        return w, c, type(c) is P, c is not w  # Parameter's deepcopy drops .grad; Tensor's not

    same(case)


def test_deepcopy_of_leaf_with_grad():
    def case(m):
        w = x3(m)
        (w * w).sum().backward()
        c = copy.deepcopy(w)
        with m.no_grad():
            c.mul_(10)
            c.grad.add_(1)
        return w, w.grad, c, c.grad, c.grad is not w.grad

    same(case)


def test_subclass_constructor():
    w = Param(cr.tensor([1.0, 2.0]), requires_grad=True)
    assert isinstance(w, cr.Tensor) and type(w) is Param
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])


def test_subclass_in_views_and_inplace():
    def case(m):
        P = PARAM[m]
        w = P(m.tensor([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
        v = w.view(2, 2)
        y = w * 1
        y[1:].mul_(w[:3])
        (v.sum() + y.sum() + w.reshape(4).sum()).backward()
        return v, y, w.grad, type(v) is m.Tensor

    same(case)


# ----- 14. .data --------------------------------------------------------------------------------
def _trained(m):
    p = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (p * p * m.tensor([1.0, 2.0, 3.0])).sum().backward()
    return p


def case_data_iadd(m):
    p = _trained(m)
    p.data += -0.1 * p.grad
    return p, p.grad, p._version


def case_data_assign(m):
    p = _trained(m)
    p.data = p.data - 0.1 * p.grad
    return p, p.grad


def case_data_zero(m):
    p = _trained(m)
    p.data.zero_()
    p.grad.data.zero_()
    return p, p.grad


def case_data_shares_storage(m):
    p = _trained(m)
    d = p.data
    d[0] = 5.0
    return p, d, d.requires_grad, d.is_leaf, d.grad_fn is None, p.data is p.data


def case_data_of_nonleaf(m):
    x = x3(m)
    y = x * 2
    d = y.data
    return d, d.requires_grad, d.is_leaf, y.requires_grad


def case_data_write_not_version_checked(m):
    x = x3(m)
    y = x.exp()
    y.data.mul_(2)  # exp's backward reads the written result: no version error
    v = y._version
    y.sum().backward()
    return x.grad, v


def case_data_assign_int(m):
    p = x3(m)
    p.data = m.tensor([1, 2, 3])
    return p


def case_data_assign_other_shape(m):
    p = _trained(m)
    p.data = m.zeros(2, 2)
    return p, p.grad


def case_data_assign_non_tensor(m):
    p = x3(m)
    p.data = [1.0, 2.0, 3.0]
    return p


@pytest.mark.parametrize("case", [
    case_data_iadd, case_data_assign, case_data_zero, case_data_shares_storage,
    case_data_of_nonleaf, case_data_write_not_version_checked, case_data_assign_int,
    case_data_assign_other_shape, case_data_assign_non_tensor,
])
def test_data(case):
    same(case)

# 15. grad mode is thread-local: tests/autograd/test_grad_mode_threads.py


# ----- which tensors a rule saves: in-place writes to them are caught exactly where torch's are --
def test_saved_operands_as_torch():
    """matmul keeps only the operand a needed gradient reads; amax/max keep their input; an
    operand promoted to the op's dtype is still version-checked (PyTorch saves it uncopied)."""

    def matmul_unsaved(m):  # x is not needed for c's (absent) gradient: no error
        c = m.tensor([[1.0, 2.0]])
        x = m.tensor([[3.0], [4.0]], requires_grad=True)
        y = c @ x
        with m.no_grad():
            c.mul_(2)  # c is saved (x's gradient needs it): error
        y.sum().backward()

    def matmul_free(m):
        c = m.tensor([[1.0, 2.0]])
        x = m.tensor([[3.0], [4.0]], requires_grad=True)
        y = c @ x
        with m.no_grad():
            x.mul_(2)  # nothing reads x: no error
        y.sum().backward()
        return x.grad

    def amax_input(m):
        x = m.tensor([1.0, 3.0], requires_grad=True)
        y = x.max()
        with m.no_grad():
            x.mul_(2)
        y.backward()

    def promoted(m):
        x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
        c = m.tensor([3.0, 4.0], dtype=m.float32)
        y = x * c
        with m.no_grad():
            c.mul_(2)
        y.sum().backward()

    for case in (matmul_unsaved, matmul_free, amax_input, promoted):
        same(case)
