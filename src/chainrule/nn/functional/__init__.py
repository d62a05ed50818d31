"""chainrule.nn.functional: the math of the layers and losses as functions (torch.nn.functional).

One module per topic; each lists its public functions in ``__all__``, re-exported here.
"""

import sys as _sys

from chainrule.nn.functional.activation import *  # noqa: F403
from chainrule.nn.functional.attention import *  # noqa: F403
from chainrule.nn.functional.conv import *  # noqa: F403
from chainrule.nn.functional.dropout import *  # noqa: F403
from chainrule.nn.functional.embedding import *  # noqa: F403
from chainrule.nn.functional.linear import *  # noqa: F403
from chainrule.nn.functional.loss import *  # noqa: F403
from chainrule.nn.functional.norm import *  # noqa: F403
from chainrule.nn.functional.pooling import *  # noqa: F403
from chainrule.nn.functional.rnn import *  # noqa: F403

__all__: list[str] = []
# by module name: the star imports rebound ``linear``, ``dropout`` and ``embedding`` here to the
# functions (F.linear is a function, as PyTorch's)
for _name in ("activation", "attention", "conv", "dropout", "embedding", "linear", "loss", "norm",
              "pooling", "rnn"):
    __all__ += _sys.modules[f"{__name__}.{_name}"].__all__
