"""The recipe the example training scripts share: config -> Trainer -> experiment -> model -> fit -> test.

NeMo's example scripts each spell it out; here it is written once so the ASR, NLP and TTS scripts differ only in what
is theirs (the model class, which data key marks a test set, what they do with the trained model). The experiment
manager is passed in (``nemo.utils.exp_manager.exp_manager``): nemo-core does not depend on nemo-expmanager.
"""

from typing import Any, Callable, Optional

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.core.config.trainer_compat import map_legacy_trainer_keys
from nemo.utils import logging

__all__ = ["make_trainer", "run_test_on_one_device", "train_then_test"]


def make_trainer(cfg: DictConfig) -> pl.Trainer:
    """Log the whole config, then build the Trainer of its ``trainer`` section (Lightning 1.x keys translated)."""
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    return pl.Trainer(**map_legacy_trainer_keys(cfg.trainer))


def run_test_on_one_device(model: Any, trainer: pl.Trainer, data_key: str) -> bool:
    """Test ``model`` on its ``test_ds`` when that names data (``test_ds.<data_key>``); False when there is none.

    The test runs on a fresh single-device trainer (same accelerator as ``trainer``), so a distributed sampler
    neither repeats nor drops test samples.
    """
    test_ds = model.cfg.get("test_ds")
    if test_ds is None or not test_ds.get(data_key):
        return False
    test_trainer = pl.Trainer(
        devices=1,
        num_nodes=1,
        accelerator=trainer.strategy.root_device.type,
        logger=False,
        enable_checkpointing=False,
    )
    if not model.prepare_test(test_trainer):
        return False
    test_trainer.test(model)
    return True


def train_then_test(
    cfg: DictConfig,
    model_class: Callable[..., Any],
    setup_experiment: Callable[[pl.Trainer, Optional[DictConfig]], Any],
    test_data_key: Optional[str] = None,
    monitor_learning_rate: bool = False,
) -> Any:
    """Build the trainer, the experiment (``setup_experiment(trainer, cfg.exp_manager)``) and
    ``model_class(cfg=cfg.model, trainer=trainer)``, fit, then test on one device when ``test_data_key`` is given.

    ``monitor_learning_rate`` adds Lightning's ``LearningRateMonitor`` when the experiment made a logger (it needs
    one). Returns the trained model.
    """
    trainer = make_trainer(cfg)
    setup_experiment(trainer, cfg.get("exp_manager", None))
    model = model_class(cfg=cfg.model, trainer=trainer)
    if monitor_learning_rate and trainer.loggers:
        trainer.callbacks.append(pl.callbacks.LearningRateMonitor())
    trainer.fit(model)
    if test_data_key is not None:
        run_test_on_one_device(model, trainer, test_data_key)
    return model
