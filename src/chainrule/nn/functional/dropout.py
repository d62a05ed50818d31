"""chainrule.nn.functional.dropout: (filled in by the nn issue's work)."""

__all__: list[str] = []
