"""Top-k classification accuracy as a DDP-aware ``torchmetrics.Metric`` (ASR speech-command classifiers)."""

from typing import Iterable, List, Optional, Union

import torch

from nemo.collections.common.metrics.meta_safe import MetaSafeMetric

__all__ = ["TopKClassificationAccuracy"]


class TopKClassificationAccuracy(MetaSafeMetric):
    """Fraction of samples whose label is among the ``k`` highest logits, for each ``k`` in ``top_k``.

    States ``correct_counts_k`` and ``total_counts_k`` (one entry per ``k``) accumulate over ``update`` calls and are
    summed across processes, so ``compute()`` gives the accuracy over all data seen by all ranks since ``reset()``.
    ``compute()`` returns a list of 0-dim tensors in the order of ``top_k``.
    """

    higher_is_better = True

    def __init__(self, top_k: Optional[Union[int, Iterable[int]]] = None, dist_sync_on_step: bool = False) -> None:
        super().__init__(dist_sync_on_step=dist_sync_on_step)
        self.top_k = top_k
        self.reset_buffers()

    def declare_states(self) -> None:
        for name in ("correct_counts_k", "total_counts_k"):
            self.add_state(
                name, default=torch.zeros(len(self.top_k), dtype=torch.long), dist_reduce_fx="sum", persistent=False
            )

    @property
    def top_k(self) -> List[int]:
        return self._top_k

    @top_k.setter
    def top_k(self, value: Optional[Union[int, Iterable[int]]]) -> None:
        values = [1] if value is None else [value] if isinstance(value, int) else [int(k) for k in value]
        if not values or any(k < 1 for k in values):
            raise ValueError(f"TopKClassificationAccuracy: top_k must be positive integers, got {value!r}")
        self._top_k = values

    @torch.no_grad()
    def top_k_predicted_labels(self, logits: torch.Tensor) -> torch.Tensor:
        """Indices of the ``max(top_k)`` highest logits per row, best first."""
        return logits.topk(max(self.top_k), dim=1, largest=True, sorted=True).indices

    def update(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        if logits.dim() != 2 or labels.shape != logits.shape[:1]:
            raise ValueError(
                f"TopKClassificationAccuracy: expected logits [B, C] and labels [B], got {tuple(logits.shape)} and "
                f"{tuple(labels.shape)}"
            )
        if max(self.top_k) > logits.shape[1]:
            raise ValueError(f"TopKClassificationAccuracy: top_k={self.top_k} exceeds the {logits.shape[1]} classes")
        with torch.no_grad():
            hits = self.top_k_predicted_labels(logits) == labels.view(-1, 1)
            correct = torch.stack([hits[:, :k].any(dim=1).sum() for k in self.top_k])
            self.correct_counts_k += correct.to(self.correct_counts_k)
            self.total_counts_k += labels.shape[0]

    def compute(self) -> List[torch.Tensor]:
        accuracy = self.correct_counts_k.double() / self.total_counts_k
        return [value.float() for value in accuracy]
