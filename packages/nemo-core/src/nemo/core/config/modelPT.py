"""Structured configs for a whole NeMo experiment (``NemoConfig``) and for the ``model`` part of it.

These dataclasses are the Python face of the YAML layout every NeMo example uses (``name``, ``trainer``,
``exp_manager``, ``model`` with ``train_ds``/``validation_ds``/``test_ds``/``optim``). Collections subclass
``ModelConfig`` for their models, and ``ModelConfigBuilder`` subclasses assemble such configs from parts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from omegaconf import MISSING

from nemo.core.classes.dataset import DatasetConfig
from nemo.core.config.optimizers import OptimizerParams
from nemo.core.config.pytorch_lightning import TrainerConfig
from nemo.core.config.schedulers import SchedulerParams

__all__ = ["SchedConfig", "OptimConfig", "ModelConfig", "HydraConfig", "NemoConfig", "ModelConfigBuilder"]


@dataclass
class SchedConfig:
    """The keys every ``optim.sched`` section has; scheduler-specific keys come from its ``*Params`` dataclass."""

    name: str = MISSING
    min_lr: float = 0.0
    last_epoch: int = -1


@dataclass
class OptimConfig:
    """The keys every ``optim`` section has; optimizer-specific keys come from its ``*Params`` dataclass."""

    name: str = MISSING
    sched: Optional[SchedConfig] = None


@dataclass
class ModelConfig:
    """The ``model`` section shared by all ModelPT models: data and optimization; architectures add their own keys."""

    train_ds: Optional[DatasetConfig] = None
    validation_ds: Optional[DatasetConfig] = None
    test_ds: Optional[DatasetConfig] = None
    optim: Optional[OptimConfig] = None


@dataclass
class HydraConfig:
    """Hydra settings NeMo scripts need: run in the current directory and let NeMo's logger own the console."""

    run: Dict[str, Any] = field(default_factory=lambda: {"dir": "."})
    job_logging: Dict[str, Any] = field(default_factory=lambda: {"root": {"handlers": None}})


def _default_trainer() -> TrainerConfig:
    # exp_manager provides the loggers and the checkpoint callback, so the Trainer must not create its own.
    # NeMo 1 also set accelerator="ddp"; Lightning 2's "auto" strategy picks DDP itself when several devices are used.
    return TrainerConfig(enable_checkpointing=False, logger=False, log_every_n_steps=1)


@dataclass
class NemoConfig:
    """A complete experiment: name, model, Lightning Trainer arguments, exp_manager settings and Hydra settings."""

    name: str = MISSING
    model: ModelConfig = MISSING
    trainer: TrainerConfig = field(default_factory=_default_trainer)
    # Free-form here: nemo.core sits below nemo-expmanager, whose exp_manager() validates it against ExpManagerConfig.
    exp_manager: Optional[Any] = field(default_factory=dict)
    hydra: HydraConfig = field(default_factory=HydraConfig)


def _params_as_dict(params: Any) -> Dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}


class ModelConfigBuilder:
    """Assemble a ``ModelConfig`` from parts: datasets, optimizer and scheduler params.

    Subclasses implement ``_finalize_cfg`` to fill in the values that depend on each other (e.g. feature sizes shared
    by preprocessor and encoder) and narrow ``build``'s return type to their config class::

        builder = MyModelConfigBuilder()
        builder.set_train_ds(MyDatasetConfig(batch_size=16))
        builder.set_optim(AdamParams(lr=1e-3), CosineAnnealingParams(warmup_steps=100))
        model_cfg = builder.build()
    """

    def __init__(self, model_cfg: ModelConfig):
        self.model_cfg = model_cfg

    def set_train_ds(self, cfg: Optional[DatasetConfig] = None) -> None:
        self.model_cfg.train_ds = cfg

    def set_validation_ds(self, cfg: Optional[DatasetConfig] = None) -> None:
        self.model_cfg.validation_ds = cfg

    def set_test_ds(self, cfg: Optional[DatasetConfig] = None) -> None:
        self.model_cfg.test_ds = cfg

    def set_optim(self, cfg: OptimizerParams, sched_cfg: Optional[SchedulerParams] = None) -> None:
        """Use the optimizer described by ``cfg`` (e.g. ``AdamParams(lr=0.1)`` -> ``name: adam``) and the optional
        scheduler ``sched_cfg`` (e.g. ``CosineAnnealingParams()`` -> ``sched.name: CosineAnnealing``).

        The resulting ``optim`` node is a dataclass with the ``OptimConfig`` keys plus every field of the params class,
        so the model's optimizer setup receives all of them.
        """
        if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
            raise TypeError(f"set_optim: cfg must be an optimizer params dataclass instance, got {cfg!r}")
        params_cls = type(cfg)
        optim_cls = dataclasses.make_dataclass(f"{params_cls.__name__}OptimConfig", [], bases=(OptimConfig, params_cls))
        optim = optim_cls(name=params_cls.__name__.replace("Params", "").lower(), **_params_as_dict(cfg))
        if sched_cfg is not None:
            if not dataclasses.is_dataclass(sched_cfg) or isinstance(sched_cfg, type):
                raise TypeError(
                    f"set_optim: sched_cfg must be a scheduler params dataclass instance, got {sched_cfg!r}"
                )
            sched_params_cls = type(sched_cfg)
            sched_cls = dataclasses.make_dataclass(
                f"{sched_params_cls.__name__}SchedConfig", [], bases=(SchedConfig, sched_params_cls)
            )
            optim.sched = sched_cls(name=sched_params_cls.__name__.replace("Params", ""), **_params_as_dict(sched_cfg))
        self.model_cfg.optim = optim

    def _finalize_cfg(self) -> None:
        """Update ``self.model_cfg`` with every value that depends on other parts; subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement _finalize_cfg()")

    def build(self) -> ModelConfig:
        """Finalize and return the model config."""
        self._finalize_cfg()
        return self.model_cfg
