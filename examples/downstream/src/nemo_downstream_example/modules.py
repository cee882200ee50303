"""A typed building block: masked mean pooling of (B, D, T) features over time, then an MLP to class logits."""

from __future__ import annotations

from collections import OrderedDict
from typing import Dict

import torch

from nemo.core import NeuralModule, typecheck
from nemo.core.neural_types import LengthsType, LogitsType, NeuralType, SpectrogramType

__all__ = ["FramePoolingClassifier"]

FEATURES = NeuralType(("B", "D", "T"), SpectrogramType())
LENGTHS = NeuralType(("B",), LengthsType())
LOGITS = NeuralType(("B", "D"), LogitsType())


class FramePoolingClassifier(NeuralModule):
    """Average the valid frames of each sequence (``lengths`` of them), then classify the average."""

    def __init__(self, feat_in: int, num_classes: int, hidden: int = 32):
        super().__init__()
        self.feat_in = feat_in
        self.head = torch.nn.Sequential(
            torch.nn.Linear(feat_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, num_classes)
        )

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"features": FEATURES, "lengths": LENGTHS})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"logits": LOGITS})

    @typecheck()
    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        frames = torch.arange(features.shape[-1], device=features.device)
        mask = (frames[None, :] < lengths[:, None]).to(features.dtype)  # (B, T)
        pooled = (features * mask[:, None, :]).sum(-1) / lengths.clamp(min=1)[:, None].to(features.dtype)
        return self.head(pooled)

    def input_example(self):
        return torch.randn(2, self.feat_in, 7), torch.tensor([7, 4])
