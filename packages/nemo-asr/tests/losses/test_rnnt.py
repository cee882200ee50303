"""The RNN-T loss against brute-force enumeration of every alignment, values and gradients."""

import itertools

import pytest
import torch

from nemo.collections.asr.losses.rnnt import RNNTLoss, rnnt_loss


def _brute_force(logits, targets, frames, labels, blank):
    """-log sum over all alignments of T_b frames and U_b labels (each frame ends with one blank)."""
    log_probs = torch.log_softmax(logits, dim=-1)
    total = []
    for t_steps in itertools.combinations_with_replacement(range(frames), labels):
        # label k is emitted at frame t_steps[k] (non-decreasing); after the last one, blanks advance the frames.
        score, u = log_probs.new_zeros(()), 0
        for t in range(frames):
            while u < labels and t_steps[u] == t:
                score = score + log_probs[t, u, targets[u]]
                u += 1
            score = score + log_probs[t, u, blank]
        total.append(score)
    return -torch.logsumexp(torch.stack(total), dim=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_and_gradients_match_brute_force(seed):
    generator = torch.Generator().manual_seed(seed)
    batch, frames, labels, vocab = 3, 5, 3, 4
    blank = vocab  # NeMo's convention: the blank is the last index
    logits = torch.randn(batch, frames, labels + 1, vocab + 1, generator=generator, dtype=torch.float64)
    targets = torch.randint(0, vocab, (batch, labels), generator=generator)
    logit_lengths = torch.tensor([5, 4, 2])
    target_lengths = torch.tensor([3, 1, 2])

    ours_input = logits.clone().requires_grad_(True)
    ours = rnnt_loss(ours_input, targets, logit_lengths, target_lengths, blank)
    ours.sum().backward()

    reference_input = logits.clone().requires_grad_(True)
    reference = torch.stack(
        [
            _brute_force(reference_input[b], targets[b], int(logit_lengths[b]), int(target_lengths[b]), blank)
            for b in range(batch)
        ]
    )
    reference.sum().backward()
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_input.grad, reference_input.grad, atol=1e-5, rtol=0)


def test_reductions_and_module_interface():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 4, 6)
    targets = torch.tensor([[1, 2, 3], [4, 0, 0]])
    lengths, target_lengths = torch.tensor([6, 5]), torch.tensor([3, 1])
    per_utterance = RNNTLoss(num_classes=5, reduction="none")(
        log_probs=logits, targets=targets, input_lengths=lengths, target_lengths=target_lengths
    )
    assert per_utterance.shape == (2,) and bool((per_utterance > 0).all())
    expected = {
        "mean_batch": per_utterance.mean(),
        "sum": per_utterance.sum(),
        "mean": (per_utterance / target_lengths).mean(),
        "mean_volume": per_utterance.sum() / 4,
    }
    for reduction, value in expected.items():
        loss = RNNTLoss(num_classes=5, reduction=reduction)(
            log_probs=logits, targets=targets, input_lengths=lengths, target_lengths=target_lengths
        )
        torch.testing.assert_close(loss, value)
    with pytest.raises(ValueError, match="reduction 'avg'"):
        RNNTLoss(num_classes=5, reduction="avg")


def test_a_certain_alignment_costs_nothing():
    # Logits that make the only sensible path (emit 'a' at frame 0, then blanks) near-certain.
    big = 50.0
    logits = torch.zeros(1, 3, 2, 3)
    logits[0, 0, 0, 1] = big  # frame 0, nothing emitted yet: emit label 1
    logits[0, :, 1, 2] = big  # once emitted: blank (index 2) at every frame
    logits[0, 1:, 0, 2] = big
    loss = rnnt_loss(logits, torch.tensor([[1]]), torch.tensor([3]), torch.tensor([1]), blank=2)
    assert loss.item() < 1e-6
