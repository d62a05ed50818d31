"""The tensor engine: Tensor over NumPy arrays with PyTorch's autograd semantics.

Each ops module lists its public functions in ``__all__``; they are re-exported here (and from
``chainrule``), and importing the modules registers their Tensor methods.
"""

from chainrule.tensor import creation, ops
from chainrule.tensor.backend import (
    DType,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from chainrule.tensor.creation import *  # noqa: F403
from chainrule.tensor.devices import device
from chainrule.tensor.function import Function, grad
from chainrule.tensor.gradcheck import GradcheckError, gradcheck, gradgradcheck
from chainrule.tensor.ops.compare import *  # noqa: F403
from chainrule.tensor.ops.convert import *  # noqa: F403
from chainrule.tensor.ops.elementwise import *  # noqa: F403
from chainrule.tensor.ops.grid import *  # noqa: F403
from chainrule.tensor.ops.index import *  # noqa: F403
from chainrule.tensor.ops.linalg import *  # noqa: F403
from chainrule.tensor.ops.movement import *  # noqa: F403
from chainrule.tensor.ops.reduce import *  # noqa: F403
from chainrule.tensor.ops.sort import *  # noqa: F403
from chainrule.tensor.size import Size
from chainrule.tensor.tensor import (
    Generator,
    Tensor,
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)

__all__ = [
    "DType", "Function", "Generator", "GradcheckError", "Size", "Tensor", "arange", "bool_",
    "device", "empty", "empty_like", "eye", "float16", "float32", "float64", "full",
    "full_like", "grad", "gradcheck", "gradgradcheck", "int8", "int16", "int32", "int64",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "rand_like", "randint", "randn",
    "randn_like", "tensor", "uint8", "zeros", "zeros_like",
]
for _module in (creation, ops.compare, ops.convert, ops.elementwise, ops.grid, ops.index,
                ops.linalg, ops.movement, ops.reduce, ops.sort):
    __all__ += _module.__all__
