"""Typed losses shared by the collections (``nemo.collections.common.losses``)."""

from nemo.collections.common.losses.aggregator import AggregatorLoss
from nemo.collections.common.losses.cross_entropy import CrossEntropyLoss, NLLLoss
from nemo.collections.common.losses.mse_loss import MSELoss
from nemo.collections.common.losses.multi_similarity_loss import MultiSimilarityLoss
from nemo.collections.common.losses.smoothed_cross_entropy import SmoothedCrossEntropyLoss
from nemo.collections.common.losses.spanning_loss import SpanningLoss

__all__ = [
    "AggregatorLoss",
    "CrossEntropyLoss",
    "MSELoss",
    "MultiSimilarityLoss",
    "NLLLoss",
    "SmoothedCrossEntropyLoss",
    "SpanningLoss",
]
