"""Structured configs of NeMo: model, trainer, optimizer and scheduler dataclasses, and ``hydra_runner``.

The optimizer and scheduler params (what restoring a model needs) are imported with the package; the rest, which
loads Hydra (``hydra_runner``, ``TrainerConfig`` and the configs built on it) or Lightning, on first access. It is not
imported by ``import nemo.core``.
"""

from nemo.core._lazy import lazy_exports
from nemo.core.config.optimizers import *  # noqa: F403
from nemo.core.config.optimizers import __all__ as _optimizers_all
from nemo.core.config.schedulers import *  # noqa: F403
from nemo.core.config.schedulers import __all__ as _schedulers_all

_LAZY = {
    "hydra_runner": "nemo.core.config.hydra_runner",
    "DatasetConfig": "nemo.core.classes.dataset",
    **dict.fromkeys(
        ["HydraConfig", "ModelConfig", "ModelConfigBuilder", "NemoConfig", "OptimConfig", "SchedConfig"],
        "nemo.core.config.modelPT",
    ),
    "TrainerConfig": "nemo.core.config.pytorch_lightning",
    "map_legacy_trainer_keys": "nemo.core.config.trainer_compat",
    **dict.fromkeys(["make_trainer", "run_test_on_one_device", "train_then_test"], "nemo.core.config.training_recipe"),
    "update_model_config": "nemo.core.config.update",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [*_LAZY, *_optimizers_all, *_schedulers_all]
