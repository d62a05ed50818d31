"""BatchNorm, InstanceNorm, LayerNorm, GroupNorm and their functionals against torch (float64,
weights copied by name): outputs, input and parameter gradients in train and eval mode, second
derivatives, running statistics over several steps, state dicts, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import check_op, raises_with, rand

pytestmark = pytest.mark.torch


def paired(ours: nn.Module, theirs: torch.nn.Module) -> tuple[nn.Module, torch.nn.Module]:
    """Both float64, ours holding torch's weights and buffers (loaded by name through NumPy)."""
    theirs = theirs.double()
    ours.double()
    with torch.no_grad():
        for p in theirs.parameters():  # not the trivial ones and zeros
            p.copy_(torch.tensor(rand(tuple(p.shape), seed=p.numel())))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def compare(ours: nn.Module, theirs: torch.nn.Module, x: np.ndarray, rtol: float = 1e-8) -> None:
    """Output, input gradient, parameter gradients and buffers equal torch's."""
    xc = cr.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, tout = ours(xc), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=1e-10)
    g = rand(tuple(tout.shape), seed=7)
    out.backward(cr.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=1e-10)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=rtol,
                                   atol=1e-10, err_msg=name)
    same_buffers(ours, theirs)


def same_buffers(ours: nn.Module, theirs: torch.nn.Module) -> None:
    tbufs = dict(theirs.named_buffers())
    assert [n for n, _ in ours.named_buffers()] == list(tbufs)
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), tbufs[name].numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def same_state_dict_layout(ours: nn.Module, theirs: torch.nn.Module) -> None:
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert str(sd[k].dtype).split(".")[1] == str(tsd[k].dtype).split(".")[1], k


# ----- functionals: values, gradients, second derivatives -------------------------------------
LN_CASES = [((4, 3, 5), (5,)), ((4, 3, 5), (3, 5)), ((2, 1), (1,)), ((6,), (6,)),
            ((0, 4), (4,)), ((2, 0, 3), (3,))]


@pytest.mark.parametrize("shape,ns", LN_CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_torch(shape: tuple[int, ...], ns: tuple[int, ...],
                                  affine: str) -> None:
    arrays = [rand(shape)]
    if affine != "none":
        arrays.append(rand(ns, seed=1))
    if affine == "both":
        arrays.append(rand(ns, seed=2))
    check_op(lambda x, *wb: F.layer_norm(x, ns, *wb, eps=1e-3),
             lambda x, *wb: TF.layer_norm(x, ns, *wb, eps=1e-3), arrays)


BN_SHAPES = [(5, 3), (4, 3, 6), (2, 3, 2, 4), (2, 3, 1, 1, 2), (3, 1)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape: tuple[int, ...], affine: bool) -> None:
    c = shape[1]
    arrays = [rand(shape)] + ([rand(c, seed=1), rand(c, seed=2)] if affine else [])
    check_op(lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True),
             lambda x, *wb: TF.batch_norm(x, None, None, *wb, training=True), arrays)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 2, 4), (0, 3, 2)])
def test_batch_norm_eval_matches_torch(shape: tuple[int, ...]) -> None:
    c = shape[1]
    mean, var = rand(c, seed=3), np.abs(rand(c, seed=4)) + 0.5
    check_op(lambda x, w, b: F.batch_norm(x, cr.tensor(mean), cr.tensor(var), w, b),
             lambda x, w, b: TF.batch_norm(x, torch.tensor(mean), torch.tensor(var), w, b),
             [rand(shape), rand(c, seed=1), rand(c, seed=2)])


def test_batch_norm_of_an_empty_batch_in_training_is_empty_and_keeps_the_statistics() -> None:
    rm, rv = cr.zeros(3, dtype=cr.float64), cr.ones(3, dtype=cr.float64)
    w = cr.tensor(rand(3), requires_grad=True)
    out = F.batch_norm(cr.tensor(rand((0, 3, 2))), rm, rv, w, training=True)
    assert out.shape == (0, 3, 2)
    out.sum().backward()
    assert w.grad.shape == (3,) and rm.tolist() == [0, 0, 0] and rv.tolist() == [1, 1, 1]


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((2, 6, 5), 1), ((2, 6, 5), 6),
                                          ((3, 4), 2), ((1, 4, 2, 3), 2), ((0, 4, 2), 2)])
def test_group_norm_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    c = shape[1]
    check_op(lambda x, w, b: F.group_norm(x, groups, w, b),
             lambda x, w, b: TF.group_norm(x, groups, w, b),
             [rand(shape), rand(c, seed=1), rand(c, seed=2)])
    check_op(lambda x: F.group_norm(x, groups), lambda x: TF.group_norm(x, groups),
             [rand(shape)])


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 2, 4), (1, 2, 3)])
def test_instance_norm_matches_torch(shape: tuple[int, ...]) -> None:
    c = shape[1]
    check_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
             lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
             [rand(shape), rand(c, seed=1), rand(c, seed=2)])
    mean, var = rand(c, seed=3), np.abs(rand(c, seed=4)) + 0.5
    check_op(lambda x: F.instance_norm(x, cr.tensor(mean), cr.tensor(var),
                                       use_input_stats=False),
             lambda x: TF.instance_norm(x, torch.tensor(mean), torch.tensor(var),
                                        use_input_stats=False), [rand(shape)])


def test_norms_pass_gradcheck_and_gradgradcheck() -> None:
    def leaf(shape: tuple[int, ...], seed: int) -> cr.Tensor:
        return cr.tensor(rand(shape, seed), requires_grad=True)

    cases = [
        (lambda x, w, b: F.layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,))),
        (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), ((4, 2, 3), (2,),
                                                                           (2,))),
        (lambda x, w, b: F.group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
        (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), ((2, 2, 3), (2,), (2,))),
    ]
    for fn, shapes in cases:
        inputs = tuple(leaf(s, i) for i, s in enumerate(shapes))
        assert cr.gradcheck(fn, inputs)
        assert cr.gradgradcheck(fn, inputs)


def test_layer_norm_third_derivative_matches_torch() -> None:
    x, w = rand((2, 5)), rand(5, seed=1)
    xc, wc = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gc,) = cr.grad((F.layer_norm(xc, (5,), wc) ** 3).sum(), [xc], create_graph=True)
    (gt,) = torch.autograd.grad((TF.layer_norm(xt, (5,), wt) ** 3).sum(), [xt], create_graph=True)
    (hc,) = cr.grad((gc * gc).sum(), [xc], create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), [xt], create_graph=True)
    (kc,) = cr.grad(hc.sin().sum(), [wc])
    (kt,) = torch.autograd.grad(ht.sin().sum(), [wt])
    np.testing.assert_allclose(kc.numpy(), kt.numpy(), rtol=1e-7, atol=1e-9)


def test_float32_layer_and_batch_norm_are_close_to_torch() -> None:
    x = rand((8, 4, 16)).astype(np.float32) * 3 + 5
    out = F.layer_norm(cr.tensor(x), (16,))
    assert out.dtype == cr.float32
    np.testing.assert_allclose(out.numpy(), TF.layer_norm(torch.tensor(x), (16,)).numpy(),
                               rtol=1e-4, atol=1e-5)
    out = F.batch_norm(cr.tensor(x), None, None, training=True)
    np.testing.assert_allclose(out.numpy(),
                               TF.batch_norm(torch.tensor(x), None, None, training=True).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_grad_fn_names_and_saved_buffers_freed_after_backward() -> None:
    x = cr.tensor(rand((3, 4)), requires_grad=True)
    assert F.layer_norm(x, (4,)).grad_fn.name() == "LayerNormBackward"
    out = F.batch_norm(x, None, None, training=True)
    assert out.grad_fn.name() == "BatchNormBackward"
    out.sum().backward()
    raises_with(RuntimeError, lambda: out.sum().backward(), "second time")


def test_in_place_write_to_a_saved_input_is_caught() -> None:
    x = cr.tensor(rand((3, 4)), requires_grad=True)
    y = x * 1
    out = F.layer_norm(y, (4,))
    with cr.no_grad():
        y.add_(1)
    raises_with(RuntimeError, lambda: out.sum().backward(), "modified by an in-place operation")


# ----- running statistics ---------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4), (2, 3, 2, 2)])
def test_batch_norm_running_statistics_follow_torch_over_steps(momentum: float | None,
                                                               shape: tuple[int, ...]) -> None:
    layer = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d"}[len(shape)]
    ours, theirs = paired(getattr(nn, layer)(3, momentum=momentum),
                          getattr(torch.nn, layer)(3, momentum=momentum))
    for step in range(4):
        compare(ours, theirs, rand(shape, seed=10 + step) * (step + 1) + step)
    assert ours.num_batches_tracked.item() == 4
    assert ours.num_batches_tracked.dtype == cr.int64
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rand(shape, seed=20))  # eval: the running statistics
    assert ours.num_batches_tracked.item() == 4


def test_functional_batch_norm_updates_the_running_statistics_as_torch() -> None:
    mean, var = rand(3, seed=1), np.abs(rand(3, seed=2)) + 0.5
    rm, rv = cr.tensor(mean.copy()), cr.tensor(var.copy())
    trm, trv = torch.tensor(mean.copy()), torch.tensor(var.copy())
    for step in range(3):
        x = rand((4, 3, 5), seed=step) + step
        F.batch_norm(cr.tensor(x), rm, rv, training=True, momentum=0.3)
        TF.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.3)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)  # unbiased variance


def test_instance_norm_running_statistics_follow_torch() -> None:
    ours, theirs = paired(nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
                          torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True))
    for step in range(3):
        compare(ours, theirs, rand((2, 3, 5), seed=step) + step)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rand((2, 3, 5), seed=9))


def test_running_statistics_are_updated_without_recording() -> None:
    m = nn.BatchNorm1d(3, dtype=cr.float64)
    m(cr.tensor(rand((4, 3)), requires_grad=True)).sum().backward()
    assert not m.running_mean.requires_grad and m.running_mean.grad_fn is None
    assert m.running_var._version > 0  # written in place


# ----- modules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"track_running_stats": False},
                                    {"affine": False, "track_running_stats": False},
                                    {"bias": False}, {"momentum": None, "eps": 1e-3}])
@pytest.mark.parametrize("layer,shape", [("BatchNorm1d", (5, 4)), ("BatchNorm1d", (3, 4, 6)),
                                         ("BatchNorm2d", (2, 4, 3, 3)),
                                         ("BatchNorm3d", (2, 4, 2, 1, 3))])
def test_batch_norm_modules_match_torch(kwargs: dict, layer: str, shape: tuple[int, ...]) -> None:
    ours, theirs = getattr(nn, layer)(4, **kwargs), getattr(torch.nn, layer)(4, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    ours, theirs = paired(ours, theirs)
    compare(ours, theirs, rand(shape))
    compare(ours, theirs, rand(shape, seed=1) * 2)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rand(shape, seed=2))


@pytest.mark.parametrize("kwargs", [{}, {"affine": True}, {"track_running_stats": True},
                                    {"affine": True, "bias": False}])
@pytest.mark.parametrize("layer,shape", [("InstanceNorm1d", (2, 4, 5)),
                                         ("InstanceNorm1d", (4, 5)),
                                         ("InstanceNorm2d", (2, 4, 2, 3))])
def test_instance_norm_modules_match_torch(kwargs: dict, layer: str,
                                           shape: tuple[int, ...]) -> None:
    ours, theirs = getattr(nn, layer)(4, **kwargs), getattr(torch.nn, layer)(4, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    ours, theirs = paired(ours, theirs)
    compare(ours, theirs, rand(shape))
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rand(shape, seed=2))


@pytest.mark.parametrize("ns,kwargs", [(5, {}), ((3, 5), {}), ([5], {"bias": False}),
                                       (5, {"elementwise_affine": False}), (5, {"eps": 0.1})])
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 5), (0, 3, 5)])
def test_layer_norm_module_matches_torch(ns: object, kwargs: dict, shape: tuple[int, ...]) -> None:
    ours, theirs = nn.LayerNorm(ns, **kwargs), torch.nn.LayerNorm(ns, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    compare(*paired(ours, theirs), rand(shape))


@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-2}])
@pytest.mark.parametrize("shape", [(2, 6), (2, 6, 5), (3, 6, 2, 2)])
def test_group_norm_module_matches_torch(kwargs: dict, shape: tuple[int, ...]) -> None:
    ours, theirs = nn.GroupNorm(3, 6, **kwargs), torch.nn.GroupNorm(3, 6, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    compare(*paired(ours, theirs), rand(shape))


def test_norm_modules_dtypes_and_defaults() -> None:
    m = nn.BatchNorm1d(3)
    assert m.weight.dtype == cr.float32 and m.running_var.dtype == cr.float32
    assert m.num_batches_tracked.dtype == cr.int64 and m.num_batches_tracked.shape == ()
    assert m.weight.tolist() == [1, 1, 1] and m.bias.tolist() == [0, 0, 0]
    assert m.running_mean.tolist() == [0, 0, 0] and m.running_var.tolist() == [1, 1, 1]
    m.double()
    assert m.running_mean.dtype == cr.float64 and m.num_batches_tracked.dtype == cr.int64
    assert nn.LayerNorm(4, dtype=cr.float64).weight.dtype == cr.float64
    assert nn.GroupNorm(2, 4, device="cpu").weight.shape == (4,)
    assert nn.LayerNorm(4).normalized_shape == (4,)


def test_batch_norm_state_dict_round_trips_through_torch() -> None:
    ours = nn.BatchNorm1d(3, dtype=cr.float64)
    for step in range(2):
        ours(cr.tensor(rand((4, 3), seed=step)))
    theirs = torch.nn.BatchNorm1d(3).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert theirs.num_batches_tracked.item() == 2
    ours.eval()
    theirs.eval()
    x = rand((4, 3), seed=5)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batch_norm_loads_an_old_state_dict_without_num_batches_tracked() -> None:
    m = nn.BatchNorm1d(3)
    sd = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
    sd = type(m.state_dict())(sd)
    sd._metadata = {"": {"version": 1}}
    m.load_state_dict(sd)  # no missing-key error
    assert m.num_batches_tracked.item() == 0


def test_norm_module_reset_parameters() -> None:
    m = nn.BatchNorm1d(3)
    m(cr.randn(4, 3))
    with cr.no_grad():
        m.weight.mul_(3)
    m.reset_parameters()
    assert m.weight.tolist() == [1, 1, 1] and m.running_mean.tolist() == [0, 0, 0]
    assert m.num_batches_tracked.item() == 0


# ----- errors ----------------------------------------------------------------------------------
def test_norm_layers_refuse_bad_inputs_naming_layer_and_shapes() -> None:
    raises_with(ValueError, lambda: nn.BatchNorm1d(3)(cr.randn(2, 3, 4, 5)), "BatchNorm1d",
                "expected 2D or 3D input (got 4D input)")
    raises_with(ValueError, lambda: nn.BatchNorm2d(3)(cr.randn(2, 3, 4)), "BatchNorm2d",
                "expected 4D input (got 3D input)")
    raises_with(RuntimeError, lambda: nn.BatchNorm1d(3)(cr.randn(2, 4, 5)), "BatchNorm1d(3)",
                "3 channels", "got 4 channels", "(2, 4, 5)")
    raises_with(RuntimeError, lambda: nn.BatchNorm2d(3)(cr.randn(2, 5, 2, 2)), "3 channels",
                "(2, 5, 2, 2)")
    raises_with(RuntimeError, lambda: nn.LayerNorm(3)(cr.randn(2, 4)), "LayerNorm((3,))",
                "(*, 3)", "(2, 4)")
    raises_with(RuntimeError, lambda: nn.LayerNorm((2, 3))(cr.randn(3)), "(*, 2, 3)", "(3,)")
    raises_with(RuntimeError, lambda: nn.GroupNorm(2, 4)(cr.randn(2, 3, 5)), "GroupNorm(2, 4)",
                "(N, 4, *)", "(2, 3, 5)")
    raises_with(ValueError, lambda: nn.GroupNorm(3, 4), "num_channels (4) must be divisible by "
                "num_groups (3)")
    raises_with(ValueError, lambda: nn.InstanceNorm1d(3, affine=True)(cr.randn(2, 4, 5)),
                "InstanceNorm1d", "num_features (3)", "got: 4")
    raises_with(ValueError, lambda: nn.InstanceNorm1d(3)(cr.randn(2, 3, 4, 5)),
                "expected 2D or 3D input (got 4D input)")
    raises_with(ValueError, lambda: nn.BatchNorm1d(3)(cr.randn(1, 3)),
                "Expected more than 1 value per channel when training", "(1, 3)")
    nn.BatchNorm1d(3).eval()(cr.randn(1, 3))  # eval: one value per channel is fine
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(cr.randn(2, 4, 5))
    raises_with(TypeError, lambda: nn.LayerNorm(3)([1.0, 2.0, 3.0]), "LayerNorm", "Tensor")


def test_norm_functionals_refuse_bad_arguments() -> None:
    x = cr.randn(2, 3)
    raises_with(RuntimeError, lambda: F.layer_norm(x, (4,)), "normalized_shape=[4]", "[*, 4]",
                "[2, 3]")
    raises_with(TypeError, lambda: F.layer_norm(x, 3), "normalized_shape", "tuple of ints")
    raises_with(RuntimeError, lambda: F.layer_norm(x, (3,), cr.ones(4)), "weight", "[4]")
    raises_with(RuntimeError, lambda: F.layer_norm(x, (3,), cr.ones(3, dtype=cr.float64)),
                "mixed dtypes", "float64")
    raises_with(RuntimeError, lambda: F.batch_norm(cr.randn(2, 4), cr.zeros(3), cr.ones(3),
                                                   training=True), "running_mean", "(3,)",
                "(2, 4)")
    raises_with(RuntimeError, lambda: F.batch_norm(x, None, None), "running_mean",
                "training=False")
    raises_with(TypeError, lambda: F.batch_norm(x, None, None, training=True, momentum=None),
                "momentum")
    raises_with(ValueError, lambda: F.batch_norm(cr.randn(1, 3), None, None, training=True),
                "more than 1 value per channel")
    raises_with(RuntimeError, lambda: F.group_norm(cr.randn(2, 6, 3), 4), "divisible by "
                "num_groups", "(2, 6, 3)", "num_groups=4")
    raises_with(RuntimeError, lambda: F.group_norm(cr.randn(2, 6, 3), 3, cr.ones(5)), "weight",
                "(6,)", "(5,)")
    raises_with(NotImplementedError, lambda: F.layer_norm(cr.tensor([[1, 2]]), (2,)), "int64")
    raises_with(TypeError, lambda: F.layer_norm([1.0], (1,)), "layer_norm", "Tensor")


# ----- a PyTorch program, only the import changed -----------------------------------------------
def test_batch_norm_mlp_program_matches_torch() -> None:
    def program(m: object, seed_arrays: list[np.ndarray]) -> list[float]:
        model = m.nn.Sequential(m.nn.Linear(4, 8), m.nn.BatchNorm1d(8), m.nn.Tanh(),
                                m.nn.Linear(8, 3), m.nn.LayerNorm(3))
        model.double()
        if m is cr:
            model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
        else:
            model.load_state_dict(ref.state_dict())
        losses = []
        for x in seed_arrays:
            out = model(m.tensor(x))
            loss = (out * out).mean()
            model.zero_grad()
            loss.backward()
            with m.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        model.eval()
        losses.append(model(m.tensor(seed_arrays[0])).sum().item())
        return losses

    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 3), torch.nn.LayerNorm(3)).double()
    arrays = [rand((6, 4), seed=s) for s in range(3)]
    np.testing.assert_allclose(program(cr, arrays), program(torch, arrays), rtol=1e-8)
