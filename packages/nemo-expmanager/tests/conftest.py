"""Shared fixtures: a tiny LightningModule with ``save_to``, the kit's quiet CPU Trainer, and per-test isolation of the
process-wide state exp_manager touches (cwd, ``NEMO_EXPM_VERSION``, AppState, file handlers, Hydra)."""

import functools
import os
from typing import Any, List, Optional

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities.rank_zero import rank_zero_only
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nemo.core.classes.modelPT import ModelPT
from nemo.core.testing import quiet_cpu_trainer
from nemo.utils import logging
from nemo.utils.app_state import AppState
from nemo.utils.exp_manager.log_dir import NEMO_ENV_VARNAME_VERSION
from nemo.utils.exp_manager.records import detach_file_logging


def regression_data(num_samples: int = 16, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(num_samples, 4, generator=generator)
    return TensorDataset(x, x @ torch.tensor([[1.5], [-2.0], [0.5], [1.0]]) + 0.3)


class TinyModule(pl.LightningModule):
    """Linear regression with Adam + StepLR; ``save_to`` is all the NeMo checkpoint callback needs (duck typing).

    ``val_losses``: if given, the value logged as ``val_loss`` in epoch ``e`` is ``val_losses[e]`` (to steer which
    checkpoint is the best).
    """

    def __init__(self, lr: float = 0.05, val_losses: Optional[List[float]] = None, batch_size: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = nn.Linear(4, 1)

    def _loss(self, batch: Any) -> torch.Tensor:
        x, y = batch
        return nn.functional.mse_loss(self.layer(x), y)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        loss = self._loss(batch)
        if self.hparams.val_losses is not None:
            loss = torch.tensor(float(self.hparams.val_losses[self.current_epoch]))
        self.log("val_loss", loss)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)]

    def train_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(), batch_size=self.hparams.batch_size)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(regression_data(8, seed=1), batch_size=8)

    def save_to(self, save_path: str) -> None:
        torch.save({k: v.clone() for k, v in self.state_dict().items()}, save_path)


class RegressionModel(ModelPT):
    """The smallest real NeMo model: linear regression configured by ``cfg`` (in_features, lr, train_ds)."""

    def __init__(self, cfg: Any, trainer: Optional[pl.Trainer] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.layer = nn.Linear(self.cfg.in_features, 1)

    @classmethod
    def list_available_models(cls) -> None:
        return None

    def setup_training_data(self, train_data_config: Any) -> None:
        self._train_dl = DataLoader(regression_data(train_data_config.num_samples), batch_size=4)

    def setup_validation_data(self, val_data_config: Any) -> None:
        self._validation_dl = DataLoader(regression_data(8, seed=1), batch_size=8)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.cfg.lr)


@pytest.fixture
def tiny_module():
    return TinyModule


@pytest.fixture
def regression_model():
    return RegressionModel


@pytest.fixture
def make_trainer():
    """The kit's quiet CPU Trainer (exp_manager provides the logger and checkpointing), two epochs by default."""
    return functools.partial(quiet_cpu_trainer, max_epochs=2)


@pytest.fixture(autouse=True)
def _isolated_experiment(tmp_path, monkeypatch):
    """Run in tmp_path with no inherited experiment version, a fresh AppState, and no leftover file logging."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(NEMO_ENV_VARNAME_VERSION, raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    AppState.reset()
    rank = logging.rank
    lightning_rank = rank_zero_only.rank  # a DDP Trainer built with LOCAL_RANK=1 sets it process-wide
    yield
    logging.rank = rank
    rank_zero_only.rank = lightning_rank
    detach_file_logging()
    AppState.reset()
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().cfg = None
    os.environ.pop(NEMO_ENV_VARNAME_VERSION, None)  # exp_manager exports it for DDP children
