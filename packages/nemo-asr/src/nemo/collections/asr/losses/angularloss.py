"""Additive angular margin softmax (ArcFace) for speaker embeddings, as NeMo's ``AngularSoftmaxLoss``."""

from typing import Dict

import torch
import torch.nn.functional as F

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LogitsType, LossType, NeuralType

__all__ = ["AngularSoftmaxLoss"]

_INPUTS = {"logits": NeuralType(("B", "D"), LogitsType()), "labels": NeuralType(("B",), LabelsType())}
_OUTPUTS = {"loss": NeuralType(elements_type=LossType())}


class AngularSoftmaxLoss(Loss):
    """``-mean(log(e^{s cos(theta_y + m)} / (e^{s cos(theta_y + m)} + sum_{j != y} e^{s cos(theta_j)})))``.

    ``logits`` are cosines (``SpeakerDecoder(angular=True)``); the target's is clamped to ``[-1 + 1e-7, 1 - 1e-7]``
    before ``acos``. ``scale`` (s) and ``margin`` (m, radians) are NeMo's config keys and defaults. Computed as a
    cross-entropy over the margin-adjusted logits, which is the same value without NeMo's per-row Python loop.
    """

    def __init__(self, scale: float = 20.0, margin: float = 1.35) -> None:
        super().__init__()
        self.eps = 1e-7
        self.scale = scale
        self.margin = margin

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return _INPUTS

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return _OUTPUTS

    @typecheck()
    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        target = logits.gather(1, labels.view(-1, 1)).clamp(-1.0 + self.eps, 1.0 - self.eps)
        with_margin = torch.cos(torch.acos(target) + self.margin)
        adjusted = logits.scatter(1, labels.view(-1, 1), with_margin)
        return F.cross_entropy(self.scale * adjusted, labels)
