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


def _loss_inputs(log_probs_shape, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    batch, frames, classes = log_probs_shape[0], log_probs_shape[1], log_probs_shape[-1]
    logits = torch.randn(*log_probs_shape, generator=generator)
    targets = torch.randint(0, classes - 1, (batch, 3), generator=generator)
    return logits, targets, torch.full((batch,), frames), torch.full((batch,), 3)


@pytest.mark.parametrize(
    "loss, shape",
    [(CTCLoss(num_classes=5), (2, 12, 6)), (RNNTLoss(num_classes=5), (2, 6, 4, 6))],
    ids=["ctc", "rnnt"],
)
def test_runs_in_float32_under_bf16_autocast(loss, shape):
    """bfloat16 log-probabilities under CPU autocast (Lightning's bf16-mixed) are scored in float32: the loss equals
    the float32 loss of the same (rounded) values, and the loss's own ops see no autocast."""
    logits, targets, input_lengths, target_lengths = _loss_inputs(shape)
    log_probs = torch.log_softmax(logits, -1).bfloat16() if len(shape) == 3 else logits.bfloat16()
    seen = []
    original = loss._per_utterance

    def recording(lp, *args):
        seen.append((lp.dtype, torch.is_autocast_enabled("cpu")))
        return original(lp, *args)

    loss._per_utterance = recording
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(log_probs=log_probs, targets=targets, input_lengths=input_lengths, target_lengths=target_lengths)
    del loss._per_utterance
    expected = loss(
        log_probs=log_probs.float(), targets=targets, input_lengths=input_lengths, target_lengths=target_lengths
    )
    assert seen == [(torch.float32, False)]
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, expected, rtol=0, atol=0)
