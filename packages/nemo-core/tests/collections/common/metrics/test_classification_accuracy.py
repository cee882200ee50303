import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from nemo.collections.common.metrics import TopKClassificationAccuracy

LOGITS = torch.tensor([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5], [0.3, 0.35, 0.4]])
LABELS = torch.tensor([2, 0, 1, 0])  # top-1 right: sample 1; top-2 right: samples 0, 1, 2


def test_top_k_values_accumulate_over_updates():
    metric = TopKClassificationAccuracy(top_k=[1, 2, 3])
    metric.update(LOGITS[:2], LABELS[:2])
    metric.update(LOGITS[2:], LABELS[2:])
    assert metric.correct_counts_k.tolist() == [1, 3, 4] and metric.total_counts_k.tolist() == [4, 4, 4]
    assert [round(v.item(), 4) for v in metric.compute()] == [0.25, 0.75, 1.0]
    metric.reset()
    assert metric.total_counts_k.tolist() == [0, 0, 0]


def test_defaults_and_validation():
    assert TopKClassificationAccuracy().top_k == [1]
    assert TopKClassificationAccuracy(top_k=2).top_k == [2]
    with pytest.raises(ValueError, match="positive"):
        TopKClassificationAccuracy(top_k=[0])
    with pytest.raises(ValueError, match="exceeds the 3 classes"):
        TopKClassificationAccuracy(top_k=[5]).update(LOGITS, LABELS)
    with pytest.raises(ValueError, match=r"labels \[B\]"):
        TopKClassificationAccuracy().update(LOGITS, LABELS[:2])


def test_states_are_summed_across_ranks():
    whole = TopKClassificationAccuracy(top_k=[1, 2])
    assert all(whole._reductions[name] is dim_zero_sum for name in ("correct_counts_k", "total_counts_k"))
    whole.update(LOGITS, LABELS)
    rank0, rank1 = TopKClassificationAccuracy(top_k=[1, 2]), TopKClassificationAccuracy(top_k=[1, 2])
    rank0.update(LOGITS[:3], LABELS[:3])
    rank1.update(LOGITS[3:], LABELS[3:])
    rank0.merge_state(rank1)
    assert [v.item() for v in rank0.compute()] == [v.item() for v in whole.compute()]
