"""Training callbacks ``exp_manager`` adds beyond checkpointing: per-step timing and early stopping."""

import dataclasses
import time
from typing import Any, Optional

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback, EarlyStopping

from nemo.utils.exp_manager.config import EarlyStoppingParams

__all__ = ["StepTimingCallback", "build_early_stopping_callback"]


class StepTimingCallback(Callback):
    """Logs ``train_step_timing``: wall-clock seconds of each training step (batch start to batch end).

    The time covers forward, backward and the optimizer step; with ``sync_cuda`` the GPU queue is drained first so
    asynchronous kernels are counted in the step that launched them.
    """

    METRIC = "train_step_timing"

    def __init__(self, sync_cuda: bool = True) -> None:
        self.sync_cuda = sync_cuda
        self._start: Optional[float] = None

    def _now(self) -> float:
        if self.sync_cuda and torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._start = self._now()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self._start is None:
            return
        seconds = self._now() - self._start
        self._start = None
        pl_module.log(self.METRIC, seconds, on_step=True, on_epoch=False, batch_size=1)


def build_early_stopping_callback(params: Any) -> EarlyStopping:
    """Lightning's ``EarlyStopping`` from ``early_stopping_callback_params`` (see ``EarlyStoppingParams``)."""
    if params is None:
        kwargs = dataclasses.asdict(EarlyStoppingParams())
    elif isinstance(params, DictConfig):
        kwargs = OmegaConf.to_container(params, resolve=True)
    else:
        kwargs = dict(params)
    return EarlyStopping(**kwargs)
