"""gradcheck / gradgradcheck: they pass right derivatives and catch wrong ones, naming where."""

import pytest

import chainrule as cr


class WrongSquare(cr.Function):
    """x^2 with the derivative 2x + 0.01 on element 1 only: a subtly wrong rule."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data * x.data

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bump = cr.tensor([0.0, 0.01, 0.0], dtype=cr.float64)
        return g * 2 * x + bump * g


class DetachedSquare(cr.Function):
    """x^2 whose first derivative is right but built from detached data, so its own derivative
    (the second derivative of x^2) comes out 0 instead of 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data * x.data

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x.detach()


def x64(values=(1.0, -2.0, 0.5)):
    return cr.tensor(list(values), dtype=cr.float64, requires_grad=True)


def test_right_derivatives_pass():
    assert cr.gradcheck(lambda x: (x * x).exp().sum(), x64())
    assert cr.gradgradcheck(lambda x: (x * x * x).tanh(), x64())
    assert cr.gradcheck(lambda a, b: a @ b, (cr.randn(2, 3, dtype=cr.float64).requires_grad_(),
                                              cr.randn(3, 2, dtype=cr.float64).requires_grad_()))


def test_wrong_first_derivative_is_named_by_input_and_element():
    with pytest.raises(cr.GradcheckError, match=r"input 0, element \(1,\)"):
        cr.gradcheck(WrongSquare.apply, x64())
    assert cr.gradcheck(WrongSquare.apply, x64(), raise_exception=False) is False


def test_wrong_second_derivative_is_caught_by_gradgradcheck_only():
    assert cr.gradcheck(DetachedSquare.apply, x64())
    with pytest.raises(cr.GradcheckError, match="Jacobian mismatch"):
        cr.gradgradcheck(DetachedSquare.apply, x64())
    assert cr.gradgradcheck(DetachedSquare.apply, x64(), raise_exception=False) is False


def test_inputs_must_be_float64_and_require_grad():
    with pytest.raises(ValueError, match="float32"):
        cr.gradcheck(lambda x: x * 2, cr.tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="no input requires grad"):
        cr.gradcheck(lambda x: x * 2, cr.tensor([1.0], dtype=cr.float64))


def test_gradcheck_leaves_its_input_unchanged():
    x = x64()
    before = x.detach().numpy().copy()
    cr.gradcheck(lambda t: t.sin(), x)
    assert (x.detach().numpy() == before).all()
