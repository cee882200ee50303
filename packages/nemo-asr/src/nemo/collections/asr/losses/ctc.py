"""Typed CTC loss over batch-first log-probabilities, with NeMo's reductions (``mean_batch`` by default)."""

import torch
from torch import nn

from nemo.collections.asr.losses.transcript_loss import TranscriptLoss

__all__ = ["CTCLoss"]


class CTCLoss(TranscriptLoss, nn.CTCLoss):
    """CTC with the blank at index ``num_classes``; ``reduction`` as ``TranscriptLoss`` says (``mean``, ``sum`` and
    ``none`` are ``torch.nn.CTCLoss``'s; ``zero_infinity`` zeroes infinite per-utterance losses first)."""

    def __init__(self, num_classes: int, zero_infinity: bool = False, reduction: str = "mean_batch") -> None:
        reduction = self._checked_reduction("CTCLoss", reduction)
        self._blank = num_classes
        super().__init__(blank=num_classes, reduction="none", zero_infinity=zero_infinity)
        self.config_reduction = reduction

    def _per_utterance(
        self, log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> torch.Tensor:
        return nn.CTCLoss.forward(
            self, log_probs.transpose(1, 0), targets.long(), input_lengths.long(), target_lengths.long()
        )
