import pytest
import torch
import torch.nn.functional as F

from nemo.collections.common.losses import SpanningLoss


def test_start_end_loss_and_out_of_range_positions_are_ignored():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 2)
    start, end = torch.tensor([1, 9, 0]), torch.tensor([2, 3, 4])  # 9 is clamped to 5 and ignored
    loss, start_logits, end_logits = SpanningLoss()(logits=logits, start_positions=start, end_positions=end)
    assert start_logits.shape == end_logits.shape == (3, 5)
    expected_start = F.cross_entropy(logits[[0, 2], :, 0], torch.tensor([1, 0]))
    expected_end = F.cross_entropy(logits[..., 1], torch.tensor([2, 3, 4]))
    assert torch.allclose(loss, (expected_start + expected_end) / 2)
    assert start.tolist() == [1, 9, 0]  # the caller's tensor is not modified
    with pytest.raises(ValueError, match="2 scores"):
        SpanningLoss()(logits=torch.randn(1, 4, 3), start_positions=start[:1], end_positions=start[:1])
