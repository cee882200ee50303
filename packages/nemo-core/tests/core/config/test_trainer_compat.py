"""map_legacy_trainer_keys: NeMo 1 / Lightning 1.x trainer sections become Lightning 2 Trainer arguments."""

import logging as std_logging

import pytest
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.strategies import DDPStrategy

from nemo.core.config.trainer_compat import LEGACY_TRAINER_KEYS, map_legacy_trainer_keys
from nemo.core.testing import run_if

# The trainer section of the seed's example YAML.
SEED_TRAINER = """
trainer:
    gpus: 1 # number of gpus per node
    num_nodes: 1 # number of nodes
    max_epochs: 10 # how many training epochs to run
    val_check_interval: 1.0 # run validation after every epoch
"""

# The trainer section NeMo 1 example configs (e.g. examples/asr/conf/config.yaml) use.
NEMO1_EXAMPLE_TRAINER = {
    "gpus": 0,
    "num_nodes": 1,
    "max_epochs": 5,
    "max_steps": None,
    "val_check_interval": 1.0,
    "accelerator": "ddp",
    "accumulate_grad_batches": 1,
    "checkpoint_callback": False,
    "logger": False,
    "log_every_n_steps": 1,
    "amp_level": "O1",
    "precision": 32,
    "weights_summary": None,
    "progress_bar_refresh_rate": 10,
    "resume_from_checkpoint": None,
    "flush_logs_every_n_steps": 100,
    "terminate_on_nan": False,
}


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == std_logging.WARNING]


def test_seed_trainer_yaml_maps_gpus_to_accelerator_and_devices(caplog):
    cfg = OmegaConf.create(SEED_TRAINER)
    out = map_legacy_trainer_keys(cfg.trainer)
    assert isinstance(out, DictConfig)
    assert OmegaConf.to_container(out) == {
        "num_nodes": 1,
        "max_epochs": 10,
        "val_check_interval": 1.0,
        "accelerator": "gpu",
        "devices": 1,
    }
    assert cfg.trainer.gpus == 1  # the input is left untouched
    (message,) = _warnings(caplog)
    assert "'gpus'" in message and "accelerator='gpu'" in message and "devices=1" in message


def test_seed_trainer_yaml_builds_a_cpu_trainer_with_gpus_0(tmp_path):
    cfg = OmegaConf.create(SEED_TRAINER)
    cfg.trainer.gpus = 0
    trainer = pl.Trainer(**map_legacy_trainer_keys(cfg.trainer), logger=False, default_root_dir=str(tmp_path))
    assert trainer.max_epochs == 10
    assert trainer.num_devices == 1
    assert type(trainer.accelerator).__name__ == "CPUAccelerator"


@pytest.mark.gpu
@run_if(min_cuda_gpus=1)
def test_seed_trainer_yaml_builds_a_gpu_trainer(tmp_path):
    cfg = OmegaConf.create(SEED_TRAINER)
    trainer = pl.Trainer(**map_legacy_trainer_keys(cfg.trainer), logger=False, default_root_dir=str(tmp_path))
    assert type(trainer.accelerator).__name__ == "CUDAAccelerator"
    assert trainer.num_devices == 1


def test_nemo1_example_trainer_section_builds_a_trainer(caplog, tmp_path):
    out = map_legacy_trainer_keys(OmegaConf.create(NEMO1_EXAMPLE_TRAINER))
    assert OmegaConf.to_container(out) == {
        "num_nodes": 1,
        "max_epochs": 5,
        "max_steps": -1,
        "val_check_interval": 1.0,
        "accumulate_grad_batches": 1,
        "logger": False,
        "log_every_n_steps": 1,
        "precision": 32,
        "strategy": "ddp",
        "accelerator": "cpu",
        "enable_checkpointing": False,
        "enable_model_summary": False,
        "enable_progress_bar": True,
        "detect_anomaly": False,
    }
    legacy = {"gpus", "accelerator", "checkpoint_callback", "amp_level", "weights_summary"}
    legacy |= {"progress_bar_refresh_rate", "resume_from_checkpoint", "flush_logs_every_n_steps", "terminate_on_nan"}
    warned = _warnings(caplog)
    assert len(warned) == len(legacy)  # one warning per legacy key, each naming it
    for key in legacy:
        assert any(f"legacy key '{key}'" in m for m in warned), key

    trainer = pl.Trainer(**out, default_root_dir=str(tmp_path))
    assert isinstance(trainer.strategy, DDPStrategy)
    assert trainer.checkpoint_callback is None
    assert trainer.max_steps == -1 and trainer.max_epochs == 5
    assert trainer.logger is None


@pytest.mark.parametrize(
    "legacy, expected, words",
    [
        ({"gpus": 2}, {"accelerator": "gpu", "devices": 2}, ["'gpus'", "devices=2"]),
        ({"gpus": -1}, {"accelerator": "gpu", "devices": -1}, ["'gpus'"]),
        ({"gpus": [0, 3]}, {"accelerator": "gpu", "devices": [0, 3]}, ["'gpus'"]),
        ({"gpus": "0,1"}, {"accelerator": "gpu", "devices": [0, 1]}, ["'gpus'"]),
        ({"gpus": "2"}, {"accelerator": "gpu", "devices": 2}, ["'gpus'"]),
        ({"gpus": None}, {"accelerator": "cpu"}, ["'gpus'", "accelerator='cpu'"]),
        ({"gpus": 0, "num_processes": 3}, {"accelerator": "cpu", "devices": 3}, ["'num_processes'"]),
        ({"num_processes": 4}, {"accelerator": "cpu", "devices": 4}, ["'num_processes'"]),
        ({"tpu_cores": 8}, {"accelerator": "tpu", "devices": 8}, ["'tpu_cores'"]),
        ({"distributed_backend": "ddp"}, {"strategy": "ddp"}, ["'distributed_backend'", "strategy='ddp'"]),
        ({"accelerator": "ddp_spawn"}, {"strategy": "ddp_spawn"}, ["'accelerator'", "strategy='ddp_spawn'"]),
        ({"accelerator": "dp"}, {"strategy": "auto"}, ["DataParallel was removed"]),
        (
            {"accelerator": "ddp_cpu", "num_processes": 2},
            {"strategy": "ddp_spawn", "accelerator": "cpu", "devices": 2},
            ["'accelerator'", "accelerator='cpu'"],
        ),
        (
            {"checkpoint_callback": True},
            {"enable_checkpointing": True},
            ["'checkpoint_callback'", "enable_checkpointing"],
        ),
        ({"weights_summary": "top"}, {"enable_model_summary": True}, ["'weights_summary'", "enable_model_summary"]),
        ({"weights_summary": "full"}, {"enable_model_summary": True}, ["ModelSummary(max_depth=-1)"]),
        ({"progress_bar_refresh_rate": 0}, {"enable_progress_bar": False}, ["'progress_bar_refresh_rate'"]),
        ({"terminate_on_nan": True}, {"detect_anomaly": True}, ["'terminate_on_nan'", "detect_anomaly"]),
        ({"replace_sampler_ddp": False}, {"use_distributed_sampler": False}, ["use_distributed_sampler"]),
        ({"reload_dataloaders_every_epoch": True}, {"reload_dataloaders_every_n_epochs": 1}, ["reload_dataloaders"]),
        ({"resume_from_checkpoint": "/x/last.ckpt"}, {}, ["'resume_from_checkpoint'", "ckpt_path", "exp_manager"]),
        ({"amp_level": "O2"}, {}, ["'amp_level'", "16-mixed"]),
        ({"amp_backend": "apex"}, {}, ["'amp_backend'"]),
        ({"flush_logs_every_n_steps": 50}, {}, ["'flush_logs_every_n_steps'", "logger"]),
        ({"weights_save_path": "/w"}, {}, ["'weights_save_path'", "ModelCheckpoint(dirpath"]),
    ],
)
def test_each_legacy_key_is_mapped_with_a_warning(caplog, legacy, expected, words):
    assert OmegaConf.to_container(map_legacy_trainer_keys(legacy)) == expected
    text = "\n".join(_warnings(caplog))
    for word in words:
        assert word in text


def test_current_keys_pass_through_without_warnings(caplog):
    current = {"accelerator": "cpu", "devices": 2, "strategy": "ddp", "max_steps": 100, "enable_checkpointing": False}
    assert OmegaConf.to_container(map_legacy_trainer_keys(current)) == current
    assert _warnings(caplog) == []


def test_gpus_with_an_explicit_auto_accelerator():
    out = map_legacy_trainer_keys({"accelerator": "auto", "gpus": 2})
    assert OmegaConf.to_container(out) == {"accelerator": "gpu", "devices": 2}


def test_interpolations_are_resolved():
    cfg = OmegaConf.create({"n": 3, "trainer": {"max_epochs": "${n}", "checkpoint_callback": False}})
    assert map_legacy_trainer_keys(cfg.trainer).max_epochs == 3


def test_conflicting_old_and_new_keys_are_rejected():
    with pytest.raises(ValueError, match=r"'checkpoint_callback' maps to enable_checkpointing=False.*also set"):
        map_legacy_trainer_keys({"checkpoint_callback": False, "enable_checkpointing": True})
    with pytest.raises(ValueError, match=r"'gpus' maps to accelerator='gpu'"):
        map_legacy_trainer_keys({"gpus": 2, "accelerator": "cpu"})


def test_agreeing_old_and_new_keys_are_accepted():
    out = map_legacy_trainer_keys({"checkpoint_callback": False, "enable_checkpointing": False})
    assert OmegaConf.to_container(out) == {"enable_checkpointing": False}


def test_unknown_key_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown key 'max_epoch'.*did you mean 'max_epochs'"):
        map_legacy_trainer_keys({"max_epoch": 3})


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match=r"'distributed_backend: mpi' is not a Lightning 1.x distributed backend"):
        map_legacy_trainer_keys({"distributed_backend": "mpi"})
    with pytest.raises(ValueError, match=r"'gpus' must be an int"):
        map_legacy_trainer_keys({"gpus": 1.5})
    with pytest.raises(ValueError, match=r"accumulate_grad_batches=.*GradientAccumulationScheduler"):
        map_legacy_trainer_keys({"accumulate_grad_batches": {0: 8, 4: 1}})
    with pytest.raises(TypeError, match="DictConfig or a mapping, got list"):
        map_legacy_trainer_keys([("gpus", 1)])


def test_every_legacy_key_is_not_a_current_trainer_argument():
    import inspect

    current = set(inspect.signature(pl.Trainer.__init__).parameters)
    assert LEGACY_TRAINER_KEYS.isdisjoint(current)
