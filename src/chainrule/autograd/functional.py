"""``chainrule.autograd.functional``: PyTorch's ``torch.autograd.functional`` (jacobian,
hessian, vjp, jvp, hvp, vhp): the functions of ``chainrule.func``. ``chainrule.autograd`` loads
this module (and so the tensor engine) on first use of ``autograd.functional``."""

from chainrule.func import hessian, hvp, jacobian, jvp, vhp, vjp

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
