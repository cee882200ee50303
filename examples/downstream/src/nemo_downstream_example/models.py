"""``ToyFrameClassifierModel``: a ModelPT that trains with Lightning and round-trips through ``.nemo`` files."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytorch_lightning as pl
import torch

from nemo.core import ModelPT, typecheck
from nemo.core.neural_types import NeuralType
from nemo_downstream_example.data import ToyFramesDataset, collate_frames
from nemo_downstream_example.modules import FramePoolingClassifier

__all__ = ["ToyFrameClassifierModel", "default_config"]


def default_config(**overrides: Any) -> Dict[str, Any]:
    """The model config: sizes, generated train/validation data, and the library's own optimizer and schedule."""
    data = {"num_samples": 256, "max_frames": 24, "batch_size": 32}
    config = {
        "feat_in": 8,
        "num_classes": 3,
        "hidden": 16,
        "task_seed": 0,
        "train_ds": {**data, "seed": 1, "shuffle": True},
        "validation_ds": {**data, "num_samples": 96, "seed": 2, "shuffle": False},
        "optim": {
            "name": "sign_sgd",  # registered by this library
            "lr": 0.02,
            "args": {"name": "auto", "params": {"momentum": 0.8}},  # finds SignSGDParams as "sign_sgd_params"
            "sched": {"name": "LinearDecayAnnealing", "warmup_steps": 2, "min_lr": 0.001},
        },
    }
    config.update(overrides)
    return config


class ToyFrameClassifierModel(ModelPT):
    """Classifies generated frame sequences with a :class:`FramePoolingClassifier`."""

    def __init__(self, cfg: Any, trainer: Optional[pl.Trainer] = None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.classifier = FramePoolingClassifier(self.cfg.feat_in, self.cfg.num_classes, self.cfg.hidden)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.train_losses: List[float] = []  # per step, for callers that want the curve (not saved)

    @classmethod
    def list_available_models(cls):
        return None

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        """The classifier's: the model is the classifier plus data, loss and optimization."""
        return self.classifier.input_types

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return self.classifier.output_types

    @typecheck()
    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.classifier(features=features, lengths=lengths)

    # ----------------------------------------------------------------------------------------------------- data
    def _loader(self, config: Any) -> torch.utils.data.DataLoader:
        """A loader of generated sequences from a data config (dict or DictConfig: num_samples, seed, ...)."""
        dataset = ToyFramesDataset(
            num_samples=config["num_samples"],
            feat_in=self.cfg.feat_in,
            num_classes=self.cfg.num_classes,
            max_frames=config["max_frames"],
            seed=config["seed"],
            task_seed=self.cfg.task_seed,
        )
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=config["batch_size"],
            shuffle=config.get("shuffle", False),
            collate_fn=collate_frames,
            generator=torch.Generator().manual_seed(config["seed"]),
        )

    def setup_training_data(self, train_data_config: Any) -> None:
        self._update_dataset_config("train", train_data_config)
        self._train_dl = self._loader(train_data_config)

    def setup_validation_data(self, val_data_config: Any) -> None:
        self._update_dataset_config("validation", val_data_config)
        self._validation_dl = self._loader(val_data_config)

    # ------------------------------------------------------------------------------------------------- training
    def training_step(self, batch, batch_idx):
        features, lengths, labels = batch
        loss = self.loss_fn(self(features=features, lengths=lengths), labels)
        self.train_losses.append(float(loss.detach()))
        self.log("train_loss", loss, prog_bar=False)
        self.log("lr", self._optimizer.param_groups[0]["lr"])
        return loss

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        features, lengths, labels = batch
        logits = self(features=features, lengths=lengths)
        correct = (logits.argmax(-1) == labels).sum()
        return {"val_loss": self.loss_fn(logits, labels), "correct": correct, "count": torch.tensor(len(labels))}

    def multi_validation_epoch_end(self, outputs, dataloader_idx=0):
        val_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        accuracy = torch.stack([o["correct"] for o in outputs]).sum() / torch.stack([o["count"] for o in outputs]).sum()
        return {"val_loss": val_loss, "log": {"val_loss": val_loss, "val_accuracy": accuracy}}

    @torch.no_grad()
    def classify(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Predicted class of each sequence (eval mode, no gradients)."""
        was_training = self.training
        self.eval()
        try:
            return self(features=features, lengths=lengths).argmax(-1)
        finally:
            self.train(was_training)
