"""The losses, functional and as modules, against torch float64: every loss x every reduction x
its options, values, input (and target) gradients and second derivatives; gradcheck and
gradgradcheck; edge cases (ignored targets, huge logits, clamped logs); errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)


def probs(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values in (0.02, 0.98): inside BCE's domain, away from its clamps."""
    return np.random.default_rng(seed).uniform(0.02, 0.98, shape)


def both(make: object) -> tuple[object, object]:
    """(ours, torch's) from ``make(lib)``."""
    return make(cr), make(torch)


# ----- regression losses ----------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 2), (2, 1, 3)])
def test_mse_and_l1_match_torch(name: str, reduction: str, shape: tuple[int, ...]) -> None:
    ours, theirs = getattr(F, name), getattr(TF, name)
    check_op(lambda x, t: ours(x, t, reduction=reduction),
             lambda x, t: theirs(x, t, reduction=reduction), [rand(shape), rand(shape, 1)])
    check_op(lambda x, t, w: ours(x, t, reduction=reduction, weight=w),
             lambda x, t, w: theirs(x, t, reduction=reduction, weight=w),
             [rand(shape), rand(shape, 1), probs(shape, 2)])


def test_l1_gradient_at_zero_difference_is_zero_as_torch() -> None:
    check_op(lambda x, t: F.l1_loss(x, t), lambda x, t: TF.l1_loss(x, t),
             [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_matches_torch(reduction: str, beta: float) -> None:
    x = rand((4, 5)) * 2
    t = x + np.array([0.0, 0.5, -0.5, 1.0, 3.0])  # differences at and around beta
    check_op(lambda x, t: F.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
             lambda x, t: TF.smooth_l1_loss(x, t, reduction=reduction, beta=beta), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_matches_torch(reduction: str, delta: float) -> None:
    x = rand((4, 5)) * 2
    t = x + np.array([0.0, 0.5, -0.5, 1.0, 3.0])
    check_op(lambda x, t: F.huber_loss(x, t, reduction=reduction, delta=delta),
             lambda x, t: TF.huber_loss(x, t, reduction=reduction, delta=delta), [x, t])
    check_op(lambda x, t, w: F.huber_loss(x, t, reduction=reduction, delta=delta, weight=w),
             lambda x, t, w: TF.huber_loss(x, t, reduction=reduction, delta=delta, weight=w),
             [x, t, probs((4, 5))])


def test_elementwise_losses_broadcast_with_torch_warning() -> None:
    x, t = rand((3, 1)), rand(4, 1)
    with pytest.warns(UserWarning, match="different to the input size"):
        ours = F.mse_loss(cr.tensor(x), cr.tensor(t), reduction="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.mse_loss(torch.tensor(x), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    with pytest.warns(UserWarning):
        raises_with(RuntimeError, lambda: F.mse_loss(cr.randn(3), cr.randn(4)), "(3,)", "(4,)")


def test_legacy_size_average_and_reduce_flags() -> None:
    x, t = rand((3, 4)), rand((3, 4), 1)
    for size_average, reduce in [(False, None), (None, False), (True, True), (False, True)]:
        with pytest.warns(UserWarning, match="deprecated"):
            ours = F.mse_loss(cr.tensor(x), cr.tensor(t), size_average, reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = TF.mse_loss(torch.tensor(x), torch.tensor(t), size_average, reduce)
            assert nn.L1Loss(size_average, reduce).reduction == \
                torch.nn.L1Loss(size_average, reduce).reduction
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# ----- cross_entropy and nll_loss ---------------------------------------------------------------
def class_targets(shape: tuple[int, ...], c: int, seed: int = 0, ignore: int = -100) -> np.ndarray:
    t = np.random.default_rng(seed).integers(0, c, shape)
    if t.size > 1:
        t.flat[1] = ignore
    return t


CE_SHAPES = [(6, 5), (3, 4, 2), (2, 3, 2, 2), (5,), (1, 1), (0, 3)]


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_with_class_indices_matches_torch(shape: tuple[int, ...], reduction: str,
                                                        weighted: bool, ls: float) -> None:
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = class_targets(tshape, c, ignore=-100 if c != 4 else 2)  # a custom ignore_index for C=4
    ignore = -100 if c != 4 else 2
    w = probs(c, 3) if weighted else None
    check_op(lambda x: F.cross_entropy(x, cr.tensor(t), None if w is None else cr.tensor(w),
                                       ignore_index=ignore, reduction=reduction,
                                       label_smoothing=ls),
             lambda x: TF.cross_entropy(x, torch.tensor(t), None if w is None else torch.tensor(w),
                                        ignore_index=ignore, reduction=reduction,
                                        label_smoothing=ls), [rand(shape)])


@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2), (5,)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_with_class_probabilities_matches_torch(shape: tuple[int, ...],
                                                              reduction: str, weighted: bool,
                                                              ls: float) -> None:
    c = shape[0] if len(shape) == 1 else shape[1]
    w = probs(c, 3) if weighted else None
    p = probs(shape, 1)
    check_op(lambda x, p: F.cross_entropy(x, p, None if w is None else cr.tensor(w),
                                          reduction=reduction, label_smoothing=ls),
             lambda x, p: TF.cross_entropy(x, p, None if w is None else torch.tensor(w),
                                           reduction=reduction, label_smoothing=ls),
             [rand(shape), p])


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(shape: tuple[int, ...], reduction: str, weighted: bool) -> None:
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = class_targets(tshape, c)
    w = probs(c, 3) if weighted else None
    check_op(lambda x: F.nll_loss(x, cr.tensor(t), None if w is None else cr.tensor(w),
                                  reduction=reduction),
             lambda x: TF.nll_loss(x, torch.tensor(t), None if w is None else torch.tensor(w),
                                   reduction=reduction), [rand(shape)])
    t = class_targets(tshape, c, seed=1, ignore=0)
    check_op(lambda x: F.nll_loss(x, cr.tensor(t), ignore_index=0, reduction=reduction),
             lambda x: TF.nll_loss(x, torch.tensor(t), ignore_index=0, reduction=reduction),
             [rand(shape)])


@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_nan_and_zero_gradient_as_torch(fn: str, ls: float) -> None:
    kwargs = {"label_smoothing": ls} if fn == "cross_entropy" else {}
    if ls and fn == "nll_loss":
        return
    x = cr.tensor(rand((3, 4)), requires_grad=True)
    loss = getattr(F, fn)(x, cr.tensor([-100, -100, -100]), **kwargs)
    loss.backward()
    assert np.isnan(loss.item())
    assert x.grad.tolist() == np.zeros((3, 4)).tolist()


def test_cross_entropy_of_huge_logits_is_finite_as_torch() -> None:
    x = np.array([[1e4, -1e4, 0.0], [3e3, 3e3, -5e3], [-1e5, -1e5, -1e5]])
    t = np.array([1, 0, 2])
    for ls in (0.0, 0.25):
        check_op(lambda x, ls=ls: F.cross_entropy(x, cr.tensor(t), label_smoothing=ls),
                 lambda x, ls=ls: TF.cross_entropy(x, torch.tensor(t), label_smoothing=ls), [x])


def test_cross_entropy_with_spread_logits_in_float32_matches_torch() -> None:
    """A spread over 88 overflows exp(x - mean) in float32: the max shift takes over."""
    x = np.array([[200.0, -200.0, 0.0, 3.0], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    t = np.array([2, 1])
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lc = F.cross_entropy(xc, cr.tensor(t), reduction="none")
    lt = TF.cross_entropy(xt, torch.tensor(t), reduction="none")
    np.testing.assert_allclose(lc.detach().numpy(), lt.detach().numpy(), rtol=1e-6)
    lc.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_cross_entropy_of_inf_logits_is_nan_as_torch() -> None:
    x = np.array([[np.inf, 0.0], [0.0, 1.0]])
    ours = F.cross_entropy(cr.tensor(x), cr.tensor([0, 1]), reduction="none")
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor([0, 1]), reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), equal_nan=True)


def test_float32_cross_entropy_is_close_to_torch() -> None:
    x = rand((64, 10)).astype(np.float32) * 4
    t = RNG.integers(0, 10, 64)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lc, lt = F.cross_entropy(xc, cr.tensor(t)), TF.cross_entropy(xt, torch.tensor(t))
    assert lc.dtype == cr.float32
    lc.backward()
    lt.backward()
    np.testing.assert_allclose(lc.item(), lt.item(), rtol=1e-6)
    assert xc.grad.dtype == cr.float32
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_cross_entropy_accepts_uint8_targets_and_names_its_node() -> None:
    x = cr.tensor(rand((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor([1, 2, 3], dtype=cr.uint8))
    theirs = TF.cross_entropy(torch.tensor(rand((3, 4))), torch.tensor([1, 2, 3],
                                                                       dtype=torch.uint8))
    np.testing.assert_allclose(loss.item(), theirs.item())
    assert loss.grad_fn.name() == "CrossEntropyBackward"


# ----- binary cross-entropy ---------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (3, 4), (4,)])
def test_binary_cross_entropy_matches_torch(reduction: str, weight_shape: object) -> None:
    w = None if weight_shape is None else probs(weight_shape, 5)
    check_op(lambda x, t: F.binary_cross_entropy(x, t, None if w is None else cr.tensor(w),
                                                 reduction=reduction),
             lambda x, t: TF.binary_cross_entropy(x, t, None if w is None else torch.tensor(w),
                                                  reduction=reduction),
             [probs((3, 4)), probs((3, 4), 1)])


def test_binary_cross_entropy_at_0_and_1_follows_torch_clamps() -> None:
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0])
    check_op(lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
             lambda x, t: TF.binary_cross_entropy(x, t, reduction="none"), [x, t],
             second_order=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_logits_matches_torch(reduction: str, weighted: bool,
                                                        pos_weighted: bool) -> None:
    x = rand((3, 4)) * 10
    x[0, :] = [-40.0, 40.0, -25.0, 25.0]  # far out on both sides, with either target
    t = probs((3, 4), 1)
    t[0, :] = [0.0, 0.0, 1.0, 1.0]
    w = probs((3, 1), 2) if weighted else None
    pw = probs(4, 3) * 3 if pos_weighted else None
    check_op(lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, None if w is None else cr.tensor(w), reduction=reduction,
        pos_weight=None if pw is None else cr.tensor(pw)),
        lambda x, t: TF.binary_cross_entropy_with_logits(
            x, t, None if w is None else torch.tensor(w), reduction=reduction,
            pos_weight=None if pw is None else torch.tensor(pw)), [x, t])


# ----- kl_div -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (5,)])
def test_kl_div_matches_torch(reduction: str, log_target: bool, shape: tuple[int, ...]) -> None:
    x = np.log(probs(shape))
    t = np.log(probs(shape, 1)) if log_target else probs(shape, 1)
    if not log_target:
        t.flat[0] = 0.0  # 0 log 0 = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'mean' warns, as torch
        check_op(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
                 lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
                 [x, t], second_order=log_target)
        check_op(lambda x: F.kl_div(x, cr.tensor(t), reduction=reduction, log_target=log_target),
                 lambda x: TF.kl_div(x, torch.tensor(t), reduction=reduction,
                                     log_target=log_target), [x])


def test_kl_div_mean_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(cr.randn(2, 3), cr.rand(2, 3))


# ----- gradcheck / gradgradcheck on small shapes ------------------------------------------------
def test_losses_pass_gradcheck_and_gradgradcheck() -> None:
    def leaf(a: np.ndarray) -> cr.Tensor:
        return cr.tensor(a, requires_grad=True)

    t_idx = cr.tensor([2, 0, -100])
    w = cr.tensor(probs(3, 4))
    cases = [
        (lambda x: F.cross_entropy(x, t_idx, w, label_smoothing=0.1), [rand((3, 3))]),
        (lambda x: F.cross_entropy(x, t_idx, reduction="none"), [rand((3, 3))]),
        (lambda x, p: F.cross_entropy(x, p, label_smoothing=0.2), [rand((3, 3)),
                                                                   probs((3, 3))]),
        (lambda x: F.nll_loss(x, t_idx, w), [rand((3, 3))]),
        (lambda x, t: F.binary_cross_entropy(x, t, w), [probs((2, 3)), probs((2, 3), 1)]),
        (lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=w),
         [rand((2, 3)), probs((2, 3))]),
        (lambda x, t: F.mse_loss(x, t), [rand((2, 3)), rand((2, 3), 1)]),
        (lambda x, t: F.smooth_l1_loss(x, t, beta=0.5), [rand((2, 3)), rand((2, 3), 1)]),
        (lambda x, t: F.huber_loss(x, t, delta=0.5), [rand((2, 3)), rand((2, 3), 1)]),
        (lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
         [rand((2, 3)), rand((2, 3), 1)]),
    ]
    for fn, arrays in cases:
        inputs = tuple(leaf(a) for a in arrays)
        assert cr.gradcheck(fn, inputs)
        assert cr.gradgradcheck(fn, inputs)


# ----- modules ----------------------------------------------------------------------------------
MODULES = [
    ("MSELoss", {}, "real"), ("L1Loss", {"reduction": "sum"}, "real"),
    ("SmoothL1Loss", {"beta": 0.5}, "real"), ("HuberLoss", {"delta": 0.5}, "real"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 1}, "index"),
    ("CrossEntropyLoss", {"weight": "w"}, "index"), ("CrossEntropyLoss", {}, "probs"),
    ("NLLLoss", {"weight": "w", "reduction": "none"}, "index"),
    ("BCELoss", {"weight": "w"}, "probs"), ("BCEWithLogitsLoss", {"pos_weight": "w"}, "probs"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "real"),
]


@pytest.mark.parametrize("name,kwargs,target", MODULES)
def test_loss_modules_match_torch(name: str, kwargs: dict, target: str) -> None:
    w = probs(4, 9)
    ours = getattr(nn, name)(**{k: cr.tensor(w) if v == "w" else v for k, v in kwargs.items()})
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(w) if v == "w" else v
                                        for k, v in kwargs.items()})
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), tsd[k].numpy())
    x = probs((5, 4)) if name == "BCELoss" else rand((5, 4))
    t = {"real": rand((5, 4), 1), "probs": probs((5, 4), 1),
         "index": RNG.integers(0, 4, 5)}[target]
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lc, lt = ours(xc, cr.tensor(t)), theirs(xt, torch.tensor(t))
    np.testing.assert_allclose(lc.detach().numpy(), lt.detach().numpy(), rtol=1e-10)
    lc.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_loss_module_weight_is_a_buffer_that_follows_dtype() -> None:
    m = nn.CrossEntropyLoss(weight=cr.ones(3))
    assert [n for n, _ in m.named_buffers()] == ["weight"]
    m.double()
    assert m.weight.dtype == cr.float64
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# ----- errors -----------------------------------------------------------------------------------
def test_class_losses_refuse_bad_targets_as_torch() -> None:
    x = cr.randn(3, 5)
    for fn in (F.cross_entropy, F.nll_loss):
        raises_with(ValueError, lambda fn=fn: fn(x, cr.tensor([1, 2])),
                    "Expected input batch_size (3) to match target batch_size (2)")
        raises_with(IndexError, lambda fn=fn: fn(x, cr.tensor([1, 2, 7])), "target 7",
                    "5 classes")
        raises_with(IndexError, lambda fn=fn: fn(x, cr.tensor([1, -3, 2])), "target -3",
                    "5 classes")
        raises_with(RuntimeError, lambda fn=fn: fn(x, cr.tensor([1, 2, 3], dtype=cr.int32)),
                    "Long", "int32")
        raises_with(RuntimeError, lambda fn=fn: fn(x, cr.tensor([1, 2, 3]), cr.ones(4)),
                    "all 5 classes", "[4]")
        raises_with(RuntimeError, lambda fn=fn: fn(cr.randn(3, 5, 2), cr.tensor([[1, 2, 1]] * 3)),
                    "[3, 2]", "[3, 3]")
        raises_with(RuntimeError, lambda fn=fn: fn(x, cr.tensor([1, 2, 3]),
                                                   cr.ones(5, requires_grad=True)), "weight")
    raises_with(RuntimeError, lambda: F.nll_loss(x, cr.tensor([1.0, 2.0, 3.0])), "Long",
                "float32")
    raises_with(RuntimeError, lambda: F.cross_entropy(x, cr.tensor([1, 2, 3]),
                                                      label_smoothing=1.5),
                "label_smoothing must be between 0.0 and 1.0")
    raises_with(RuntimeError, lambda: F.cross_entropy(x, cr.rand(3, 5), ignore_index=1),
                "ignore_index is not supported for floating point target")
    raises_with(RuntimeError, lambda: F.cross_entropy(x, cr.zeros(3, 5, dtype=cr.int64)),
                "floating point type for target with class probabilities")
    raises_with(ValueError, lambda: F.cross_entropy(x, cr.tensor([1, 2, 3]), reduction="avg"),
                "avg is not a valid value for reduction")
    raises_with(ValueError, lambda: F.nll_loss(cr.tensor(1.0), cr.tensor(0)), "1 or more")
    raises_with(NotImplementedError, lambda: F.cross_entropy(cr.tensor([[1, 2]]), cr.tensor([0])),
                "int64")


def test_other_losses_refuse_bad_input_as_torch() -> None:
    raises_with(ValueError, lambda: F.binary_cross_entropy(cr.rand(3), cr.rand(3, 1)),
                "target size", "different to the input size")
    raises_with(RuntimeError, lambda: F.binary_cross_entropy(cr.rand(3) + 1, cr.rand(3)),
                "between 0 and 1")
    raises_with(RuntimeError, lambda: F.binary_cross_entropy(cr.rand(3), cr.rand(3),
                                                             cr.ones(3, requires_grad=True)),
                "weight")
    raises_with(ValueError, lambda: F.binary_cross_entropy_with_logits(cr.rand(3),
                                                                       cr.rand(3, 1)),
                "Target size", "must be the same as input size")
    raises_with(RuntimeError, lambda: F.binary_cross_entropy_with_logits(
        cr.rand(3), cr.rand(3), pos_weight=cr.ones(3, requires_grad=True)), "pos_weight")
    raises_with(RuntimeError, lambda: F.smooth_l1_loss(cr.rand(3), cr.rand(3), beta=-1),
                "negative values for beta")
    raises_with(RuntimeError, lambda: F.huber_loss(cr.rand(3), cr.rand(3), delta=0),
                "non-positive values for delta")
    raises_with(ValueError, lambda: F.mse_loss(cr.rand(3), cr.rand(3), weight=cr.rand(2)),
                "same size")
    raises_with(ValueError, lambda: F.kl_div(cr.rand(3), cr.rand(3), reduction="avg"),
                "not a valid value for reduction")
    raises_with(ValueError, lambda: nn.MSELoss(reduction="avg")(cr.rand(3), cr.rand(3)),
                "avg is not a valid value")
    raises_with(TypeError, lambda: F.mse_loss([1.0], cr.rand(1)), "mse_loss", "Tensor")
    raises_with(NotImplementedError, lambda: F.mse_loss(cr.tensor([1]), cr.tensor([2])),
                "int64")


# ----- a PyTorch program, only the import changed -----------------------------------------------
def test_classifier_training_program_matches_torch() -> None:
    """An MLP classifier trained with CrossEntropyLoss (weights, label smoothing) and SGD by
    hand: the same losses step by step."""
    x = rand((16, 6))
    y = RNG.integers(0, 4, 16)
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    state = {k: v.detach().numpy().astype(np.float64) for k, v in ref.state_dict().items()}

    def program(m: object) -> list[float]:
        model = m.nn.Sequential(m.nn.Linear(6, 8), m.nn.ReLU(), m.nn.Linear(8, 4)).double()
        model.load_state_dict({k: m.tensor(v) for k, v in state.items()})
        criterion = m.nn.CrossEntropyLoss(weight=m.tensor([1.0, 2.0, 0.5, 1.0],
                                                          dtype=m.float64), label_smoothing=0.1)
        losses = []
        for _ in range(5):
            loss = criterion(model(m.tensor(x)), m.tensor(y))
            model.zero_grad()
            loss.backward()
            with m.no_grad():
                for p in model.parameters():
                    p -= 0.5 * p.grad
            losses.append(loss.item())
        return losses

    np.testing.assert_allclose(program(cr), program(torch), rtol=1e-8)
