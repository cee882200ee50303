"""Per-class precision/recall/F1 report as a DDP-aware ``torchmetrics.Metric`` (NLP classification models)."""

from typing import Any, Dict, Optional, Tuple

import torch
from torchmetrics.utilities.distributed import gather_all_tensors

from nemo.collections.common.metrics.meta_safe import MetaSafeMetric

__all__ = ["ClassificationReport"]

METRIC_EPS = 1e-7  # keeps the ratios finite for classes that were never predicted or never seen
_MODES = ("macro", "micro", "weighted", "all")

Counts = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


class ClassificationReport(MetaSafeMetric):
    """Counts true positives, false negatives and false positives per class; reports percentages.

    Use as in NeMo v1::

        tp, fn, fp, _ = self.classification_report(preds, labels)  # validation_step: accumulate the batch
        precision, recall, f1, report = self.classification_report.compute()  # epoch end: whole epoch
        self.classification_report.reset()

    Calling the metric (``forward``) adds the batch to the epoch's counts and returns the batch's per-class
    ``(tp, fn, fp, tn)``; ``update`` only accumulates. ``compute()`` returns ``(precision, recall, f1, report)`` as
    in v1: percentages for ``mode`` (``'macro'`` averages over the classes that occur in the labels, ``'weighted'``
    weights classes by support, ``'micro'`` pools the counts, ``'all'`` gives per-class tensors) and the text table
    of :meth:`format_report`. The states ``tp``, ``fn``, ``fp`` are summed across processes before ``compute``.

    NeMo v1's own ``forward`` returned the batch's ``compute()`` (precision, recall, f1, report), which its models
    unpacked as ``tp, fn, fp, _``; the four values here are what those names say. Code that keeps only the epoch
    result from ``compute()`` behaves the same either way.
    """

    higher_is_better = True

    def __init__(
        self,
        num_classes: int,
        label_ids: Optional[Dict[str, int]] = None,
        mode: str = "macro",
        dist_sync_on_step: bool = False,
        process_group: Optional[Any] = None,
        **kwargs: Any,
    ) -> None:
        """``kwargs`` go to ``torchmetrics.Metric`` (``dist_sync_fn``, ``sync_on_compute``...)."""
        super().__init__(dist_sync_on_step=dist_sync_on_step, process_group=process_group, **kwargs)
        if num_classes < 1:
            raise ValueError(f"ClassificationReport: num_classes must be >= 1, got {num_classes}")
        if mode not in _MODES:
            raise ValueError(f"ClassificationReport: mode={mode!r} is not supported; expected one of {_MODES}")
        self.num_classes = num_classes
        self.ids_to_labels = {v: k for k, v in label_ids.items()} if label_ids else None
        self.mode = mode
        self.reset_buffers()

    def declare_states(self) -> None:
        for name in ("tp", "fn", "fp"):
            self.add_state(name, default=torch.zeros(self.num_classes, dtype=torch.long), dist_reduce_fx="sum")

    def _batch_counts(self, predictions: torch.Tensor, labels: torch.Tensor) -> Counts:
        """Per-class ``(tp, fn, fp, tn)`` of one batch of class ids (any matching shapes), checked for range."""
        predictions, labels = predictions.reshape(-1).long(), labels.reshape(-1).long()
        if predictions.shape != labels.shape:
            raise ValueError(
                f"ClassificationReport: {predictions.numel()} predictions but {labels.numel()} labels were given"
            )
        for name, ids in (("predictions", predictions), ("labels", labels)):
            if ids.numel() and (ids.min() < 0 or ids.max() >= self.num_classes):
                raise ValueError(
                    f"ClassificationReport: {name} contain ids outside [0, {self.num_classes}): "
                    f"min {int(ids.min())}, max {int(ids.max())}"
                )
        n = self.num_classes
        tp = torch.bincount(labels[predictions == labels], minlength=n)
        fp = torch.bincount(predictions, minlength=n) - tp
        fn = torch.bincount(labels, minlength=n) - tp
        tn = labels.numel() - tp - fp - fn
        return tp, fn, fp, tn

    def update(self, predictions: torch.Tensor, labels: torch.Tensor) -> None:
        """Add a batch of predicted and true class ids to the epoch's counts."""
        tp, fn, fp, _ = self._batch_counts(predictions, labels)
        self.tp += tp
        self.fn += fn
        self.fp += fp

    def forward(self, predictions: torch.Tensor, labels: torch.Tensor) -> Counts:
        """Accumulate the batch and return its per-class ``(tp, fn, fp, tn)``.

        With ``dist_sync_on_step=True`` in a distributed run the returned counts are summed over the processes
        (the accumulated states are not: they are summed once, by ``compute``).
        """
        counts = self._batch_counts(predictions, labels)
        self.update(predictions, labels)
        if self.dist_sync_on_step and self.distributed_available_fn():
            gather = self.dist_sync_fn or gather_all_tensors
            summed = torch.stack(gather(torch.stack(counts), group=self.process_group)).sum(dim=0)
            counts = tuple(summed.unbind(0))
        return counts

    def _per_class(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        tp, fn, fp = self.tp.double(), self.fn.double(), self.fp.double()
        precision = tp * 100 / (tp + fp + METRIC_EPS)
        recall = tp * 100 / (tp + fn + METRIC_EPS)
        f1 = 2 * precision * recall / (precision + recall + METRIC_EPS)
        return precision, recall, f1, tp + fn

    def _averages(self) -> Dict[str, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        precision, recall, f1, support = self._per_class()
        tp, fn, fp = self.tp.sum().double(), self.fn.sum().double(), self.fp.sum().double()
        micro_p = tp * 100 / (tp + fp + METRIC_EPS)
        micro_r = tp * 100 / (tp + fn + METRIC_EPS)
        non_empty = (support > 0).sum().clamp(min=1)
        total = support.sum().clamp(min=1)
        return {
            "micro": (micro_p, micro_r, 2 * micro_p * micro_r / (micro_p + micro_r + METRIC_EPS)),
            "macro": (precision.sum() / non_empty, recall.sum() / non_empty, f1.sum() / non_empty),
            "weighted": tuple((values * support).sum() / total for values in (precision, recall, f1)),
        }

    def format_report(self) -> str:
        """The per-class table plus micro/macro/weighted averages for the counts so far (percentages)."""
        precision, recall, f1, support = self._per_class()
        row = "\n{:50s}   {:8.2f}   {:8.2f}   {:8.2f}   {:8.0f}"
        report = "\n{:50s}   {:10s}   {:10s}   {:10s}   {:10s}".format("label", "precision", "recall", "f1", "support")
        for i in range(self.num_classes):
            label = f"label_id: {i}"
            if self.ids_to_labels and i in self.ids_to_labels:
                label = f"{self.ids_to_labels[i]} ({label})"
            report += row.format(label, precision[i], recall[i], f1[i], support[i])
        report += "\n-------------------"
        total = support.sum()
        for name, (p, r, f) in self._averages().items():
            report += row.format(f"{name} avg", p, r, f, total)
        return report + "\n"

    def compute(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]:
        """``(precision, recall, f1, report)`` of everything accumulated since the last ``reset``."""
        values = self._per_class()[:3] if self.mode == "all" else self._averages()[self.mode]
        precision, recall, f1 = (value.float() for value in values)
        return precision, recall, f1, self.format_report()
