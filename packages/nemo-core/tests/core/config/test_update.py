"""update_model_config: a user's config layered onto NemoConfig dataclass defaults."""

from dataclasses import dataclass, field
from typing import Optional

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError

from nemo.core.classes.dataset import DatasetConfig
from nemo.core.config.modelPT import ModelConfig, NemoConfig, OptimConfig, SchedConfig
from nemo.core.config.update import update_model_config


@dataclass
class ToyDatasetConfig(DatasetConfig):
    file_name: Optional[str] = None


@dataclass
class ToyModelConfig(ModelConfig):
    hidden: int = 8
    train_ds: Optional[ToyDatasetConfig] = field(default_factory=lambda: ToyDatasetConfig(batch_size=4))
    validation_ds: Optional[ToyDatasetConfig] = field(default_factory=lambda: ToyDatasetConfig(batch_size=4))
    test_ds: Optional[ToyDatasetConfig] = None
    optim: Optional[OptimConfig] = field(
        default_factory=lambda: OptimConfig(name="sgd", sched=SchedConfig(name="WarmupPolicy", min_lr=1e-6))
    )


@dataclass
class ToyConfig(NemoConfig):
    name: str = "toy"
    model: ToyModelConfig = field(default_factory=ToyModelConfig)


@dataclass
class BareModelConfig:
    """A model section that declares none of the optional sub-configs."""

    hidden: int = 8


@dataclass
class BareConfig(NemoConfig):
    model: BareModelConfig = field(default_factory=BareModelConfig)


USER_YAML = """
name: my_run
trainer:
  max_epochs: 3
model:
  target: my.models.ToyModel   # written by ModelPT into every saved config
  hidden: 16
  train_ds:
    file_name: train.txt
    batch_size: 64
  test_ds:
    file_name: test.txt
  optim:
    name: adam
    lr: 0.1
    betas: [0.9, 0.98]
    sched:
      name: CosineAnnealing
      warmup_steps: 10
"""


def test_user_values_win_and_dataclass_fills_the_rest():
    cfg = update_model_config(ToyConfig, OmegaConf.create(USER_YAML))
    assert cfg.name == "my_run"
    assert cfg.trainer.max_epochs == 3 and cfg.trainer.enable_checkpointing is False
    assert cfg.model.hidden == 16
    assert "target" not in cfg.model  # the dataclass does not declare it
    assert OmegaConf.to_container(cfg.model.train_ds) == {
        "batch_size": 64,
        "drop_last": False,
        "shuffle": False,
        "num_workers": None,
        "pin_memory": True,
        "file_name": "train.txt",
    }
    # Absent from the user's config: dropped, so no validation loader gets set up.
    assert "validation_ds" not in cfg.model
    # Declared as None in the dataclass: the user's section is validated against its type and completed.
    assert cfg.model.test_ds.file_name == "test.txt" and cfg.model.test_ds.batch_size == 32


def test_subconfigs_the_dataclass_does_not_declare_are_added_as_given():
    cfg = update_model_config(BareConfig, OmegaConf.create(USER_YAML))
    assert cfg.model.hidden == 16
    assert OmegaConf.to_container(cfg.model.test_ds) == {"file_name": "test.txt"}
    assert OmegaConf.to_container(cfg.model.train_ds) == {"file_name": "train.txt", "batch_size": 64}
    assert cfg.model.optim.sched.warmup_steps == 10


def test_optim_and_sched_take_optimizer_specific_keys():
    cfg = update_model_config(ToyConfig(), OmegaConf.create(USER_YAML))
    assert OmegaConf.to_container(cfg.model.optim) == {
        "name": "adam",
        "lr": 0.1,
        "betas": [0.9, 0.98],
        "sched": {"name": "CosineAnnealing", "warmup_steps": 10, "min_lr": 1e-6, "last_epoch": -1},
    }


def test_partial_optim_keeps_dataclass_values():
    cfg = update_model_config(ToyConfig, {"model": {"optim": {"lr": 0.5}}})
    assert OmegaConf.to_container(cfg.model.optim) == {
        "lr": 0.5,
        "name": "sgd",
        "sched": {"name": "WarmupPolicy", "min_lr": 1e-6, "last_epoch": -1},
    }
    assert "train_ds" not in cfg.model and "validation_ds" not in cfg.model


def test_keep_missing_subconfigs():
    cfg = update_model_config(ToyConfig, OmegaConf.create({"model": {"hidden": 2}}), drop_missing_subconfigs=False)
    assert cfg.model.train_ds.batch_size == 4 and cfg.model.validation_ds.batch_size == 4
    assert cfg.model.optim.name == "sgd"
    assert cfg.model.test_ds is None


def test_result_keeps_the_dataclass_type_checks():
    cfg = update_model_config(ToyConfig, {"model": {"hidden": 2}})
    with pytest.raises(ValidationError):
        cfg.model.hidden = "big"
    with pytest.raises(ValidationError):
        update_model_config(ToyConfig, {"model": {"hidden": "big"}})
    with pytest.raises(ConfigKeyError, match="not_a_key"):
        update_model_config(ToyConfig, {"model": {"train_ds": {"not_a_key": 1}}})


def test_structured_dictconfig_is_accepted_and_not_modified():
    base = OmegaConf.structured(ToyConfig)
    cfg = update_model_config(base, {"model": {"hidden": 32}})
    assert cfg.model.hidden == 32
    assert base.model.hidden == 8 and "validation_ds" in base.model


def test_update_cfg_is_not_modified():
    user = OmegaConf.create(USER_YAML)
    update_model_config(ToyConfig, user)
    assert user.model.target == "my.models.ToyModel"


def test_bad_arguments():
    with pytest.raises(ValueError, match="must be a NemoConfig dataclass or a structured DictConfig, got dict"):
        update_model_config({"model": {}}, {"model": {}})
    with pytest.raises(ValueError, match="update_cfg must have a 'model' section"):
        update_model_config(ToyConfig, {"trainer": {}})


@pytest.mark.parametrize(
    "model_cls",
    [NemoConfig(model=ModelConfig()), NemoConfig(), NemoConfig],
    ids=["model-defaults", "model-missing", "dataclass-type"],
)
def test_optim_declared_as_none_takes_the_users_optim(model_cls):
    # ModelConfig.optim is Optional[OptimConfig] = None: a plain dict there used to be refused (ValidationError).
    cfg = update_model_config(model_cls, {"model": {"optim": {"name": "adam"}}})
    assert OmegaConf.to_container(cfg.model) == {"optim": {"name": "adam", "sched": None}}
    assert OmegaConf.get_type(cfg.model.optim) is OptimConfig
    with pytest.raises(ValidationError):
        cfg.model.optim.sched = "CosineAnnealing"  # still an OptimConfig: sched must be a SchedConfig


def test_optimizer_and_scheduler_keys_on_top_of_none_defaults():
    user = {"model": {"optim": {"name": "adam", "lr": 0.1, "sched": {"name": "CosineAnnealing", "warmup_steps": 10}}}}
    for model_cfg in (ModelConfig(), ModelConfig(optim=OptimConfig(name="sgd"))):  # optim None, then sched None
        cfg = update_model_config(NemoConfig(name="run", model=model_cfg), user)
        assert OmegaConf.to_container(cfg.model.optim) == {
            "name": "adam",
            "lr": 0.1,
            "sched": {"name": "CosineAnnealing", "min_lr": 0.0, "last_epoch": -1, "warmup_steps": 10},
        }
        assert OmegaConf.get_type(cfg.model.optim.sched) is SchedConfig
        with pytest.raises(ValidationError):
            cfg.model.optim.sched.min_lr = "low"
