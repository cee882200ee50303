"""``TranscriptLoss``: the typed interface and NeMo's reductions that the CTC and RNN-T losses share.

Both score label sequences (``targets`` ``[B, U]`` of ``target_lengths``) against model outputs of ``input_lengths``
frames, one loss per utterance, then reduce them as NeMo's ``reduction`` says. They run in float32 whatever the
precision around them: under autocast (Lightning's ``precision="bf16-mixed"`` or ``"16-mixed"``) half-precision
``log_probs`` are widened and autocast is off inside the loss, since sums of log-probabilities over hundreds of frames
lose their low digits in bfloat16's 8-bit mantissa.
"""

from collections import OrderedDict
from typing import Dict, Tuple

import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LengthsType, LogprobsType, LossType, NeuralType

__all__ = ["REDUCTIONS", "TranscriptLoss"]

REDUCTIONS = ("mean_batch", "mean", "sum", "none", "mean_volume")


def _widened(log_probs: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 as float32; float32 and float64 as they are."""
    return log_probs.float() if log_probs.dtype in (torch.float16, torch.bfloat16) else log_probs


class TranscriptLoss(Loss):
    """Per-utterance losses reduced by ``config_reduction``: ``mean_batch`` (averaged over the batch, NeMo's default),
    ``mean`` (each divided by its target length, then averaged), ``mean_volume`` (summed, over the summed target
    lengths), ``sum`` or ``none``. Subclasses give the axes of ``log_probs`` and ``_per_utterance``."""

    _log_probs_axes: Tuple[str, ...] = ("B", "T", "D")

    @staticmethod
    def _checked_reduction(owner: str, reduction: str) -> str:
        if reduction not in REDUCTIONS:
            raise ValueError(f"{owner}: reduction '{reduction}' is not one of {list(REDUCTIONS)}")
        return reduction

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "log_probs": NeuralType(self._log_probs_axes, LogprobsType()),
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
        with torch.autocast(device_type=log_probs.device.type, enabled=False):
            return self._reduced(_widened(log_probs), targets, input_lengths, target_lengths)

    def _reduced(
        self, log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> torch.Tensor:
        losses = self._per_utterance(log_probs, targets, input_lengths, target_lengths)
        reduction = self.config_reduction
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        if reduction == "mean":
            return (losses / target_lengths.clamp(min=1).to(losses.dtype)).mean()
        if reduction == "mean_volume":
            return losses.sum() / target_lengths.sum().clamp(min=1).to(losses.dtype)
        return losses.mean()

    def _per_utterance(
        self, log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> torch.Tensor:
        """The loss of each utterance, ``[B]``."""
        raise NotImplementedError
