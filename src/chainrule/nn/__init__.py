"""chainrule.nn: modules, layers, losses and initialisation with PyTorch's names (torch.nn).

Modules are thin (state in ``__init__``, the math in ``chainrule.nn.functional``); each module
file lists its classes in ``__all__``, re-exported here.
"""

from chainrule.nn import (
    activation,
    attention,
    conv,
    dropout,
    embedding,
    flatten,
    functional,
    init,
    linear,
    loss,
    module,
    norm,
    pooling,
    rnn,
    utils,
)
from chainrule.nn.activation import *  # noqa: F403
from chainrule.nn.attention import *  # noqa: F403
from chainrule.nn.conv import *  # noqa: F403
from chainrule.nn.dropout import *  # noqa: F403
from chainrule.nn.embedding import *  # noqa: F403
from chainrule.nn.flatten import *  # noqa: F403
from chainrule.nn.linear import *  # noqa: F403
from chainrule.nn.loss import *  # noqa: F403
from chainrule.nn.module import *  # noqa: F403
from chainrule.nn.norm import *  # noqa: F403
from chainrule.nn.pooling import *  # noqa: F403
from chainrule.nn.rnn import *  # noqa: F403

__all__: list[str] = ["functional", "init", "utils"]
for _module in (activation, attention, conv, dropout, embedding, flatten, linear, loss, module,
                norm, pooling, rnn):
    __all__ += _module.__all__
