"""quiet_cpu_trainer: one CPU device, nothing written or printed, deterministic, overridable."""

import pytorch_lightning as pl
import torch

from nemo.core.testing import quiet_cpu_trainer
from nemo.core.testing.tiny_models import TinyRegression
from nemo.core.testing.trainers import QUIET_CPU_TRAINER_DEFAULTS


def _fit(**overrides):
    torch.manual_seed(0)
    model = TinyRegression(in_features=3, shuffle=True)
    trainer = quiet_cpu_trainer(max_steps=5, **overrides)
    trainer.fit(model)
    return trainer, model


def test_defaults_are_a_silent_cpu_trainer_that_writes_nothing(tmp_path, capsys):
    trainer, _ = _fit(default_root_dir=str(tmp_path))
    assert trainer.global_step == 5 and trainer.num_devices == 1
    assert isinstance(trainer.accelerator, pl.accelerators.CPUAccelerator)
    assert trainer.logger is None and trainer.checkpoint_callback is None
    assert trainer.progress_bar_callback is None and trainer.log_every_n_steps == 1
    assert not any(isinstance(c, pl.callbacks.ModelSummary) for c in trainer.callbacks)
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""
    assert torch.are_deterministic_algorithms_enabled()  # the kit's pytest plugin switches it back after the test


def test_same_seed_same_weights():
    (_, first), (_, second) = _fit(), _fit()
    assert torch.equal(first.layer.weight, second.layer.weight)


def test_overrides_replace_the_defaults():
    trainer = quiet_cpu_trainer(max_epochs=3, log_every_n_steps=7, enable_progress_bar=True)
    assert (trainer.max_epochs, trainer.log_every_n_steps) == (3, 7) and trainer.progress_bar_callback is not None
    assert QUIET_CPU_TRAINER_DEFAULTS["enable_progress_bar"] is False  # the defaults themselves are untouched
