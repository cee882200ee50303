"""Root of NeMo's own exception hierarchy, so callers can catch every NeMo-specific error at once."""

__all__ = ["NeMoBaseException"]


class NeMoBaseException(Exception):
    """Base class of the exceptions NeMo raises for its own misconfiguration errors."""
