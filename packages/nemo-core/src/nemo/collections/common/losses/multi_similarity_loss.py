"""Multi-similarity metric-learning loss on embeddings (entity linking)."""

from typing import Dict, Optional

import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LogitsType, LossType, NeuralType
from nemo.utils import logging

__all__ = ["MultiSimilarityLoss"]


class MultiSimilarityLoss(Loss):
    """Multi-similarity loss (Wang et al., 2019) over the dot products of the rows of ``logits`` ``[B, D]``.

    For each anchor, hard positives (less similar than the most similar negative + ``margin``) and hard negatives
    (more similar than the least similar positive - ``margin``) are weighted by soft-plus terms with scales
    ``scale_pos``/``scale_neg`` around ``offset``; the result is summed over anchors and divided by the batch size.
    """

    def __init__(
        self,
        scale_pos: Optional[float] = 2.0,
        scale_neg: Optional[float] = 40.0,
        offset: Optional[float] = 0.5,
        margin: Optional[float] = 0.1,
    ) -> None:
        super().__init__()
        self._scale_pos = scale_pos
        self._scale_neg = scale_neg
        self._offset = offset
        self._margin = margin
        self._epsilon = 1e-5

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {"logits": NeuralType(("B", "D"), LogitsType()), "labels": NeuralType(("B",), LabelsType())}

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        similarity = logits @ logits.t()
        losses = []
        for i in range(logits.shape[0]):
            positives = similarity[i][labels == labels[i]]
            positives = positives[positives < 1 - self._epsilon]  # drop the anchor itself (and exact duplicates)
            negatives = similarity[i][labels != labels[i]]
            if positives.numel() == 0 or negatives.numel() == 0:
                continue
            hard_negatives = negatives[negatives > positives.min() - self._margin]
            hard_positives = positives[positives < negatives.max() + self._margin]
            if hard_negatives.numel() == 0 or hard_positives.numel() == 0:
                continue
            pos_term = torch.log1p(torch.exp(-self._scale_pos * (hard_positives - self._offset)).sum())
            neg_term = torch.log1p(torch.exp(self._scale_neg * (hard_negatives - self._offset)).sum())
            losses.append(pos_term / self._scale_pos + neg_term / self._scale_neg)
        if not losses:
            logging.info("MultiSimilarityLoss: no hard pairs in the batch; the loss is 0")
            return logits.sum() * 0.0  # zero, but still part of the graph so every rank runs backward alike
        return torch.stack(losses).sum() / logits.shape[0]
