"""NeMo's checkpoint callback: Lightning's top-k + last checkpoints, an end checkpoint and the ``.nemo`` archive.

Files in ``<log_dir>/checkpoints`` (at most ``save_top_k + 2`` checkpoints plus one ``.nemo``, however long the run):

* ``<name>--<monitor>=<v>-epoch=<e>-step=<s>.ckpt``: the ``save_top_k`` best by ``monitor`` (the latest one when
  ``monitor`` is None);
* ``...-last.ckpt``: the latest state, for auto-resume (the superseded one is deleted, also after a resume);
* ``<name>--end.ckpt``: the state when training finished normally, which tells auto-resume the run is complete;
* ``<name>.nemo``: written when training ends, with the last weights, or the best ones with ``save_best_model``
  (and also after every checkpoint with ``always_save_nemo``).
"""

import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Dict, Optional

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities import rank_zero_only

from nemo.utils import logging
from nemo.utils.app_state import AppState
from nemo.utils.exp_manager.config import _plain_dict
from nemo.utils.exp_manager.errors import CheckpointMisconfigurationError

__all__ = ["NeMoModelCheckpoint", "check_checkpoint_setup", "configure_checkpointing"]


def _same_file(a: Optional[str], b: Optional[str]) -> bool:
    return bool(a) and bool(b) and os.path.abspath(a) == os.path.abspath(b)


class NeMoModelCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` that also exports the model with ``pl_module.save_to`` as ``<prefix><postfix>``.

    Args:
        always_save_nemo: also write the ``.nemo`` whenever a checkpoint is saved (the best model's with
            ``save_best_model``, rewritten only when the best changes), and record its path in
            ``AppState().model_restore_path``.
        save_best_model: the ``.nemo`` written at the end of training holds the best checkpoint's weights (which are
            also loaded into the module) instead of the last ones.
        postfix: extension of the exported model.
        prefix: name of the exported model (``<prefix><postfix>``) and of the end checkpoint.
        period: Lightning 1.x name of ``every_n_epochs`` (deprecated).
        **kwargs: passed to Lightning's ``ModelCheckpoint``.

    Needs only ``save_to(path)`` on the LightningModule (any ``ModelPT`` has it); without it no ``.nemo`` is written.
    """

    def __init__(
        self,
        always_save_nemo: bool = False,
        save_best_model: bool = False,
        postfix: str = ".nemo",
        prefix: Optional[str] = None,
        period: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        if period is not None:
            every_n_epochs = kwargs.get("every_n_epochs")
            if every_n_epochs is not None and every_n_epochs != period:
                raise CheckpointMisconfigurationError(
                    f"checkpoint_callback_params: period={period} (deprecated) and every_n_epochs={every_n_epochs} "
                    "disagree; set only every_n_epochs."
                )
            logging.warning(f"checkpoint_callback_params.period={period} is deprecated: use every_n_epochs={period}.")
            kwargs["every_n_epochs"] = period
        self.always_save_nemo = always_save_nemo
        self.save_best_model = save_best_model
        self.postfix = postfix
        self.nemo_prefix = prefix or ""
        self._nemo_source = ""  # the best checkpoint whose weights the .nemo holds (save_best_model)
        self._nemo_step = -1  # global step of the last always_save_nemo export
        self._resumed_from = ""
        self._last_written_step = -1  # global step of the last ``-last.ckpt`` this callback wrote
        # A step redone after a resume saves under the name of the file the killed run wrote: replace it.
        kwargs.setdefault("enable_version_counter", False)
        super().__init__(**kwargs)

    @property
    def nemo_path(self) -> Path:
        """Where the ``.nemo`` goes: ``<dirpath>/<prefix><postfix>``."""
        return Path(self.dirpath or ".") / f"{self.nemo_prefix}{self.postfix}"

    @property
    def end_checkpoint_path(self) -> str:
        """Checkpoint written when training finishes normally (auto-resume treats the run as complete)."""
        name = f"{self.nemo_prefix}--end" if self.nemo_prefix else "end"
        return os.path.join(self.dirpath or ".", name + self.FILE_EXTENSION)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        resumed = str(trainer.ckpt_path) if trainer.ckpt_path else ""
        with warnings.catch_warnings():
            if resumed:  # a resumed run continues in a folder that of course holds checkpoints
                warnings.filterwarnings("ignore", message="Checkpoint directory .* exists and is not empty")
            super().setup(trainer, pl_module, stage)
        in_dir = resumed and self.dirpath and Path(resumed).resolve().parent == Path(self.dirpath).resolve()
        self._resumed_from = resumed if in_dir else ""
        self._last_written_step = -1

    def _save_topk_checkpoint(self, trainer: pl.Trainer, monitor_candidates: Dict[str, torch.Tensor]) -> None:
        """Rank for top-k, then write the last checkpoint even when this step did not make the top-k.

        Lightning 2.6 writes ``-last.ckpt`` only at a step where it also saved a top-k checkpoint (and at the end of
        training only if it never saved one), so once ``monitor`` stops improving the last checkpoint goes stale and
        auto-resume would go back to it. NeMo's last checkpoint is the latest state at every checkpointing point.
        """
        super()._save_topk_checkpoint(trainer, monitor_candidates)
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, monitor_candidates)

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: Dict[str, torch.Tensor]) -> None:
        """Write ``-last.ckpt`` once per step (Lightning asks again after the top-k, see ``_save_topk_checkpoint``)."""
        if not self.save_last or self._last_written_step == trainer.global_step:
            return
        if self.save_last == "link" and self._last_global_step_saved != trainer.global_step:
            # The checkpoint Lightning would link to is from an earlier step: write the current state instead.
            self._last_checkpoint_saved = ""
        super()._save_last_checkpoint(trainer, monitor_candidates)
        self._last_written_step = trainer.global_step

    def _should_remove_checkpoint(self, trainer: pl.Trainer, previous: str, current: str) -> bool:
        if super()._should_remove_checkpoint(trainer, previous, current):
            return True
        # Lightning keeps the file a run resumed from. Here that file is this callback's own superseded last
        # checkpoint (auto-resume), which must go, or each restart would leave one more behind.
        return not _same_file(previous, current) and _same_file(previous, self._resumed_from)

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        if self.always_save_nemo and trainer.global_step != self._nemo_step:
            self._nemo_step = trainer.global_step
            self._export_during_training(trainer, trainer.lightning_module, filepath)

    @rank_zero_only
    def _export_during_training(self, trainer: pl.Trainer, pl_module: pl.LightningModule, just_saved: str) -> None:
        if not self.save_best_model:
            self._save_nemo(pl_module)
            return
        best = self.best_model_path
        if not best or _same_file(best, self._nemo_source):
            return  # no best yet, or the .nemo already holds it
        if _same_file(best, just_saved):
            self._save_nemo(pl_module)  # the module's current weights are the best ones
        elif os.path.isfile(best):
            current = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
            pl_module.load_state_dict(self._load_state_dict(trainer, best))
            try:
                self._save_nemo(pl_module)
            finally:
                pl_module.load_state_dict(current)
        else:
            return
        self._nemo_source = best

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Save the end checkpoint, then export the last (or, with ``save_best_model``, the best) model."""
        super().on_train_end(trainer, pl_module)
        if trainer.fast_dev_run:
            return
        if self.save_last:
            trainer.save_checkpoint(self.end_checkpoint_path, self.save_weights_only)
        if self.save_best_model:
            best = self.best_model_path
            if best and os.path.isfile(best):
                pl_module.load_state_dict(self._load_state_dict(trainer, best))
            else:
                logging.warning(
                    "exp_manager: save_best_model is True but no best checkpoint exists; exporting the last weights."
                )
        self._final_export(pl_module)

    @rank_zero_only
    def _final_export(self, pl_module: pl.LightningModule) -> None:
        self._save_nemo(pl_module)

    def _save_nemo(self, pl_module: pl.LightningModule) -> None:
        if not callable(getattr(pl_module, "save_to", None)):
            logging.warning(
                f"exp_manager: {type(pl_module).__name__} has no save_to(path), so no {self.postfix} is written "
                "(NeMo models derive from ModelPT, which has it)."
            )
            return
        path = self.nemo_path
        path.parent.mkdir(parents=True, exist_ok=True)
        pl_module.save_to(str(path))
        if self.always_save_nemo:
            AppState().model_restore_path = str(path.absolute())

    def _load_state_dict(self, trainer: pl.Trainer, path: str) -> Dict[str, torch.Tensor]:
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            # The file is one this callback wrote during this run, whose hyper-parameters may hold config objects;
            # Lightning's own loader reads it in full exactly as it does when resuming.
            checkpoint = trainer.strategy.checkpoint_io.load_checkpoint(path, weights_only=False)
        return checkpoint["state_dict"]


def check_checkpoint_setup(trainer: pl.Trainer, resume: bool, params: Any) -> None:
    """Raise :class:`CheckpointMisconfigurationError` for setups that cannot work, before anything is created."""
    for callback in trainer.callbacks:
        if isinstance(callback, ModelCheckpoint):
            raise CheckpointMisconfigurationError(
                f"The Trainer already has a ModelCheckpoint ({type(callback).__name__}) and "
                "exp_manager.create_checkpoint_callback is True. Lightning adds one by default: pass "
                "enable_checkpointing=False to the Trainer (and remove any ModelCheckpoint from its callbacks), or "
                "set exp_manager.create_checkpoint_callback=False."
            )
    params = _plain_dict(params)
    if params.get("every_n_epochs") and params.get("every_n_train_steps"):
        raise CheckpointMisconfigurationError(
            f"checkpoint_callback_params: every_n_epochs={params['every_n_epochs']} and every_n_train_steps="
            f"{params['every_n_train_steps']} are mutually exclusive; set only one."
        )
    period, every_n_epochs = params.get("period"), params.get("every_n_epochs")
    if period is not None and every_n_epochs is not None and period != every_n_epochs:
        raise CheckpointMisconfigurationError(
            f"checkpoint_callback_params: period={period} (deprecated) and every_n_epochs={every_n_epochs} "
            "disagree; set only every_n_epochs."
        )
    if resume and params.get("save_weights_only"):
        raise CheckpointMisconfigurationError(
            "exp_manager.resume_if_exists is True but checkpoint_callback_params.save_weights_only is True: "
            "weights-only checkpoints cannot restore optimizers, schedulers and loops. Set save_weights_only=False."
        )


def configure_checkpointing(
    trainer: pl.Trainer, log_dir: Path, name: str, resume: bool, params: Any
) -> NeMoModelCheckpoint:
    """Build the :class:`NeMoModelCheckpoint` from ``checkpoint_callback_params`` and append it to the Trainer.

    Defaults: ``dirpath=<log_dir>/checkpoints``, ``filename="<name>--{<monitor>:.2f}-{epoch}-{step}"`` (or
    ``"<name>--{epoch}-{step}"`` with ``monitor: null``), last checkpoint ``<filename>-last``, ``prefix=<name>``.
    """
    check_checkpoint_setup(trainer, resume, params)
    params = {k: v for k, v in _plain_dict(params).items() if v is not None or k == "monitor"}

    filepath = params.pop("filepath", None)
    if filepath:
        logging.warning(
            "checkpoint_callback_params.filepath is deprecated: use dirpath and filename. Splitting "
            f"{filepath!r} into them."
        )
        path = Path(filepath)
        params.setdefault("dirpath", str(path.parent))
        params.setdefault("filename", path.name[: -len(".ckpt")] if path.name.endswith(".ckpt") else path.name)
    params.setdefault("dirpath", str(Path(log_dir) / "checkpoints"))

    monitor = params.get("monitor")
    if "filename" not in params:
        params["filename"] = (
            f"{name}--{{{monitor}:.2f}}-{{epoch}}-{{step}}" if monitor else f"{name}--{{epoch}}-{{step}}"
        )
    if params.get("prefix"):
        logging.warning(
            "checkpoint_callback_params.prefix is deprecated (Lightning 2's ModelCheckpoint has no prefix): it is "
            f"put in front of the checkpoint file names ('{params['prefix']}-{params['filename']}') and names the "
            f"exported model. Put it in checkpoint_callback_params.filename instead."
        )
        params["filename"] = f"{params['prefix']}-{params['filename']}"
    else:
        params["prefix"] = name

    if monitor is None and params.get("save_top_k", 1) > 1:
        logging.warning(
            f"checkpoint_callback_params.monitor is null, so there is no metric to rank save_top_k="
            f"{params['save_top_k']} checkpoints by: keeping only the most recent one (save_top_k=1)."
        )
        params["save_top_k"] = 1
    if resume and params.get("save_last") is False:
        logging.warning(
            "exp_manager.resume_if_exists is True but checkpoint_callback_params.save_last is False: auto-resume "
            "only resumes from *last.ckpt / *end.ckpt files, which will not be written."
        )
    if monitor and "val" in monitor:
        max_epochs = trainer.max_epochs
        if max_epochs is not None and 0 < max_epochs < trainer.check_val_every_n_epoch:
            logging.error(
                f"The checkpoint callback monitors {monitor!r} but trainer.max_epochs ({max_epochs}) is smaller than "
                f"trainer.check_val_every_n_epoch ({trainer.check_val_every_n_epoch}): validation never runs, so no "
                "best checkpoint is ranked."
            )
        elif trainer.max_steps not in (None, -1):
            logging.warning(
                f"The checkpoint callback monitors {monitor!r} and trainer.max_steps is {trainer.max_steps}: make sure "
                "validation runs before max_steps is reached, or no best checkpoint is ranked."
            )

    callback = NeMoModelCheckpoint(**params)
    callback.CHECKPOINT_NAME_LAST = params["filename"] + "-last"
    trainer.callbacks.append(callback)
    return callback
