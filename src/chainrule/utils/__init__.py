"""PyTorch's ``torch.utils`` names: ``chainrule.utils.data`` is ``chainrule.data``."""

import sys

from chainrule import data

sys.modules[__name__ + ".data"] = data  # `import chainrule.utils.data` and `from ... import`

__all__ = ["data"]
