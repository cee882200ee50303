"""Cross-entropy and negative log-likelihood over flattened, optionally masked predictions."""

from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LabelsType, LogitsType, LogprobsType, LossType, MaskType, NeuralType

__all__ = ["CrossEntropyLoss", "NLLLoss"]


def _flatten_and_mask(
    scores: torch.Tensor, labels: torch.Tensor, mask: Optional[torch.Tensor]
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Scores ``[..., C]`` -> ``[N, C]`` and labels ``[...]`` -> ``[N]``, keeping positions where ``mask`` is set.

    A non-boolean mask counts as set above 0.5. When nothing is kept, the loss is taken against the scores' own
    argmax over all positions, so the result stays connected to the graph (as in NeMo).
    """
    scores_flat = scores.reshape(-1, scores.shape[-1])
    labels_flat = labels.reshape(-1)
    if mask is not None:
        keep = (mask if mask.dtype == torch.bool else mask > 0.5).reshape(-1)
        scores_kept, labels_flat = scores_flat[keep], labels_flat[keep]
        if labels_flat.numel() == 0:
            return scores_flat, scores_flat.argmax(dim=-1)
        scores_flat = scores_kept
    return scores_flat, labels_flat


def _weight_tensor(weight: Optional[Union[Sequence[float], torch.Tensor]]) -> Optional[torch.Tensor]:
    if weight is None or torch.is_tensor(weight):
        return weight
    return torch.tensor(list(weight), dtype=torch.float32)


class _FlatScoresLoss(Loss):
    """Scores ``[B, ..., C]`` (named ``_scores_name``) against integer labels ``[B, ...]``, flattened and masked."""

    _scores_name = "logits"
    _scores_type: type = LogitsType

    def __init__(
        self, scores_ndim: int, weight: Optional[Union[List[float], torch.Tensor]], reduction: str, ignore_index: int
    ) -> None:
        super().__init__(reduction=reduction)
        if scores_ndim < 2:
            raise ValueError(
                f"{self._scores_name}: the scores need at least 2 dimensions (batch and classes), got {scores_ndim}"
            )
        self._scores_ndim = scores_ndim
        self.ignore_index = ignore_index
        self.register_buffer("weight", _weight_tensor(weight))

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        any_axes = ["ANY"] * (self._scores_ndim - 2)
        return {
            self._scores_name: NeuralType(["B", *any_axes, "ANY"], self._scores_type()),
            "labels": NeuralType(["B", *any_axes], LabelsType()),
            "loss_mask": NeuralType(["B", *any_axes], MaskType(), optional=True),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    def _loss(
        self,
        scores: torch.Tensor,
        labels: torch.Tensor,
        loss_mask: Optional[torch.Tensor],
        loss_fn: Callable[..., torch.Tensor],
    ) -> torch.Tensor:
        scores, labels = _flatten_and_mask(scores, labels, loss_mask)
        weight = None if self.weight is None else self.weight.to(scores)
        return loss_fn(scores, labels, weight=weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_FlatScoresLoss):
    """Cross-entropy between ``logits`` ``[B, ..., C]`` and integer ``labels`` ``[B, ...]``.

    Every position is flattened into one batch; ``loss_mask`` ``[B, ...]`` selects the positions that count, so with
    ``reduction='mean'`` the loss is the mean over unmasked positions (weighted by ``weight`` per class). Labels equal
    to ``ignore_index`` are skipped as in ``torch.nn.CrossEntropyLoss``.
    """

    def __init__(
        self,
        logits_ndim: int = 2,
        weight: Optional[Union[List[float], torch.Tensor]] = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__(logits_ndim, weight, reduction, ignore_index)

    @typecheck()
    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, loss_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        return self._loss(logits, labels, loss_mask, F.cross_entropy)


class NLLLoss(_FlatScoresLoss):
    """Negative log-likelihood of ``log_probs`` ``[B, ..., C]``; flattening and masking as in CrossEntropyLoss."""

    _scores_name = "log_probs"
    _scores_type = LogprobsType

    def __init__(
        self,
        log_probs_ndim: int = 2,
        weight: Optional[Union[List[float], torch.Tensor]] = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__(log_probs_ndim, weight, reduction, ignore_index)

    @typecheck()
    def forward(
        self, log_probs: torch.Tensor, labels: torch.Tensor, loss_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        return self._loss(log_probs, labels, loss_mask, F.nll_loss)
