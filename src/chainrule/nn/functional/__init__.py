"""chainrule.nn.functional: the math of the layers and losses as functions (torch.nn.functional).

One module per topic; each lists its public functions in ``__all__``, re-exported here.
"""

from chainrule.nn.functional import (
    activation,
    attention,
    conv,
    dropout,
    embedding,
    linear,
    loss,
    norm,
    pooling,
    rnn,
)
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
for _module in (activation, attention, conv, dropout, embedding, linear, loss, norm, pooling, rnn):
    __all__ += _module.__all__
