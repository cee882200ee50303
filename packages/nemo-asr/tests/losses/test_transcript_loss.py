"""TranscriptLoss: NeMo's reductions of per-utterance losses, and the typed interface both ASR losses share."""

import pytest
import torch

from nemo.collections.asr.losses import CTCLoss, RNNTLoss
from nemo.collections.asr.losses.transcript_loss import REDUCTIONS, TranscriptLoss

PER_UTTERANCE = torch.tensor([3.0, 8.0, 1.0])
TARGET_LENGTHS = torch.tensor([3, 4, 0])


class _Given(TranscriptLoss):
    """Per-utterance losses taken as given (``log_probs`` holds them), so only the reduction is under test."""

    def __init__(self, reduction: str) -> None:
        super().__init__()
        self.config_reduction = self._checked_reduction("Given", reduction)

    def _per_utterance(self, log_probs, targets, input_lengths, target_lengths):
        return log_probs[:, 0, 0]


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("none", PER_UTTERANCE),
        ("sum", torch.tensor(12.0)),
        ("mean_batch", torch.tensor(4.0)),
        ("mean", torch.tensor((1.0 + 2.0 + 1.0) / 3)),  # each over its target length (at least 1)
        ("mean_volume", torch.tensor(12.0 / 7)),
    ],
)
def test_reductions(reduction, expected):
    loss = _Given(reduction)(
        log_probs=PER_UTTERANCE.view(3, 1, 1),
        targets=torch.zeros(3, 4, dtype=torch.long),
        input_lengths=torch.tensor([1, 1, 1]),
        target_lengths=TARGET_LENGTHS,
    )
    torch.testing.assert_close(loss, expected)


def test_every_reduction_is_accepted_by_both_losses_and_others_are_refused():
    assert set(REDUCTIONS) == {"none", "sum", "mean_batch", "mean", "mean_volume"}
    for reduction in REDUCTIONS:
        assert CTCLoss(num_classes=4, reduction=reduction).config_reduction == reduction
        assert RNNTLoss(num_classes=4, reduction=reduction).config_reduction == reduction
    with pytest.raises(ValueError, match="RNNTLoss: reduction 'avg' is not one of"):
        RNNTLoss(num_classes=4, reduction="avg")
    assert [name for name in CTCLoss(num_classes=4).input_types] == list(RNNTLoss(num_classes=4).input_types)
