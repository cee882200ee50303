import logging as stdlib_logging
import runpy
import sys
import textwrap

import pytest
import torch
from hydra.conf import HydraConf
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from nemo.utils.app_state import AppState
from nemo.utils.exp_manager import exp_manager


def test_no_config_disables_exp_manager(make_trainer, caplog):
    with caplog.at_level(stdlib_logging.ERROR):
        assert exp_manager(make_trainer(), None) is None
    assert "did not receive a cfg" in caplog.text


def test_fast_dev_run_disables_exp_manager(tmp_path, make_trainer):
    assert exp_manager(make_trainer(fast_dev_run=True), {"exp_dir": str(tmp_path / "exp")}) is None
    assert not (tmp_path / "exp").exists()


def set_hydra_original_cwd(path):
    hydra_cfg = OmegaConf.create({"hydra": OmegaConf.structured(HydraConf)})
    hydra_cfg.hydra.runtime.cwd = str(path)
    HydraConfig.instance().set_config(hydra_cfg)


def test_hydra_changing_the_working_directory_is_refused(tmp_path, make_trainer):
    set_hydra_original_cwd(tmp_path / "where_the_script_started")
    with pytest.raises(ValueError, match="Hydra changed the working directory.*hydra.run.dir=."):
        exp_manager(make_trainer(), {"exp_dir": str(tmp_path / "exp")})
    set_hydra_original_cwd(tmp_path)  # Hydra ran but kept the working directory: fine
    assert exp_manager(make_trainer(), {"exp_dir": str(tmp_path / "exp")}) is not None


def test_nemo_model_experiment_layout_and_app_state(tmp_path, make_trainer, regression_model):
    trainer = make_trainer(max_epochs=2)
    cfg = OmegaConf.create({"exp_dir": str(tmp_path / "exp"), "name": "Regression", "use_datetime_version": False})
    log_dir = exp_manager(trainer, cfg)
    assert log_dir == tmp_path / "exp" / "Regression" / "version_0"
    state = AppState()
    assert (state.log_dir, state.exp_dir, state.name, state.version) == (
        log_dir,
        str(tmp_path / "exp"),
        "Regression",
        "version_0",
    )
    assert state.checkpoint_name == "Regression" and state.create_checkpoint_callback is True
    assert state.checkpoint_callback_params.save_top_k == 3
    assert trainer.default_root_dir == str(log_dir)

    model = regression_model(
        cfg={"in_features": 4, "lr": 0.05, "train_ds": {"num_samples": 16}, "validation_ds": {}}, trainer=trainer
    )
    trainer.fit(model)
    files = {p.name for p in log_dir.iterdir()}
    assert {
        "cmd-args.log",
        "hparams.yaml",
        "lightning_logs.txt",
        "nemo_error_log.txt",
        "nemo_log_globalrank-0_localrank-0.txt",
        "checkpoints",
    } <= files
    assert any(name.startswith("events.out.tfevents") for name in files)
    restored = regression_model.restore_from(str(log_dir / "checkpoints" / "Regression.nemo"), map_location="cpu")
    assert torch.equal(restored.layer.weight, model.layer.weight)


def test_resumed_fit_restores_state_and_forgets_the_resume_path(tmp_path, make_trainer, regression_model):
    def experiment(epochs):
        trainer = make_trainer(max_epochs=epochs)
        exp_manager(
            trainer,
            {
                "exp_dir": str(tmp_path),
                "name": "r",
                "resume_if_exists": True,
                "resume_ignore_no_checkpoint": True,
                "resume_past_end": True,
            },
        )
        model = regression_model(
            cfg={"in_features": 4, "lr": 0.05, "train_ds": {"num_samples": 16}, "validation_ds": {}}, trainer=trainer
        )
        return trainer, model

    trainer, _ = experiment(1)
    trainer.fit(_)
    trainer, model = experiment(3)
    assert trainer.ckpt_path.endswith("r--end.ckpt")
    trainer.fit(model)
    assert (trainer.current_epoch, trainer.global_step) == (3, 12)
    assert trainer.ckpt_path is None  # a following trainer.validate()/test() uses the trained weights
    weights = model.layer.weight.detach().clone()
    trainer.validate(model, verbose=False)
    assert torch.equal(model.layer.weight, weights)


SCRIPT = """
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from nemo.core.config import hydra_runner
from nemo.utils.exp_manager import exp_manager


class Model(pl.LightningModule):
    def __init__(self, lr):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.lr = lr

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).pow(2).mean()

    def train_dataloader(self):
        return DataLoader(TensorDataset(torch.ones(8, 2)), batch_size=4)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def save_to(self, path):
        torch.save(self.state_dict(), path)


@hydra_runner(config_path="conf", config_name="config")
def main(cfg):
    trainer = pl.Trainer(**cfg.trainer)
    RESULT["log_dir"] = exp_manager(trainer, cfg.get("exp_manager", None))
    trainer.fit(Model(cfg.model.lr))
    RESULT["steps"] = trainer.global_step


if __name__ == "__main__":
    main()
"""

CONFIG = """
model:
  lr: 0.1
trainer:
  accelerator: cpu
  devices: 1
  max_epochs: 1
  logger: false
  enable_checkpointing: false
  enable_progress_bar: false
exp_manager:
  exp_dir: null
  name: hydra_run
  version: null
  create_tensorboard_logger: true
  create_checkpoint_callback: true
  checkpoint_callback_params:
    monitor: null
"""


def test_exp_manager_from_a_hydra_script_as_the_docs_show(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text(textwrap.dedent(CONFIG))
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    root = stdlib_logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "argv", [str(script), "exp_manager.version=cli", "trainer.max_epochs=2"])
    result = {}
    try:
        runpy.run_path(str(script), init_globals={"RESULT": result}, run_name="__main__")
    finally:
        root.handlers[:], root.level = handlers, level  # Hydra configures the root logger of this process
    log_dir = tmp_path / "nemo_experiments" / "hydra_run" / "cli"
    assert result == {"log_dir": log_dir, "steps": 4}
    assert (log_dir / "cmd-args.log").read_text() == f"{script} exp_manager.version=cli trainer.max_epochs=2"
    assert (log_dir / "checkpoints" / "hydra_run.nemo").exists()
    assert not (tmp_path / "outputs").exists() and not (tmp_path / ".hydra").exists()
