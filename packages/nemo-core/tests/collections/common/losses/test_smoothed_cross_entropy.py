import pytest
import torch

from nemo.collections.common.losses import SmoothedCrossEntropyLoss


def _inputs():
    torch.manual_seed(0)
    log_probs = torch.randn(2, 4, 5).log_softmax(-1)
    labels = torch.tensor([[1, 2, 3, 0], [4, 0, 0, 0]])  # 0 is padding
    return log_probs, labels


def test_without_smoothing_is_mean_nll_over_real_tokens():
    log_probs, labels = _inputs()
    loss = SmoothedCrossEntropyLoss(pad_id=0)(log_probs=log_probs, labels=labels)
    mask = labels != 0
    expected = -log_probs.gather(2, labels.unsqueeze(2)).squeeze(2)[mask].mean()
    assert torch.allclose(loss, expected, atol=1e-5)


def test_label_smoothing_mixes_in_the_mean_log_prob():
    log_probs, labels = _inputs()
    mask = torch.ones_like(labels)
    s, vocab = 0.1, 5
    weight = s * vocab / (vocab - 1)
    target = log_probs.gather(2, labels.unsqueeze(2)).squeeze(2)
    expected = -((1 - weight) * target + weight * log_probs.mean(-1)).sum() / (mask.sum() + 1e-6)
    loss = SmoothedCrossEntropyLoss(label_smoothing=s)(log_probs=log_probs, labels=labels, output_mask=mask)
    assert torch.allclose(loss, expected)


def test_predict_last_k_and_missing_mask():
    log_probs, labels = _inputs()
    loss = SmoothedCrossEntropyLoss(pad_id=-1, predict_last_k=1)(log_probs=log_probs, labels=labels)
    expected = -log_probs[:, -1].gather(1, labels[:, -1:]).mean()
    assert torch.allclose(loss, expected, atol=1e-5)
    with pytest.raises(ValueError, match="output_mask or construct the loss with pad_id"):
        SmoothedCrossEntropyLoss()(log_probs=log_probs, labels=labels)
    with pytest.raises(ValueError, match="predict_last_k"):
        SmoothedCrossEntropyLoss(predict_last_k=-1)
    all_pad = SmoothedCrossEntropyLoss(pad_id=0)(log_probs=log_probs, labels=torch.zeros_like(labels))
    assert all_pad.item() == 0.0
