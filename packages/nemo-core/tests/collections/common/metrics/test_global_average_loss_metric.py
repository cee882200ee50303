import math

import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from nemo.collections.common.metrics import GlobalAverageLossMetric


def test_weighted_average_of_mean_losses_and_of_sums():
    metric = GlobalAverageLossMetric()
    with pytest.warns(UserWarning, match="before the ``update``"):
        assert math.isnan(metric.compute().item())
    metric.update(torch.tensor(2.0), torch.tensor(3))
    metric.update(torch.tensor(1.0), 1)
    assert metric.compute().item() == 7 / 4
    summed = GlobalAverageLossMetric(take_avg_loss=False)
    summed.update(torch.tensor(6.0), 3)
    assert summed.compute().item() == 2.0


def test_states_are_summed_across_ranks():
    rank0, rank1 = GlobalAverageLossMetric(), GlobalAverageLossMetric()
    assert rank0._reductions["loss_sum"] is dim_zero_sum and rank0._reductions["num_measurements"] is dim_zero_sum
    rank0.update(torch.tensor(2.0), 3)
    rank1.update(torch.tensor(1.0), 1)
    rank0.merge_state(rank1)
    assert rank0.compute().item() == 7 / 4
