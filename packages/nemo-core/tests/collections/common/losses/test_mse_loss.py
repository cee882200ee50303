import pytest
import torch

from nemo.collections.common.losses import MSELoss


def test_mse_matches_torch_and_casts_labels():
    preds, labels = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1, 0, 2])
    assert MSELoss()(preds=preds, labels=labels).item() == pytest.approx((0 + 4 + 4) / 3)
    assert MSELoss(reduction="sum")(preds=preds, labels=labels).item() == 8.0
