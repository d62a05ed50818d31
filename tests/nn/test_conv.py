"""Convolutions against torch (float64): F.conv1d/2d/3d, F.conv_transpose1d/2d, F.unfold/fold
(values, gradients, second derivatives), gradcheck/gradgradcheck, the Conv and ConvTranspose
modules with torch's weights loaded by name (outputs, input and parameter gradients, reprs,
state dicts, padding modes, init), and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF  # noqa: N812
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F  # noqa: N812
from chainrule import nn
from tests.tensor.oracle import SETTINGS, check_op, raises_with, rand

# torch warns that 'same' padding with an even kernel copies the input: not our concern here
pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")]


def paired(ours: nn.Module, theirs: torch.nn.Module) -> tuple[nn.Module, torch.nn.Module]:
    """Both float64, ours holding torch's weights (loaded by name through numpy)."""
    theirs = theirs.double()
    ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def compare(ours: nn.Module, theirs: torch.nn.Module, x: np.ndarray, **kwargs: object) -> None:
    """Outputs, input gradients and parameter gradients equal torch's (rtol 1e-8)."""
    xc = cr.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, tout = ours(xc, **kwargs), theirs(xt, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-8,
                               atol=1e-12)
    g = rand(tuple(tout.shape), seed=7)
    out.backward(cr.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def same_state_dict_layout(ours: nn.Module, theirs: torch.nn.Module) -> None:
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert str(sd[k].dtype).split(".")[1] == str(tsd[k].dtype).split(".")[1], k


# ----- functional: values, gradients, second derivatives --------------------------------------
# (input shape, weight shape, bias, kwargs)
CONV1D = [
    ((2, 4, 9), (6, 4, 3), True, {}),
    ((1, 3, 8), (5, 3, 4), False, {}),  # batch 1, even kernel
    ((2, 4, 11), (6, 2, 3), True, dict(stride=2, padding=1, dilation=2, groups=2)),
    ((2, 3, 10), (4, 3, 4), True, dict(padding="same")),  # even kernel: odd pad goes after
    ((2, 3, 10), (4, 3, 3), True, dict(padding="same", dilation=3)),
    ((2, 3, 7), (4, 3, 3), True, dict(padding="valid", stride=3)),
    ((3, 8), (4, 3, 3), True, dict(padding=2, stride=2)),  # unbatched (C, L)
    ((2, 6, 6), (6, 1, 2), True, dict(groups=6, padding=(1,))),  # depthwise
    ((2, 2, 5), (3, 2, 1), True, dict(padding=2)),  # 1x1 kernel, padding beyond its reach
    ((2, 1, 7), (4, 1, 3), True, dict(padding=1)),  # stride 1, input grad by col2im (O > 2C)
    ((0, 3, 6), (2, 3, 3), True, {}),  # empty batch
    ((2, 3, 5), (4, 3, 5), True, {}),  # kernel as long as the input
]

CONV2D = [
    ((2, 3, 6, 5), (4, 3, 3, 3), True, {}),
    ((1, 4, 7, 8), (6, 2, 3, 2), True, dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                                            groups=2)),
    ((2, 3, 6, 6), (4, 3, 2, 4), False, dict(padding="same")),
    ((2, 3, 5, 6), (4, 3, 3, 3), True, dict(padding="same", dilation=2)),
    ((3, 5, 5), (2, 3, 3, 3), True, dict(stride=2, padding=1)),  # unbatched (C, H, W)
    ((2, 4, 5, 5), (4, 1, 3, 3), True, dict(groups=4, padding=1)),
    ((2, 2, 4, 4), (3, 2, 1, 1), True, dict(stride=2)),
]


def _conv_case(fn: str, tfn: object, case: tuple, transposed: bool = False) -> None:
    xs, ws, bias, kw = case
    out_channels = ws[1] * kw.get("groups", 1) if transposed else ws[0]
    arrays = [rand(xs, 1), rand(ws, 2)] + ([rand((out_channels,), 3)] if bias else [])
    check_op(lambda *a: getattr(F, fn)(*a, **kw), lambda *a: tfn(*a, **kw), arrays)


@pytest.mark.parametrize("case", CONV1D)
def test_conv1d_matches_torch(case: tuple) -> None:
    _conv_case("conv1d", TF.conv1d, case)


@pytest.mark.parametrize("case", CONV2D)
def test_conv2d_matches_torch(case: tuple) -> None:
    _conv_case("conv2d", TF.conv2d, case)


def test_conv3d_matches_torch() -> None:
    _conv_case("conv3d", TF.conv3d, ((1, 2, 4, 3, 4), (4, 1, 2, 2, 3), True,
                                     dict(padding=(1, 0, 1), stride=(1, 2, 1), groups=2)))


@given(st.data())
@SETTINGS
def test_conv1d_hypothesis(data: st.DataObject) -> None:
    draw = data.draw
    groups = draw(st.sampled_from([1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, 2))
    length = draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 8))
    n = draw(st.integers(0, 2))
    bias = draw(st.booleans())
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    _conv_case("conv1d", TF.conv1d, ((n, cin, length), (cout, cin // groups, k), bias, kw))


# (input shape, weight shape (in, out/groups, *k), bias, kwargs)
TRANSPOSE1D = [
    ((2, 4, 5), (4, 3, 3), True, {}),
    ((2, 4, 5), (4, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 6), (4, 1, 4), False, dict(stride=3, groups=2, dilation=2, output_padding=2)),
    ((2, 2, 4), (2, 3, 3), True, dict(dilation=3, output_padding=2)),  # output_padding >= stride
    ((4, 5), (4, 2, 2), True, dict(stride=2)),  # unbatched
    ((2, 3, 3), (3, 2, 3), True, dict(padding=2)),
]
TRANSPOSE2D = [
    ((2, 4, 3, 4), (4, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 2, 2, 3), True, dict(stride=(1, 2), groups=2, dilation=(2, 1))),
    ((3, 4, 4), (3, 2, 3, 3), False, dict(padding=1)),
]


@pytest.mark.parametrize("case", TRANSPOSE1D)
def test_conv_transpose1d_matches_torch(case: tuple) -> None:
    _conv_case("conv_transpose1d", TF.conv_transpose1d, case, transposed=True)


@pytest.mark.parametrize("case", TRANSPOSE2D)
def test_conv_transpose2d_matches_torch(case: tuple) -> None:
    _conv_case("conv_transpose2d", TF.conv_transpose2d, case, transposed=True)


@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 5, 6), dict(kernel_size=(2, 3), padding=1, stride=2)),
    ((2, 5, 5), dict(kernel_size=2, dilation=2)),  # unbatched
    ((1, 2, 4, 4), dict(kernel_size=3, padding=1)),
])
def test_unfold_and_fold_match_torch(shape: tuple, kw: dict) -> None:
    check_op(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), [rand(shape)])
    cols = TF.unfold(torch.tensor(rand(shape)), **kw)
    size = shape[-2:]
    check_op(lambda c: F.fold(c, size, **kw), lambda c: TF.fold(c, size, **kw),
             [rand(tuple(cols.shape), 4)])


def test_unfold_of_a_one_by_one_kernel_is_a_copy_as_torch() -> None:
    x, xt = cr.arange(12.0).reshape(1, 3, 2, 2), torch.arange(12.0).reshape(1, 3, 2, 2)
    cols, cols_t = F.unfold(x, 1), TF.unfold(xt, 1)
    x.add_(100.0)
    xt.add_(100.0)
    np.testing.assert_array_equal(cols.numpy(), cols_t.numpy())  # not x's new values
    cols.mul_(2.0)  # writable
    np.testing.assert_array_equal(cols.numpy(), 2 * cols_t.numpy())


def test_gradcheck_and_gradgradcheck() -> None:
    x = cr.tensor(rand((1, 4, 4, 3)), requires_grad=True)
    w = cr.tensor(rand((4, 2, 3, 2), 1), requires_grad=True)
    b = cr.tensor(rand((4,), 2), requires_grad=True)

    def conv(x: cr.Tensor, w: cr.Tensor, b: cr.Tensor) -> cr.Tensor:
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)

    def transposed(x: cr.Tensor, w: cr.Tensor, b: cr.Tensor) -> cr.Tensor:
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)

    for fn in (conv, transposed):
        assert cr.gradcheck(fn, (x, w, b))
        assert cr.gradgradcheck(fn, (x, w, b))
    x1 = cr.tensor(rand((1, 3, 6)), requires_grad=True)
    w1 = cr.tensor(rand((2, 3, 3), 1), requires_grad=True)
    assert cr.gradgradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), (x1, w1))


def test_third_derivative_through_the_three_primitives() -> None:
    # d/dx of d/dw of d/dx <conv(x, w)^2>: each rule's rule's rule, against torch
    def run(lib: object, fn: object, x: object, w: object) -> np.ndarray:
        y = (fn(x, w, padding=1, stride=2) ** 2).sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True) if lib is torch else \
            cr.grad(y, x, create_graph=True)
        grad = torch.autograd.grad if lib is torch else cr.grad
        (gw,) = grad((gx ** 2).sum(), w, create_graph=True)
        (gxx,) = grad((gw ** 3).sum(), x)
        return gxx.detach().numpy()

    xa, wa = rand((2, 2, 6)), rand((3, 2, 3), 1)
    ours = run(cr, F.conv1d, cr.tensor(xa, requires_grad=True), cr.tensor(wa, requires_grad=True))
    theirs = run(torch, TF.conv1d, torch.tensor(xa, requires_grad=True),
                 torch.tensor(wa, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_float32_and_integer_inputs() -> None:
    x, w, b = rand((2, 3, 8, 8)), rand((4, 3, 3, 3), 1), rand((4,), 2)
    ours = F.conv2d(cr.tensor(x, dtype=cr.float32), cr.tensor(w, dtype=cr.float32),
                    cr.tensor(b, dtype=cr.float32), padding=1)
    theirs = TF.conv2d(torch.tensor(x).float(), torch.tensor(w).float(),
                       torch.tensor(b).float(), padding=1)
    assert ours.dtype == cr.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
    xi = np.arange(2 * 3 * 7).reshape(2, 3, 7) % 5 - 2
    wi = np.arange(4 * 3 * 3).reshape(4, 3, 3) % 3 - 1
    ours = F.conv1d(cr.tensor(xi), cr.tensor(wi), stride=2, padding=1)
    theirs = TF.conv1d(torch.tensor(xi), torch.tensor(wi), stride=2, padding=1)
    assert ours.dtype == cr.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_non_contiguous_input_and_saved_input_written_in_place() -> None:
    x = rand((4, 3, 9)).transpose(0, 2, 1).copy().transpose(0, 2, 1)  # (4, 3, 9), strided
    w = rand((2, 3, 3), 1)
    check_op(lambda x, w: F.conv1d(x.transpose(1, 2).transpose(1, 2), w, padding=1),
             lambda x, w: TF.conv1d(x.transpose(1, 2).transpose(1, 2), w, padding=1), [x, w])
    xc = cr.tensor(rand((2, 3, 9)))
    wc = cr.tensor(w, requires_grad=True)
    y = F.conv1d(xc, wc)
    xc.add_(1.0)  # the weight gradient reads x: torch raises, so do we
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


# ----- modules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, args, kwargs, shape", [
    ("Conv1d", (4, 6, 3), {}, (2, 4, 9)),
    ("Conv1d", (4, 6, 4), dict(stride=2, padding=2, dilation=2, groups=2, bias=False), (1, 4, 12)),
    ("Conv1d", (4, 6, 3), dict(padding="same", padding_mode="reflect"), (2, 4, 9)),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="circular"), (4, 9)),
    ("Conv1d", (3, 2, 3), dict(padding=2, padding_mode="replicate"), (2, 3, 5)),
    ("Conv1d", (25, 32, 5), {}, (3, 25, 40)),  # the MNIST-1D CNN's layer
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 6, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), groups=2), (2, 4, 7, 6)),
    ("Conv2d", (2, 4, 3), dict(padding="same", padding_mode="reflect", dilation=2), (2, 5, 6)),
    ("Conv2d", (3, 4, 2), dict(padding="valid"), (1, 3, 4, 5)),
    ("Conv3d", (2, 2, 2), dict(padding=1), (1, 2, 3, 3, 3)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5)),
    ("ConvTranspose1d", (4, 6, 3), dict(groups=2, dilation=2, bias=False), (4, 5)),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 3, 4)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(stride=(1, 2), groups=2), (1, 4, 3, 3)),
])
def test_conv_modules_match_torch(cls: str, args: tuple, kwargs: dict, shape: tuple) -> None:
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "groups", "padding_mode", "output_padding", "transposed",
                 "_reversed_padding_repeated_twice"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    compare(*paired(ours, theirs), rand(shape))


def test_conv_transpose_output_size() -> None:
    ours, theirs = paired(nn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(
        3, 2, 3, stride=2))
    x = rand((1, 3, 4, 5))
    for size in ([10, 11], [1, 2, 9, 12], (9, 11)):
        compare(ours, theirs, x, output_size=size)
    raises_with(ValueError, lambda: ours(cr.tensor(x), output_size=[12, 11]), "ConvTranspose2d",
                "valid sizes range from [9, 11] to [10, 12]")


def test_state_dict_round_trip_through_torch() -> None:
    ours = nn.Conv2d(3, 4, 3, padding=1, dtype=cr.float64)
    theirs = torch.nn.Conv2d(3, 4, 3, padding=1).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rand((2, 3, 5, 5))
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("cls, args", [("Conv1d", (6, 40, 5)), ("Conv2d", (6, 40, (3, 2))),
                                       ("ConvTranspose1d", (40, 6, 5)),
                                       ("Conv2d", (6, 42, 3, 1, 0, 1, 3))])
def test_init_bounds(cls: str, args: tuple) -> None:
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias alike
    cr.manual_seed(0)
    m = getattr(nn, cls)(*args)
    w = m.weight.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    assert m.weight.dtype == cr.float32 and m.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.1 * bound
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.3 * bound
    assert nn.Conv1d(2, 3, 3, dtype=cr.float64).weight.dtype == cr.float64


# ----- errors -----------------------------------------------------------------------------------
def test_bad_inputs_name_the_layer_and_shapes() -> None:
    conv = nn.Conv1d(25, 32, 5)
    layer = "Conv1d(25, 32, kernel_size=(5,), stride=(1,))"
    # a 2-d input is one unbatched (C, L) sample, as in torch: its channel count is wrong here
    raises_with(RuntimeError, lambda: conv(cr.randn(100, 40)), layer, "(25, L)", "(100, 40)")
    raises_with(RuntimeError, lambda: conv(cr.randn(100, 24, 40)), layer, "(N, 25, L)",
                "(100, 24, 40)")
    raises_with(RuntimeError, lambda: conv(cr.randn(40)), layer, "2D (unbatched) or 3D", "(40,)")
    raises_with(RuntimeError, lambda: conv(cr.randn(2, 25, 3)), layer, "kernel size")
    raises_with(RuntimeError, lambda: nn.Conv2d(3, 4, 3)(cr.randn(2, 4, 8, 8)), "Conv2d(3, 4",
                "(N, 3, H, W)", "(2, 4, 8, 8)")
    raises_with(RuntimeError, lambda: nn.ConvTranspose1d(4, 2, 3)(cr.randn(2, 3, 5)),
                "ConvTranspose1d(4, 2", "(N, 4, L)", "(2, 3, 5)")
    raises_with(RuntimeError, lambda: conv(cr.randn(2, 25, 40, dtype=cr.float64)), layer,
                "same dtype")
    # what torch accepts, we accept: an unbatched sample
    assert conv(cr.randn(25, 40)).shape == (32, 36)


def test_functional_errors() -> None:
    x, w = cr.randn(2, 4, 10), cr.randn(6, 4, 3)
    raises_with(RuntimeError, lambda: F.conv1d(x, cr.randn(6, 2, 3), groups=3), "conv1d",
                "6 channels")
    raises_with(RuntimeError, lambda: F.conv1d(x, cr.randn(5, 2, 3), groups=2), "divisible")
    raises_with(RuntimeError, lambda: F.conv1d(x, cr.randn(6, 4)), "3D weight")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, cr.randn(5)), "bias of shape (6,)")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, stride=2, padding="same"), "strided")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, padding="full"), "'full'")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, padding=-1), "negative padding")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, stride=0), "non-positive stride")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, dilation=0), "non-positive dilation")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, groups=0), "non-positive groups")
    raises_with(RuntimeError, lambda: F.conv1d(x, w, stride=(1, 2)), "list of 1 values")
    raises_with(TypeError, lambda: F.conv1d(x, w, stride=1.5), "stride")
    raises_with(TypeError, lambda: F.conv1d([1.0], w), "input", "list")
    raises_with(NotImplementedError, lambda: F.conv1d(x.bool(), w.bool()), "bool")
    raises_with(RuntimeError, lambda: F.conv_transpose1d(x, cr.randn(4, 6, 3), stride=2,
                                                         output_padding=2), "output padding")
    raises_with(TypeError, lambda: F.conv_transpose1d(x, cr.randn(4, 6, 3), padding="same"),
                "padding")
    raises_with(RuntimeError, lambda: F.fold(cr.randn(1, 8, 15), (5, 5), 2), "16", "(1, 8, 15)")
    raises_with(RuntimeError, lambda: F.fold(cr.randn(1, 7, 16), (5, 5), 2), "divisible")
    raises_with(RuntimeError, lambda: F.unfold(cr.randn(1, 2, 5, 5), 6), "at least one")
    assert F.conv_transpose1d(cr.randn(2, 4, 2), cr.randn(4, 6, 1), padding=1).shape == (2, 6, 0)


def test_constructor_errors() -> None:
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, groups=3), "in_channels", "divisible")
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, groups=4), "out_channels", "divisible")
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, groups=0), "positive")
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, padding="full"), "'full'")
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, padding="same", stride=2), "strided")
    raises_with(ValueError, lambda: nn.Conv1d(4, 6, 3, padding_mode="mirror"), "padding_mode")
    raises_with(ValueError, lambda: nn.ConvTranspose1d(4, 6, 3, padding_mode="reflect"),
                "zeros")


def test_mnist1d_style_cnn_matches_torch() -> None:
    # the MNIST-1D CNN's shape: strided Conv1d + ReLU layers, then a linear read-out; the same
    # code builds both models
    def build(lib: object) -> object:
        nn_ = lib.nn
        return nn_.Sequential(
            nn_.Conv1d(1, 8, 5, stride=2, padding=1), nn_.ReLU(),
            nn_.Conv1d(8, 8, 3, stride=2, padding=1), nn_.ReLU(),
            nn_.Conv1d(8, 8, 3, stride=2, padding=1), nn_.ReLU(),
            nn_.MaxPool1d(2), nn_.Flatten(), nn_.Linear(16, 10))

    ours, theirs = build(cr), build(torch)
    same_state_dict_layout(ours, theirs)
    assert repr(ours) == repr(theirs)
    compare(*paired(ours, theirs), rand((4, 1, 40)))


def test_unfold_and_fold_modules_match_torch() -> None:
    x = rand((2, 3, 5, 6))
    ours, theirs = nn.Unfold((2, 3), padding=1, stride=2), torch.nn.Unfold((2, 3), padding=1,
                                                                            stride=2)
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, x)
    cols = rand(tuple(theirs(torch.tensor(x)).shape), 2)
    ours, theirs = nn.Fold((5, 6), (2, 3), padding=1, stride=2), torch.nn.Fold(
        (5, 6), (2, 3), padding=1, stride=2)
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, cols)
