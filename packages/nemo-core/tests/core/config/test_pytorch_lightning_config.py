"""TrainerConfig mirrors the installed Lightning Trainer's arguments and feeds pl.Trainer directly."""

import dataclasses
import inspect

import pytest
import pytorch_lightning as pl
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from nemo.core.config.pytorch_lightning import TrainerConfig

# Trainer arguments deliberately left out of the config (objects/callables that YAML cannot express). Empty: the
# object-valued ones (logger, callbacks, plugins, profiler) are kept as ``Any`` so a config can at least disable them.
EXCLUDED: set = set()


def _trainer_params():
    params = dict(inspect.signature(pl.Trainer.__init__).parameters)
    params.pop("self")
    return {name: p for name, p in params.items() if name not in EXCLUDED}


def test_fields_are_exactly_the_trainer_arguments():
    fields = [f.name for f in dataclasses.fields(TrainerConfig)]
    assert set(fields) == set(_trainer_params())
    assert len(fields) == len(set(fields))


def test_defaults_equal_the_trainer_defaults():
    for f in dataclasses.fields(TrainerConfig):
        assert f.default == _trainer_params()[f.name].default, f.name


def test_structured_config_builds_a_trainer(tmp_path):
    cfg = OmegaConf.structured(
        TrainerConfig(accelerator="cpu", max_epochs=2, logger=False, default_root_dir=str(tmp_path))
    )
    trainer = pl.Trainer(**cfg)
    assert trainer.max_epochs == 2
    assert trainer.max_steps == -1
    assert trainer.check_val_every_n_epoch == 1
    assert trainer.logger is None


def test_typed_fields_reject_wrong_values():
    cfg = OmegaConf.structured(TrainerConfig)
    cfg.max_epochs = "7"  # convertible strings are converted, as on the Hydra CLI
    assert cfg.max_epochs == 7
    with pytest.raises(ValidationError):
        cfg.max_epochs = "seven"
    with pytest.raises(ValidationError):
        cfg.enable_checkpointing = "maybe"
    cfg.devices = [0, 1]  # union-typed arguments accept every form Lightning accepts
    cfg.precision = "bf16-mixed"
    assert list(cfg.devices) == [0, 1] and cfg.precision == "bf16-mixed"


def test_registered_in_the_config_store_as_trainer_group():
    node = ConfigStore.instance().load("trainer/trainer.yaml").node
    assert OmegaConf.to_container(node) == dataclasses.asdict(TrainerConfig())
