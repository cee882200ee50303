"""Tiny ModelPT subclasses and data shared by the ModelPT, save/restore, artifact and dataloader tests.

Imported by its plain name (``tests/`` is on ``sys.path`` through the ``pythonpath`` pytest option; the fresh-process
round-trip test puts it there too), so the ``target`` a saved model records resolves to the same class everywhere.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.classes.modelPT import ModelPT

IN_FEATURES = 4
TRUE_WEIGHT = torch.tensor([[1.5, -2.0, 0.5, 1.0]])


def regression_samples(num_samples: int, seed: int) -> List[Dict[str, Any]]:
    """``y = x·w + 0.3`` samples; deterministic for a seed."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(num_samples, IN_FEATURES, generator=generator)
    y = x @ TRUE_WEIGHT.T + 0.3
    return [{"x": xi.tolist(), "y": yi.tolist()} for xi, yi in zip(x, y)]


def write_manifest(path: Path, num_samples: int, seed: int) -> str:
    """A JSON-lines 'manifest' of regression samples, as ASR/NLP datasets use."""
    path.write_text("".join(json.dumps(sample) + "\n" for sample in regression_samples(num_samples, seed)))
    return str(path)


class RegressionDataset(torch.utils.data.Dataset):
    def __init__(self, samples: List[Dict[str, Any]]):
        self.x = torch.tensor([s["x"] for s in samples])
        self.y = torch.tensor([s["y"] for s in samples])

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, idx: int):
        return self.x[idx], self.y[idx]


def make_loader(config: Any) -> torch.utils.data.DataLoader:
    """A loader from ``manifest_filepath`` (JSON lines) or from ``num_samples``/``seed`` synthetic samples."""
    if config.get("manifest_filepath"):
        lines = Path(config.manifest_filepath).read_text().splitlines()
        samples = [json.loads(line) for line in lines if line.strip()]
    else:
        samples = regression_samples(config.get("num_samples", 32), config.get("seed", 0))
    return torch.utils.data.DataLoader(
        RegressionDataset(samples), batch_size=config.get("batch_size", 8), shuffle=config.get("shuffle", False)
    )


def base_config(**overrides: Any) -> DictConfig:
    cfg = OmegaConf.create({"in_features": IN_FEATURES, "out_features": 1})
    return OmegaConf.merge(cfg, OmegaConf.create(overrides))


class TinyModel(ModelPT):
    """Linear regression with NeMo v1 style data set-up and epoch-end aggregation."""

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.layer = torch.nn.Linear(self.cfg.in_features, self.cfg.out_features)
        self.loss_fn = torch.nn.MSELoss()

    @classmethod
    def list_available_models(cls):
        return None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)

    def setup_training_data(self, train_data_config):
        self._update_dataset_config("train", train_data_config)
        self._train_dl = make_loader(train_data_config)

    def setup_validation_data(self, val_data_config):
        self._update_dataset_config("validation", val_data_config)
        self._validation_dl = make_loader(val_data_config)

    def setup_test_data(self, test_data_config):
        self._update_dataset_config("test", test_data_config)
        self._test_dl = make_loader(test_data_config)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.loss_fn(self(x), y)

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        x, y = batch
        return {"val_loss": self.loss_fn(self(x), y)}

    def test_step(self, batch, batch_idx, dataloader_idx=0):
        x, y = batch
        return {"test_loss": self.loss_fn(self(x), y)}

    def multi_validation_epoch_end(self, outputs, dataloader_idx=0):
        val_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        return {"val_loss": val_loss, "log": {"val_loss": val_loss}}

    def multi_test_epoch_end(self, outputs, dataloader_idx=0):
        test_loss = torch.stack([o["test_loss"] for o in outputs]).mean()
        return {"test_loss": test_loss, "log": {"test_loss": test_loss}}


class VocabModel(TinyModel):
    """Needs a vocabulary file (an artifact) to build itself, like a model with a tokenizer."""

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None):
        super().__init__(cfg=cfg, trainer=trainer)
        vocab_file = self.register_artifact("tokenizer.vocab_file", cfg.tokenizer.vocab_file)
        self.vocab = Path(vocab_file).read_text().split()
        merges = cfg.tokenizer.get("merges_file")
        self.merges_file = self.register_artifact("tokenizer.merges_file", merges, verify_src_exists=False)


class OtherModel(ModelPT):
    """A ModelPT outside TinyModel's class tree."""

    def __init__(self, cfg: DictConfig, trainer: Optional[pl.Trainer] = None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.layer = torch.nn.Linear(IN_FEATURES, 1)

    @classmethod
    def list_available_models(cls):
        return None

    def setup_training_data(self, train_data_config):
        self._train_dl = make_loader(train_data_config)

    def setup_validation_data(self, val_data_config):
        self._validation_dl = make_loader(val_data_config)
