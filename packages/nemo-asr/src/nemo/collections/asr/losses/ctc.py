"""Typed CTC loss over batch-first log-probabilities, with NeMo's ``mean_batch`` reduction."""

from collections import OrderedDict
from typing import Dict

import torch
from torch import nn

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LengthsType, LogprobsType, LossType, NeuralType

__all__ = ["CTCLoss"]

_REDUCTIONS = ("mean_batch", "mean", "sum", "none")


class CTCLoss(nn.CTCLoss, Loss):
    """CTC with the blank at index ``num_classes``.

    ``reduction='mean_batch'``: per-utterance losses averaged over the batch (no division by target length);
    ``'mean'``, ``'sum'``, ``'none'``: as ``torch.nn.CTCLoss``.
    """

    def __init__(self, num_classes: int, zero_infinity: bool = False, reduction: str = "mean_batch") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"CTCLoss: reduction '{reduction}' is not one of {list(_REDUCTIONS)}")
        self._blank = num_classes
        self._apply_batch_mean = reduction == "mean_batch"
        super().__init__(
            blank=num_classes, reduction="none" if self._apply_batch_mean else reduction, zero_infinity=zero_infinity
        )

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "log_probs": NeuralType(("B", "T", "D"), LogprobsType()),
                "targets": NeuralType(("B", "T"), LabelsType()),
                "input_lengths": NeuralType(("B",), LengthsType()),
                "target_lengths": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"loss": NeuralType(elements_type=LossType())})

    @typecheck()
    def forward(
        self,
        log_probs: torch.Tensor,
        targets: torch.Tensor,
        input_lengths: torch.Tensor,
        target_lengths: torch.Tensor,
    ) -> torch.Tensor:
        loss = super().forward(log_probs.transpose(1, 0), targets.long(), input_lengths.long(), target_lengths.long())
        return loss.mean() if self._apply_batch_mean else loss
