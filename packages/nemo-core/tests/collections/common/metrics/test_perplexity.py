import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from nemo.collections.common.metrics import Perplexity


def test_uniform_distributions_have_perplexity_of_their_size():
    metric = Perplexity()
    with pytest.warns(UserWarning, match="before the ``update``"):
        assert metric.compute() is None
    metric.update(logits=torch.zeros(2, 3, 4))
    metric.update(probs=torch.tensor([[0.5, 0.5, 0.0, 0.0]]))
    assert metric.num_distributions.item() == 7
    assert metric.compute().item() == pytest.approx((6 * 4 + 2) / 7)
    with pytest.raises(ValueError, match="exactly one of probs and logits"):
        metric.update()


def test_states_are_summed_across_ranks():
    rank0, rank1 = Perplexity(), Perplexity()
    assert rank0._reductions["perplexities_sum"] is dim_zero_sum
    rank0.update(logits=torch.zeros(1, 4))
    rank1.update(logits=torch.zeros(1, 2))
    rank0.merge_state(rank1)
    assert rank0.compute().item() == pytest.approx(3.0)
