"""The example scripts' recipe: legacy trainer keys translated, the experiment set up, fit, then a one-device test."""

from typing import Any, List

import modelpt_testing as mt
import pytest
from omegaconf import OmegaConf

from nemo.core.config import make_trainer, run_test_on_one_device, train_then_test
from nemo.core.testing.trainers import QUIET_CPU_TRAINER_DEFAULTS


class _TestCounting(mt.TinyModel):
    """Counts the test steps it runs (the recipe must run them all on its one-device trainer)."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.test_batches = 0

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> Any:
        self.test_batches += 1
        return super().test_step(batch, batch_idx, dataloader_idx)


def _script_cfg(**model: Any) -> Any:
    trainer = {**QUIET_CPU_TRAINER_DEFAULTS, "max_epochs": 2}
    model = {"train_ds": {"num_samples": 16, "seed": 0}, "optim": {"name": "sgd", "lr": 0.1}, **model}
    return OmegaConf.create({"trainer": trainer, "model": OmegaConf.merge(mt.base_config(), model)})


def test_make_trainer_translates_legacy_keys_and_logs_the_config(caplog):
    cfg = _script_cfg()
    cfg.trainer.pop("enable_checkpointing")
    cfg.trainer.checkpoint_callback = False  # Lightning 1.x's name
    with caplog.at_level("INFO"):
        trainer = make_trainer(cfg)
    assert trainer.checkpoint_callback is None
    assert trainer.max_epochs == 2
    assert "Hydra config:" in caplog.text and "checkpoint_callback" in caplog.text


def test_train_then_test_fits_sets_up_the_experiment_and_tests_every_batch():
    experiments: List[Any] = []
    cfg = _script_cfg(test_ds={"num_samples": 12, "seed": 2, "batch_size": 4})
    cfg.exp_manager = {"name": "recipe"}
    model = train_then_test(
        cfg, _TestCounting, lambda trainer, exp: experiments.append((trainer, exp)), test_data_key="num_samples"
    )
    assert len(experiments) == 1 and experiments[0][1].name == "recipe"
    assert model.trainer is not experiments[0][0], "the test runs on its own one-device trainer"
    assert model.test_batches == 3
    assert experiments[0][0].current_epoch == 2


@pytest.mark.parametrize("test_ds", [None, {"num_samples": 0}])
def test_no_test_run_without_test_data(test_ds):
    cfg = _script_cfg(test_ds=test_ds)
    model = _TestCounting(cfg.model)
    assert run_test_on_one_device(model, make_trainer(cfg), "num_samples") is False
    assert model.test_batches == 0


@pytest.mark.parametrize("logger", [False, True])
def test_learning_rate_monitor_only_with_a_logger(logger, tmp_path):
    cfg = _script_cfg()
    cfg.trainer.logger = logger
    cfg.trainer.default_root_dir = str(tmp_path)
    trainers: List[Any] = []
    train_then_test(cfg, mt.TinyModel, lambda trainer, exp: trainers.append(trainer), monitor_learning_rate=True)
    monitors = [c for c in trainers[0].callbacks if type(c).__name__ == "LearningRateMonitor"]
    assert len(monitors) == int(logger)
