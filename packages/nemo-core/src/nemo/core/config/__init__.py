"""Structured configs of NeMo: model, trainer, optimizer and scheduler dataclasses, and ``hydra_runner``.

Importing this package loads omegaconf and Hydra (it is not imported by ``import nemo.core``).
"""

from nemo.core.classes.dataset import DatasetConfig
from nemo.core.config.hydra_runner import hydra_runner
from nemo.core.config.modelPT import (
    HydraConfig,
    ModelConfig,
    ModelConfigBuilder,
    NemoConfig,
    OptimConfig,
    SchedConfig,
)
from nemo.core.config.optimizers import *  # noqa: F403
from nemo.core.config.optimizers import __all__ as _optimizers_all
from nemo.core.config.pytorch_lightning import TrainerConfig
from nemo.core.config.schedulers import *  # noqa: F403
from nemo.core.config.schedulers import __all__ as _schedulers_all
from nemo.core.config.trainer_compat import map_legacy_trainer_keys
from nemo.core.config.training_recipe import make_trainer, run_test_on_one_device, train_then_test
from nemo.core.config.update import update_model_config

__all__ = [
    "hydra_runner",
    "DatasetConfig",
    "HydraConfig",
    "ModelConfig",
    "ModelConfigBuilder",
    "NemoConfig",
    "OptimConfig",
    "SchedConfig",
    "TrainerConfig",
    "map_legacy_trainer_keys",
    "make_trainer",
    "run_test_on_one_device",
    "train_then_test",
    "update_model_config",
    *_optimizers_all,
    *_schedulers_all,
]
