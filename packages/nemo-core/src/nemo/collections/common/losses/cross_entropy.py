"""Cross-entropy and negative log-likelihood over flattened, optionally masked predictions."""

from typing import Dict, List, Optional, Sequence, Tuple, Union

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


def _types(ndim: int, element: type, name: str) -> Dict[str, NeuralType]:
    if ndim < 2:
        raise ValueError(f"{name}: the scores need at least 2 dimensions (batch and classes), got {ndim}")
    return {
        name: NeuralType(["B"] + ["ANY"] * (ndim - 1), element()),
        "labels": NeuralType(["B"] + ["ANY"] * (ndim - 2), LabelsType()),
        "loss_mask": NeuralType(["B"] + ["ANY"] * (ndim - 2), MaskType(), optional=True),
    }


class CrossEntropyLoss(Loss):
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
        super().__init__(reduction=reduction)
        _types(logits_ndim, LogitsType, "logits")  # validates logits_ndim
        self._logits_dim = logits_ndim
        self.ignore_index = ignore_index
        self.register_buffer("weight", _weight_tensor(weight))

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return _types(self._logits_dim, LogitsType, "logits")

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, loss_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        logits, labels = _flatten_and_mask(logits, labels, loss_mask)
        weight = None if self.weight is None else self.weight.to(logits)
        return F.cross_entropy(logits, labels, weight=weight, ignore_index=self.ignore_index, reduction=self.reduction)


class NLLLoss(Loss):
    """Negative log-likelihood of ``log_probs`` ``[B, ..., C]``; flattening and masking as in CrossEntropyLoss."""

    def __init__(
        self,
        log_probs_ndim: int = 2,
        weight: Optional[Union[List[float], torch.Tensor]] = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__(reduction=reduction)
        _types(log_probs_ndim, LogprobsType, "log_probs")
        self._log_probs_dim = log_probs_ndim
        self.ignore_index = ignore_index
        self.register_buffer("weight", _weight_tensor(weight))

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return _types(self._log_probs_dim, LogprobsType, "log_probs")

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(
        self, log_probs: torch.Tensor, labels: torch.Tensor, loss_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        log_probs, labels = _flatten_and_mask(log_probs, labels, loss_mask)
        weight = None if self.weight is None else self.weight.to(log_probs)
        return F.nll_loss(log_probs, labels, weight=weight, ignore_index=self.ignore_index, reduction=self.reduction)
