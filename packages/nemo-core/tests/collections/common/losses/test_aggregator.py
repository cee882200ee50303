import pytest
import torch

from nemo.collections.common.losses import AggregatorLoss


def test_weighted_sum_in_input_order_even_past_nine_inputs():
    weights = [float(i) for i in range(1, 12)]
    agg = AggregatorLoss(num_inputs=11, weights=weights)
    assert list(agg.input_types) == [f"loss_{i}" for i in range(1, 12)]
    losses = {f"loss_{i}": torch.tensor(float(i)) for i in range(1, 12)}
    assert agg(**losses).item() == sum(i * i for i in range(1, 12))


def test_unweighted_sum_keeps_graph_and_validates():
    a, b = torch.tensor(1.5, requires_grad=True), torch.tensor(2.0)
    total = AggregatorLoss()(loss_1=a, loss_2=b)
    total.backward()
    assert total.item() == 3.5 and a.grad.item() == 1.0
    with pytest.raises(ValueError, match="3 weights given for num_inputs=2"):
        AggregatorLoss(num_inputs=2, weights=[1, 2, 3])
    with pytest.raises(TypeError, match="loss_2"):
        AggregatorLoss()(loss_1=a)
