"""The tensor engine: Tensor over NumPy arrays with PyTorch's autograd semantics.

Each ops module lists its public functions in ``__all__``; they are re-exported here (and from
``chainrule``), and importing the modules registers their Tensor methods.
"""

from chainrule.tensor import creation, ops
from chainrule.tensor.backend import (
    ALIASES,
    DType,
    bool_,
    can_cast,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)
from chainrule.tensor.backward import grad
from chainrule.tensor.creation import *  # noqa: F403
from chainrule.tensor.devices import device
from chainrule.tensor.function import Function
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
    default_generator,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    get_rng_state,
    linspace,
    manual_seed,
    numpy_names,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)

__all__ = [
    "DType",
    "Function",
    "Generator",
    "GradcheckError",
    "Size",
    "Tensor",
    "arange",
    "bool_",
    "can_cast",
    "default_generator",
    "device",
    "empty",
    "empty_like",
    "eye",
    "finfo",
    "float16",
    "float32",
    "float64",
    "full",
    "full_like",
    "get_default_dtype",
    "get_rng_state",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "iinfo",
    "int8",
    "int16",
    "int32",
    "int64",
    "linspace",
    "manual_seed",
    "ones",
    "ones_like",
    "promote_types",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "result_type",
    "set_default_dtype",
    "set_rng_state",
    "tensor",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "zeros",
    "zeros_like",
]
# PyTorch's other dtype names (chainrule.float is float32, chainrule.long int64, chainrule.bool
# the bool dtype): module attributes, left out of __all__ so that a star import does not shadow
# the builtins float, int and bool
globals().update(ALIASES)
for _module in (creation, ops.compare, ops.convert, ops.elementwise, ops.grid, ops.index,
                ops.linalg, ops.movement, ops.reduce, ops.sort):
    __all__ += _module.__all__
    for _name in _module.__all__:  # axis= / keepdims= accepted, as PyTorch's functions do
        globals()[_name] = numpy_names(globals()[_name])
