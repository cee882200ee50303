import pytest
import yaml
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import nemo.utils.exp_manager.loggers as loggers_module
from nemo.utils.exp_manager import LoggerMisconfigurationError, exp_manager


def test_tensorboard_event_files_in_the_log_dir_are_readable(tmp_path, make_trainer, tiny_module):
    trainer = make_trainer(max_epochs=2)
    log_dir = exp_manager(trainer, {"exp_dir": str(tmp_path / "exp"), "name": "tb", "version": "v"})
    [logger] = trainer.loggers
    assert isinstance(logger, TensorBoardLogger)
    assert logger.log_dir == str(log_dir)
    trainer.fit(tiny_module())
    [event_file] = log_dir.glob("events.out.tfevents.*")
    events = EventAccumulator(str(log_dir))
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert {"train_loss", "val_loss", "train_step_timing"} <= set(scalars)
    assert [e.step for e in events.Scalars("train_loss")] == [0, 1, 2, 3, 4, 5, 6, 7]
    hparams = yaml.safe_load((log_dir / "hparams.yaml").read_text())
    assert hparams == {"lr": 0.05, "val_losses": None, "batch_size": 4}


def test_summary_writer_kwargs_are_passed_but_log_dir_is_refused(tmp_path, make_trainer):
    trainer = make_trainer()
    exp_manager(trainer, {"exp_dir": str(tmp_path / "a"), "summary_writer_kwargs": {"max_queue": 3}})
    assert trainer.logger.experiment.max_queue == 3
    with pytest.raises(ValueError, match="summary_writer_kwargs.log_dir"):
        exp_manager(make_trainer(), {"exp_dir": str(tmp_path / "b"), "summary_writer_kwargs": {"log_dir": "x"}})


def test_trainer_logger_plus_created_loggers_is_a_misconfiguration(tmp_path, make_trainer):
    trainer = make_trainer(logger=True)  # Lightning's default logger
    with pytest.raises(LoggerMisconfigurationError, match="already has a logger.*passing logger=False"):
        exp_manager(trainer, {"exp_dir": str(tmp_path / "exp")})
    assert not (tmp_path / "exp").exists()


def test_trainer_logger_is_kept_when_exp_manager_creates_none(tmp_path, make_trainer):
    csv = CSVLogger(str(tmp_path / "csv"), name="mine", version=2)
    trainer = make_trainer(logger=csv)
    log_dir = exp_manager(trainer, {"create_tensorboard_logger": False})
    assert trainer.loggers == [csv]
    assert log_dir == tmp_path / "csv" / "mine" / "version_2"


def test_missing_wandb_gives_an_install_hint_before_anything_is_created(tmp_path, make_trainer):
    assert not loggers_module.wandb_available()  # wandb is an optional extra, not installed for the tests
    cfg = {"exp_dir": str(tmp_path / "exp"), "create_wandb_logger": True, "wandb_logger_kwargs": {"name": "r"}}
    with pytest.raises(ModuleNotFoundError, match=r"nemo-expmanager\[wandb\]"):
        exp_manager(make_trainer(), cfg)
    assert not (tmp_path / "exp").exists()


class FakeWandbLogger(CSVLogger):
    """Stands in for Lightning's WandbLogger (wandb is not installed) and records its arguments."""

    def __init__(self, save_dir, version=None, name=None, project=None, offline=False, **kwargs):
        super().__init__(save_dir, name="wandb", version=version)
        self.kwargs = dict(save_dir=save_dir, version=version, name=name, project=project, offline=offline, **kwargs)


@pytest.fixture
def fake_wandb(monkeypatch):
    monkeypatch.setattr(loggers_module, "wandb_available", lambda: True)
    monkeypatch.setattr("pytorch_lightning.loggers.WandbLogger", FakeWandbLogger)


def test_wandb_logger_gets_the_experiment_folder_and_version(tmp_path, make_trainer, fake_wandb):
    trainer = make_trainer()
    cfg = {
        "exp_dir": str(tmp_path / "exp"),
        "name": "asr",
        "version": "v1",
        "create_wandb_logger": True,
        "wandb_logger_kwargs": {"project": "p", "offline": True},
    }
    exp_manager(trainer, cfg)
    tensorboard, wandb = trainer.loggers
    assert isinstance(tensorboard, TensorBoardLogger)
    assert wandb.kwargs == dict(save_dir=str(tmp_path / "exp"), version="v1", name=None, project="p", offline=True)


def test_wandb_needs_a_name_or_a_project(tmp_path, make_trainer, fake_wandb):
    cfg = {"exp_dir": str(tmp_path / "exp"), "create_wandb_logger": True, "create_tensorboard_logger": False}
    with pytest.raises(ValueError, match="neither 'name' nor 'project'"):
        exp_manager(make_trainer(), cfg)
