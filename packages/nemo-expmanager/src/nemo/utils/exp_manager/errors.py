"""Exceptions ``exp_manager`` raises when the Trainer, the config or the experiment folder do not fit together."""

from nemo.utils.exceptions import NeMoBaseException

__all__ = ["NotFoundError", "LoggerMisconfigurationError", "CheckpointMisconfigurationError"]


class NotFoundError(NeMoBaseException):
    """Auto-resume was asked for but there is nothing to resume from."""


class LoggerMisconfigurationError(NeMoBaseException):
    """The Trainer's own logger clashes with the loggers ``exp_manager`` was asked to create."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message + " You can disable lightning's trainer from creating a logger by passing logger=False to its "
            "constructor."
        )


class CheckpointMisconfigurationError(NeMoBaseException):
    """The Trainer's checkpointing clashes with the checkpoint callback ``exp_manager`` was asked to create."""
