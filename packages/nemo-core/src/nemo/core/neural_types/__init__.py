"""Neural types (filled in by the neural-types module set)."""

__all__: list = []
