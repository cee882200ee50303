"""Structured experiment/model configs and ModelConfigBuilder (the seed's "Dataclasses" section)."""

from dataclasses import dataclass, field
from typing import Optional

import pytest
import pytorch_lightning as pl
from omegaconf import MISSING, OmegaConf
from omegaconf.errors import MissingMandatoryValue, ValidationError

from nemo.core.classes.dataset import DatasetConfig
from nemo.core.config.modelPT import (
    HydraConfig,
    ModelConfig,
    ModelConfigBuilder,
    NemoConfig,
    OptimConfig,
    SchedConfig,
)
from nemo.core.config.optimizers import AdamParams, NovogradParams, RMSpropParams, SGDParams
from nemo.core.config.schedulers import CosineAnnealingParams, SquareAnnealingParams


@dataclass
class ToyDatasetConfig(DatasetConfig):
    manifest_filepath: Optional[str] = None


@dataclass
class ToyEncoderConfig:
    num_layers: int = 6
    hidden: int = 512


@dataclass
class ToyModelConfig(ModelConfig):
    encoder: ToyEncoderConfig = field(default_factory=ToyEncoderConfig)
    train_ds: Optional[ToyDatasetConfig] = field(default_factory=lambda: ToyDatasetConfig(batch_size=256, shuffle=True))
    num_classes: int = MISSING


@dataclass
class ToyConfig(NemoConfig):
    name: str = "Toy"
    model: ToyModelConfig = field(default_factory=ToyModelConfig)


class ToyModelConfigBuilder(ModelConfigBuilder):
    def __init__(self, num_classes: int):
        super().__init__(ToyModelConfig(num_classes=num_classes))

    def _finalize_cfg(self):
        # A value that depends on another part: the encoder grows with the number of classes.
        self.model_cfg.encoder.hidden = max(self.model_cfg.encoder.hidden, 8 * self.model_cfg.num_classes)

    def build(self) -> ToyModelConfig:
        return super().build()


def test_optim_and_sched_defaults():
    assert OmegaConf.to_container(OmegaConf.structured(SchedConfig)) == {"name": "???", "min_lr": 0.0, "last_epoch": -1}
    assert OmegaConf.to_container(OmegaConf.structured(OptimConfig)) == {"name": "???", "sched": None}
    assert OmegaConf.to_container(OmegaConf.structured(ModelConfig)) == {
        "train_ds": None,
        "validation_ds": None,
        "test_ds": None,
        "optim": None,
    }


def test_nemo_config_layout_and_defaults():
    cfg = OmegaConf.structured(NemoConfig)
    assert list(cfg) == ["name", "model", "trainer", "exp_manager", "hydra"]
    with pytest.raises(MissingMandatoryValue):
        _ = cfg.name
    assert OmegaConf.is_missing(cfg, "model")
    # exp_manager provides loggers and checkpoints, so the Trainer is told not to make its own.
    assert cfg.trainer.enable_checkpointing is False
    assert cfg.trainer.logger is False
    assert cfg.trainer.log_every_n_steps == 1
    assert cfg.trainer.max_steps == -1
    assert OmegaConf.to_container(cfg.hydra) == {"run": {"dir": "."}, "job_logging": {"root": {"handlers": None}}}
    assert OmegaConf.to_container(cfg.exp_manager) == {}
    cfg.exp_manager.exp_dir = "/tmp/exp"  # free-form: exp_manager() validates it later
    assert cfg.exp_manager.exp_dir == "/tmp/exp"


def test_dataclass_defaults_are_not_shared_between_instances():
    a, b = NemoConfig(), NemoConfig()
    a.trainer.max_epochs = 3
    a.hydra.run["dir"] = "elsewhere"
    assert b.trainer.max_epochs is None
    assert b.hydra.run == {"dir": "."}
    assert HydraConfig().run == {"dir": "."}


def test_python_config_like_the_seed_example(tmp_path):
    cfg = ToyConfig()
    # "The model configuration can be instantiated and modified like any Python Dataclass"
    cfg.model.encoder.num_layers = 8
    cfg.model.train_ds.batch_size = 8192
    cfg.model.num_classes = 10
    conf = OmegaConf.structured(cfg)
    assert conf.model.encoder.num_layers == 8
    assert conf.model.train_ds == {
        "batch_size": 8192,
        "drop_last": False,
        "shuffle": True,
        "num_workers": None,
        "pin_memory": True,
        "manifest_filepath": None,
    }
    with pytest.raises(ValidationError):
        conf.model.encoder.num_layers = "eight"
    trainer = pl.Trainer(**{**conf.trainer, "accelerator": "cpu", "default_root_dir": str(tmp_path)})
    assert trainer.checkpoint_callback is None and trainer.logger is None


def test_builder_assembles_a_model_config():
    builder = ToyModelConfigBuilder(num_classes=100)
    builder.set_train_ds(ToyDatasetConfig(manifest_filepath="/data/train.json", batch_size=4))
    builder.set_validation_ds(ToyDatasetConfig(manifest_filepath="/data/dev.json"))
    builder.set_test_ds(None)
    builder.set_optim(
        NovogradParams(lr=0.01, betas=(0.8, 0.5), weight_decay=0.001), CosineAnnealingParams(warmup_steps=1000)
    )
    cfg = builder.build()
    assert isinstance(cfg, ToyModelConfig)
    assert cfg.encoder.hidden == 800  # _finalize_cfg ran
    conf = OmegaConf.to_container(OmegaConf.structured(cfg))
    assert conf["train_ds"]["manifest_filepath"] == "/data/train.json" and conf["train_ds"]["batch_size"] == 4
    assert conf["validation_ds"]["batch_size"] == 32
    assert conf["test_ds"] is None
    assert conf["optim"] == {
        "lr": 0.01,
        "betas": [0.8, 0.5],
        "eps": 1e-8,
        "weight_decay": 0.001,
        "grad_averaging": False,
        "amsgrad": False,
        "luc": False,
        "luc_trust": 1e-3,
        "luc_eps": 1e-8,
        "name": "novograd",
        "sched": {
            "last_epoch": -1,
            "warmup_steps": 1000.0,
            "warmup_ratio": None,
            "min_lr": 0.0,
            "name": "CosineAnnealing",
        },
    }


@pytest.mark.parametrize(
    "params, name", [(AdamParams(lr=1e-3), "adam"), (SGDParams(lr=0.1), "sgd"), (RMSpropParams(lr=0.1), "rmsprop")]
)
def test_set_optim_names_the_optimizer_after_its_params_class(params, name):
    builder = ToyModelConfigBuilder(num_classes=1)
    builder.set_optim(params)
    optim = builder.build().optim
    assert isinstance(optim, OptimConfig) and isinstance(optim, type(params))
    assert optim.name == name and optim.lr == params.lr and optim.sched is None


def test_set_optim_keeps_the_scheduler_params_values():
    builder = ToyModelConfigBuilder(num_classes=1)
    builder.set_optim(AdamParams(lr=1e-3), SquareAnnealingParams())
    sched = builder.build().optim.sched
    assert isinstance(sched, SchedConfig) and sched.name == "SquareAnnealing"
    assert sched.min_lr == 1e-5  # the params' own default, not SchedConfig's 0.0


def test_set_optim_rejects_non_dataclass_instances():
    builder = ToyModelConfigBuilder(num_classes=1)
    with pytest.raises(TypeError, match="optimizer params dataclass instance"):
        builder.set_optim(AdamParams)
    with pytest.raises(TypeError, match="scheduler params dataclass instance"):
        builder.set_optim(AdamParams(lr=0.1), {"name": "CosineAnnealing"})


def test_base_builder_requires_finalize():
    with pytest.raises(NotImplementedError, match="ModelConfigBuilder must implement _finalize_cfg"):
        ModelConfigBuilder(ModelConfig()).build()
