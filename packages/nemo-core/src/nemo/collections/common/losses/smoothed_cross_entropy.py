"""Label-smoothed cross-entropy over padded sequences (NMT and language models)."""

from typing import Dict, Optional

import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LogprobsType, LossType, MaskType, NeuralType

__all__ = ["SmoothedCrossEntropyLoss"]


class SmoothedCrossEntropyLoss(Loss):
    """Mean negative log-likelihood per real token, with label smoothing.

    Args:
        pad_id: label marking padding; used to build the mask when ``output_mask`` is not given.
        label_smoothing: probability mass ``s`` spread over the vocabulary: the target term has weight
            ``1 - s*V/(V-1)`` and the mean log-probability over the vocabulary ``s*V/(V-1)``.
        predict_last_k: score only the last ``k`` positions of each sequence (0: all; 1: LM evaluation).
        eps: added to the token count so an all-padding batch gives 0 instead of NaN.
    """

    def __init__(
        self,
        pad_id: Optional[int] = None,
        label_smoothing: Optional[float] = 0.0,
        predict_last_k: Optional[int] = 0,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        if predict_last_k is not None and predict_last_k < 0:
            raise ValueError(f"SmoothedCrossEntropyLoss: predict_last_k must be >= 0, got {predict_last_k}")
        self._pad_id = pad_id
        self._label_smoothing = label_smoothing or 0.0
        self._predict_last_k = predict_last_k or 0
        self._eps = eps

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "log_probs": NeuralType(("B", "T", "D"), LogprobsType()),
            "labels": NeuralType(("B", "T"), LabelsType()),
            "output_mask": NeuralType(("B", "T"), MaskType(), optional=True),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(
        self, log_probs: torch.Tensor, labels: torch.Tensor, output_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        if output_mask is None:
            if self._pad_id is None:
                raise ValueError("SmoothedCrossEntropyLoss: pass output_mask or construct the loss with pad_id")
            output_mask = labels != self._pad_id
        output_mask = output_mask.to(log_probs.dtype)
        vocab_size = log_probs.shape[-1]
        smoothing = vocab_size * self._label_smoothing / (vocab_size - 1) if vocab_size > 1 else 0.0
        target = log_probs.gather(2, labels.unsqueeze(2)).squeeze(2)
        log_likelihood = (1.0 - smoothing) * target + smoothing * log_probs.mean(dim=-1)
        if self._predict_last_k:
            log_likelihood = log_likelihood[:, -self._predict_last_k :]
            output_mask = output_mask[:, -self._predict_last_k :]
        return -(log_likelihood * output_mask).sum() / (output_mask.sum() + self._eps)
