import logging as stdlib_logging
from pathlib import Path

import pytest
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from nemo.utils.app_state import AppState
from nemo.utils.exp_manager import CheckpointMisconfigurationError, NeMoModelCheckpoint, exp_manager


def run(tmp_path, trainer, module, **cfg):
    cfg = {"exp_dir": str(tmp_path / "exp"), "name": "tiny", "version": "v", **cfg}
    log_dir = exp_manager(trainer, cfg)
    trainer.fit(module)
    return log_dir


def names(folder: Path):
    return sorted(p.name for p in folder.iterdir())


def callback_of(trainer) -> NeMoModelCheckpoint:
    [callback] = [c for c in trainer.callbacks if isinstance(c, ModelCheckpoint)]
    return callback


def test_top_k_plus_last_end_and_nemo_however_long_the_run(tmp_path, make_trainer, tiny_module):
    trainer = make_trainer(max_epochs=12)
    torch.manual_seed(0)  # an unseeded init can plateau, and then the final epoch is not among the best
    log_dir = run(tmp_path, trainer, tiny_module(batch_size=16), checkpoint_callback_params={"save_top_k": 2})
    files = names(log_dir / "checkpoints")
    assert len(files) == 2 + 3, files  # top-2 + last + end + .nemo
    assert "tiny.nemo" in files and "tiny--end.ckpt" in files
    [last] = [f for f in files if f.endswith("-last.ckpt")]
    assert last.startswith("tiny--val_loss=") and "-epoch=11-step=12" in last
    top = [f for f in files if f.startswith("tiny--val_loss=") and f.endswith("step=12.ckpt")]
    assert top, files  # val loss decreases, so the final epoch is among the best


@pytest.mark.parametrize("save_last", [True, "link"])
def test_last_checkpoint_follows_the_run_when_the_monitor_stops_improving(
    tmp_path, make_trainer, tiny_module, save_last
):
    # Lightning 2.6 alone leaves ``-last.ckpt`` at epoch 2, the last epoch that made the top-2.
    callback = NeMoModelCheckpoint(
        dirpath=str(tmp_path / "ck"),
        filename="tiny--{val_loss:.2f}-{epoch}-{step}",
        monitor="val_loss",
        save_top_k=2,
        save_last=save_last,
        prefix="tiny",
    )
    callback.CHECKPOINT_NAME_LAST = "tiny--{val_loss:.2f}-{epoch}-{step}-last"
    module = tiny_module(val_losses=[3.0, 2.0, 1.0, 4.0, 5.0, 6.0], batch_size=16)
    make_trainer(max_epochs=6, enable_checkpointing=True, callbacks=[callback]).fit(module)
    assert names(tmp_path / "ck") == [
        "tiny--end.ckpt",
        "tiny--val_loss=1.00-epoch=2-step=3.ckpt",
        "tiny--val_loss=2.00-epoch=1-step=2.ckpt",
        "tiny--val_loss=6.00-epoch=5-step=6-last.ckpt",
        "tiny.nemo",
    ]
    last = tmp_path / "ck" / "tiny--val_loss=6.00-epoch=5-step=6-last.ckpt"
    assert callback.last_model_path == str(last)
    assert not last.is_symlink()  # a link could only point at an older top-k checkpoint
    state = torch.load(last, weights_only=False)
    assert (state["epoch"], state["global_step"]) == (5, 6)
    assert torch.equal(state["state_dict"]["layer.weight"], module.layer.weight)


def test_monitor_null_keeps_one_recent_checkpoint(tmp_path, make_trainer, tiny_module, caplog):
    trainer = make_trainer(max_epochs=10, limit_val_batches=0)
    with caplog.at_level(stdlib_logging.WARNING):
        log_dir = run(tmp_path, trainer, tiny_module(batch_size=16), checkpoint_callback_params={"monitor": None})
    assert "monitor is null" in caplog.text
    assert names(log_dir / "checkpoints") == [
        "tiny--end.ckpt",
        "tiny--epoch=9-step=10-last.ckpt",
        "tiny--epoch=9-step=10.ckpt",
        "tiny.nemo",
    ]


def test_filename_template_with_step_and_every_n_train_steps(tmp_path, make_trainer, tiny_module):
    trainer = make_trainer(max_epochs=1, limit_val_batches=0)
    params = {"monitor": None, "save_top_k": -1, "every_n_train_steps": 2, "filename": "s{step:03d}"}
    log_dir = run(tmp_path, trainer, tiny_module(), checkpoint_callback_params=params)
    assert [f for f in names(log_dir / "checkpoints") if f.startswith("s")] == [
        "sstep=002.ckpt",
        "sstep=004-last.ckpt",
        "sstep=004.ckpt",
    ]


def test_nemo_holds_last_weights_by_default(tmp_path, make_trainer, tiny_module):
    module = tiny_module(val_losses=[3.0, 1.0, 2.0, 4.0])
    log_dir = run(tmp_path, make_trainer(max_epochs=4), module)
    exported = torch.load(log_dir / "checkpoints" / "tiny.nemo", weights_only=True)
    assert torch.equal(exported["layer.weight"], module.layer.weight)


def test_save_best_model_exports_and_loads_the_best_weights(tmp_path, make_trainer, tiny_module):
    module = tiny_module(val_losses=[3.0, 1.0, 2.0, 4.0])
    trainer = make_trainer(max_epochs=4)
    log_dir = run(tmp_path, trainer, module, checkpoint_callback_params={"save_best_model": True})
    best = callback_of(trainer).best_model_path
    assert "val_loss=1.00-epoch=1" in best
    best_weights = torch.load(best, weights_only=True)["state_dict"]
    exported = torch.load(log_dir / "checkpoints" / "tiny.nemo", weights_only=True)
    assert torch.equal(exported["layer.weight"], best_weights["layer.weight"])
    assert torch.equal(module.layer.weight, best_weights["layer.weight"])  # v1: the module ends with the best


def test_always_save_nemo_exports_during_training(tmp_path, make_trainer, tiny_module):
    seen = []

    class Spy(tiny_module):
        def save_to(self, save_path):
            seen.append((self.trainer.global_step, self.layer.weight.detach().clone()))
            super().save_to(save_path)

    module = Spy(val_losses=[3.0, 1.0, 2.0, 4.0])
    trainer = make_trainer(max_epochs=4)
    log_dir = run(
        tmp_path, trainer, module, checkpoint_callback_params={"always_save_nemo": True, "save_best_model": True}
    )
    assert AppState().model_restore_path == str((log_dir / "checkpoints" / "tiny.nemo").absolute())
    # exported when the best changed (epochs 0 and 1), not again for worse epochs, then once at the end
    assert [step for step, _ in seen] == [4, 8, 16]
    best = torch.load(callback_of(trainer).best_model_path, weights_only=True)["state_dict"]["layer.weight"]
    assert torch.equal(seen[1][1], best) and torch.equal(seen[2][1], best)


def test_module_without_save_to_gets_checkpoints_but_no_nemo(tmp_path, make_trainer, tiny_module, caplog):
    class NoExport(tiny_module):
        save_to = None

    with caplog.at_level(stdlib_logging.WARNING):
        log_dir = run(tmp_path, make_trainer(max_epochs=1), NoExport())
    assert "has no save_to" in caplog.text
    assert not (log_dir / "checkpoints" / "tiny.nemo").exists()


def test_trainer_with_its_own_model_checkpoint_is_refused(tmp_path, make_trainer):
    with pytest.raises(CheckpointMisconfigurationError, match="enable_checkpointing=False"):
        exp_manager(make_trainer(enable_checkpointing=True), {"exp_dir": str(tmp_path / "exp")})
    assert not (tmp_path / "exp").exists()


@pytest.mark.parametrize(
    "params, resume, match",
    [
        ({"every_n_epochs": 1, "every_n_train_steps": 5}, False, "mutually exclusive"),
        ({"period": 2, "every_n_epochs": 3}, False, "period=2.*every_n_epochs=3"),
        ({"save_weights_only": True}, True, "save_weights_only=False"),
    ],
)
def test_checkpoint_misconfigurations(tmp_path, make_trainer, params, resume, match):
    cfg = {
        "exp_dir": str(tmp_path / "exp"),
        "checkpoint_callback_params": params,
        "resume_if_exists": resume,
        "resume_ignore_no_checkpoint": True,
    }
    with pytest.raises(CheckpointMisconfigurationError, match=match):
        exp_manager(make_trainer(), cfg)


def test_v1_names_are_mapped_with_warnings(tmp_path, make_trainer, caplog):
    trainer = make_trainer()
    params = {"period": 2, "prefix": "pre", "filepath": str(tmp_path / "ck" / "m-{epoch}.ckpt")}
    with caplog.at_level(stdlib_logging.WARNING):
        exp_manager(trainer, {"exp_dir": str(tmp_path / "exp"), "checkpoint_callback_params": params})
    callback = callback_of(trainer)
    assert callback.every_n_epochs == 2
    assert Path(callback.dirpath) == (tmp_path / "ck").resolve()
    assert callback.filename == "pre-m-{epoch}"
    assert callback.CHECKPOINT_NAME_LAST == "pre-m-{epoch}-last"
    assert callback.nemo_path.name == "pre.nemo"
    for word in ("period=2 is deprecated", "prefix is deprecated", "filepath is deprecated"):
        assert word in caplog.text


def test_validation_monitor_that_can_never_be_ranked_is_reported(tmp_path, make_trainer, caplog):
    with caplog.at_level(stdlib_logging.WARNING):
        exp_manager(make_trainer(max_epochs=1, check_val_every_n_epoch=2), {"exp_dir": str(tmp_path / "a")})
        exp_manager(make_trainer(max_steps=10), {"exp_dir": str(tmp_path / "b")})
    assert "validation never runs" in caplog.text
    assert "max_steps is 10" in caplog.text


def test_direct_use_maps_period(tmp_path, caplog):
    with caplog.at_level(stdlib_logging.WARNING):
        callback = NeMoModelCheckpoint(dirpath=str(tmp_path), period=3, prefix="m")
    assert callback.every_n_epochs == 3
    assert callback.end_checkpoint_path == str(tmp_path.resolve() / "m--end.ckpt")
    with pytest.raises(CheckpointMisconfigurationError):
        NeMoModelCheckpoint(period=3, every_n_epochs=1)


def test_restarts_do_not_pile_up_last_checkpoints(tmp_path, make_trainer, tiny_module):
    cfg = dict(
        resume_if_exists=True,
        resume_ignore_no_checkpoint=True,
        resume_past_end=True,
        checkpoint_callback_params={"save_top_k": 2},
    )
    for epochs in (2, 4, 6):
        trainer = make_trainer(max_epochs=epochs)
        log_dir = run(tmp_path, trainer, tiny_module(batch_size=16), **cfg)
        assert trainer.global_step == epochs
    files = names(log_dir / "checkpoints")
    assert len(files) == 5, files
    assert len([f for f in files if f.endswith("-last.ckpt")]) == 1
