import pytest
import torch

from nemo.collections.asr.losses import CTCLoss
from nemo.core.classes.loss import Loss


def _batch():
    torch.manual_seed(0)
    log_probs = torch.randn(3, 12, 5).log_softmax(-1)
    targets = torch.tensor([[0, 1, 2], [3, 3, 0], [1, 0, 0]])
    return log_probs, targets, torch.tensor([12, 10, 7]), torch.tensor([3, 2, 1])


def test_mean_batch_is_the_batch_mean_of_per_utterance_losses():
    log_probs, targets, in_len, tgt_len = _batch()
    loss = CTCLoss(num_classes=4)
    assert isinstance(loss, Loss) and loss.blank == 4
    value = loss(log_probs=log_probs, targets=targets, input_lengths=in_len, target_lengths=tgt_len)
    reference = torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1), targets, in_len, tgt_len, blank=4, reduction="none"
    )
    torch.testing.assert_close(value, reference.mean())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_torch_reductions(reduction):
    log_probs, targets, in_len, tgt_len = _batch()
    value = CTCLoss(num_classes=4, reduction=reduction)(
        log_probs=log_probs, targets=targets, input_lengths=in_len, target_lengths=tgt_len
    )
    reference = torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1), targets, in_len, tgt_len, blank=4, reduction=reduction
    )
    torch.testing.assert_close(value, reference)


def test_mean_volume_is_the_summed_loss_over_the_summed_target_lengths():
    log_probs, targets, in_len, tgt_len = _batch()
    value = CTCLoss(num_classes=4, reduction="mean_volume")(
        log_probs=log_probs, targets=targets, input_lengths=in_len, target_lengths=tgt_len
    )
    per_utterance = torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1), targets, in_len, tgt_len, blank=4, reduction="none"
    )
    torch.testing.assert_close(value, per_utterance.sum() / 6)


def test_zero_infinity_and_errors():
    log_probs = torch.randn(1, 2, 5).log_softmax(-1)
    args = dict(
        log_probs=log_probs,
        targets=torch.tensor([[0, 1, 2]]),
        input_lengths=torch.tensor([2]),
        target_lengths=torch.tensor([3]),
    )
    assert torch.isinf(CTCLoss(num_classes=4)(**args))
    assert CTCLoss(num_classes=4, zero_infinity=True)(**args).item() == 0.0
    with pytest.raises(ValueError, match="reduction"):
        CTCLoss(num_classes=4, reduction="avg")
    with pytest.raises(TypeError, match="keyword"):
        CTCLoss(num_classes=4)(*args.values())
