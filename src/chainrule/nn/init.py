"""chainrule.nn.init: parameter initialisation with PyTorch's names, from chainrule's generator."""

__all__: list[str] = []
