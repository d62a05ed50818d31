"""chainrule.nn.functional.attention: (filled in by the nn issue's work)."""

__all__: list[str] = []
