"""DDP-aware metrics shared by the collections (``torchmetrics`` loads when this subpackage is imported)."""

from nemo.collections.common.metrics.classification_accuracy import TopKClassificationAccuracy
from nemo.collections.common.metrics.classification_report import ClassificationReport
from nemo.collections.common.metrics.global_average_loss_metric import GlobalAverageLossMetric
from nemo.collections.common.metrics.meta_safe import MetaSafeMetric
from nemo.collections.common.metrics.perplexity import Perplexity

__all__ = [
    "ClassificationReport",
    "GlobalAverageLossMetric",
    "MetaSafeMetric",
    "Perplexity",
    "TopKClassificationAccuracy",
]
