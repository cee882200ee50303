import pytest
from pytorch_lightning.callbacks import Callback, EarlyStopping

from nemo.utils.exp_manager import StepTimingCallback, build_early_stopping_callback, exp_manager


class RecordMetric(Callback):
    def __init__(self, name):
        self.name, self.values = name, []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.values.append(float(trainer.callback_metrics[self.name]))


def test_step_timing_is_logged_every_step_in_seconds(tmp_path, make_trainer, tiny_module):
    recorder = RecordMetric(StepTimingCallback.METRIC)
    trainer = make_trainer(max_epochs=1, limit_val_batches=0)
    exp_manager(trainer, {"exp_dir": str(tmp_path), "create_checkpoint_callback": False})
    trainer.callbacks.append(recorder)
    trainer.fit(tiny_module())
    assert len(recorder.values) == 4
    assert all(0 < value < 10 for value in recorder.values)
    assert "train_step_timing" in trainer.logged_metrics


def test_step_timing_can_be_switched_off(tmp_path, make_trainer):
    trainer = make_trainer()
    exp_manager(trainer, {"exp_dir": str(tmp_path), "log_step_timing": False})
    assert not [c for c in trainer.callbacks if isinstance(c, StepTimingCallback)]


def test_early_stopping_from_config_stops_training(tmp_path, make_trainer, tiny_module):
    trainer = make_trainer(max_epochs=10)
    params = {"monitor": "val_loss", "patience": 2, "min_delta": 0.0}
    exp_manager(
        trainer,
        {"exp_dir": str(tmp_path), "create_early_stopping_callback": True, "early_stopping_callback_params": params},
    )
    [stopper] = [c for c in trainer.callbacks if isinstance(c, EarlyStopping)]
    assert (stopper.patience, stopper.monitor) == (2, "val_loss")
    trainer.fit(tiny_module(val_losses=[3.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]))
    assert trainer.current_epoch == 4  # best at epoch 1, two epochs without improvement


def test_early_stopping_defaults_and_bad_params():
    stopper = build_early_stopping_callback(None)
    assert (stopper.monitor, stopper.patience, stopper.min_delta) == ("val_loss", 10, -0.001)  # min mode negates
    with pytest.raises(TypeError):
        build_early_stopping_callback({"patients": 3})
