"""Mean squared error for regression heads (e.g. GLUE STS-B)."""

from typing import Dict

import torch
import torch.nn.functional as F

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LossType, NeuralType, RegressionValuesType

__all__ = ["MSELoss"]


class MSELoss(Loss):
    """``torch.nn.MSELoss`` with typed inputs ``preds`` and ``labels`` of shape ``[B]``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "preds": NeuralType(tuple("B"), RegressionValuesType()),
            "labels": NeuralType(tuple("B"), LabelsType()),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(self, preds: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(preds, labels.to(preds.dtype), reduction=self.reduction)
