"""chainrule.nn.utils: gradient clipping and parameter/vector conversion (torch.nn.utils)."""

__all__: list[str] = []
