"""Start/end span loss of extractive question answering."""

from typing import Dict, Tuple

import torch
import torch.nn.functional as F

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import ChannelType, LogitsType, LossType, NeuralType

__all__ = ["SpanningLoss"]


class SpanningLoss(Loss):
    """Mean of the start- and end-position cross-entropies.

    ``logits`` ``[B, T, 2]`` hold start and end scores per token. Positions outside ``[0, T)`` are clamped to ``T``
    and then ignored, as in BERT's SQuAD head; unanswerable questions should point at ``[CLS]`` (position 0).
    Returns ``(loss, start_logits, end_logits)``.
    """

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "logits": NeuralType(("B", "T", "D"), LogitsType()),
            "start_positions": NeuralType(tuple("B"), ChannelType()),
            "end_positions": NeuralType(tuple("B"), ChannelType()),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "loss": NeuralType(elements_type=LossType()),
            "start_logits": NeuralType(("B", "T"), LogitsType()),
            "end_logits": NeuralType(("B", "T"), LogitsType()),
        }

    @typecheck()
    def forward(
        self, logits: torch.Tensor, start_positions: torch.Tensor, end_positions: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if logits.shape[-1] != 2:
            raise ValueError(f"SpanningLoss: logits must end in 2 scores (start, end), got shape {tuple(logits.shape)}")
        start_logits, end_logits = (part.squeeze(-1) for part in logits.split(1, dim=-1))
        ignored = start_logits.shape[1]
        start = start_positions.reshape(-1).long().clamp(0, ignored)  # not in place: callers keep their tensors
        end = end_positions.reshape(-1).long().clamp(0, ignored)
        start_loss = F.cross_entropy(start_logits, start, ignore_index=ignored)
        end_loss = F.cross_entropy(end_logits, end, ignore_index=ignored)
        return (start_loss + end_loss) / 2, start_logits, end_logits
