"""A quiet, deterministic CPU Lightning ``Trainer`` for tests.

Lightning is imported when a trainer is made, not when this module is imported.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import pytorch_lightning as pl

__all__ = ["QUIET_CPU_TRAINER_DEFAULTS", "quiet_cpu_trainer"]

QUIET_CPU_TRAINER_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
        "log_every_n_steps": 1,
        "deterministic": True,
    }
)
"""The keyword arguments ``quiet_cpu_trainer`` passes to ``Trainer`` unless overridden."""


def quiet_cpu_trainer(**overrides: Any) -> pl.Trainer:
    """A Lightning ``Trainer`` on one CPU device: no logger, checkpoints, progress bar, model summary or sanity
    validation; logs every step; deterministic algorithms. ``overrides`` replace or add ``Trainer`` arguments.

    ``deterministic=True`` makes Lightning call ``torch.use_deterministic_algorithms(True)``, which is process-wide;
    ``nemo.core.testing.pytest_plugin`` restores the previous setting after each test.
    """
    import pytorch_lightning as pl

    return pl.Trainer(**{**QUIET_CPU_TRAINER_DEFAULTS, **overrides})
