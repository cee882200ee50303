"""``TinyRegression``: the smallest LightningModule that trains, for tests of trainers, callbacks and exp_manager.

Lightning comes with this module; ``nemo.core.testing`` itself does not import it.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["TinyRegression"]


class TinyRegression(pl.LightningModule):
    """Learns ``y = x.sum()`` from ``num_samples`` seeded random inputs (batches of 4) with one linear layer and SGD.

    Each step logs ``train_loss`` (synchronised across processes, so it also serves DDP runs); ``save_to`` writes the
    weights, which is all NeMo's checkpoint callback asks of a model.
    """

    def __init__(self, in_features: int = 4, num_samples: int = 16, shuffle: bool = False) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(in_features, 1)
        self.shuffle = shuffle
        x = torch.randn(num_samples, in_features, generator=torch.Generator().manual_seed(0))
        self.data = TensorDataset(x, x.sum(dim=1, keepdim=True))

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, sync_dist=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.data, batch_size=4, shuffle=self.shuffle)

    def save_to(self, save_path: str) -> None:
        torch.save(self.state_dict(), save_path)
