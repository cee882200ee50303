import numpy as np
import pytest
import torch
from scipy.stats import betabinom

from nemo.collections.tts.modules.aligner import (
    AlignmentEncoder,
    BinLoss,
    ForwardSumLoss,
    beta_binomial_prior,
    durations_from_alignment,
    mas,
)


def _best_path_score(log_attn: np.ndarray) -> float:
    """Reference: best monotonic path score (stay or advance by one token per frame, first to last token)."""
    frames, tokens = log_attn.shape
    best = np.full((frames, tokens), -np.inf)
    best[0, 0] = log_attn[0, 0]
    for i in range(1, frames):
        for j in range(tokens):
            previous = max(best[i - 1, j], best[i - 1, j - 1] if j else -np.inf)
            best[i, j] = previous + log_attn[i, j]
    return float(best[-1, -1])


def _assert_monotonic(hard: torch.Tensor, text_len: int, mel_len: int) -> None:
    tokens = hard[:mel_len].argmax(dim=1)
    assert torch.all(hard[:mel_len].sum(dim=1) == 1) and torch.all(hard[mel_len:] == 0)
    assert torch.all(hard[:, text_len:] == 0)
    steps = tokens[1:] - tokens[:-1]
    assert torch.all((steps == 0) | (steps == 1))
    assert int(tokens[0]) == 0 and int(tokens[-1]) == text_len - 1


def test_mas_is_the_optimal_monotonic_path():
    torch.manual_seed(0)
    log_attn = torch.log_softmax(torch.randn(4, 12, 6), dim=-1)
    text_lens, mel_lens = torch.tensor([6, 4, 1, 5]), torch.tensor([12, 9, 3, 5])
    hard = mas(log_attn, text_lens, mel_lens)
    durations = durations_from_alignment(hard)
    assert durations.sum(dim=1).tolist() == mel_lens.tolist()
    for b in range(4):
        t, m = int(text_lens[b]), int(mel_lens[b])
        _assert_monotonic(hard[b], t, m)
        assert torch.all(durations[b, :t] >= 1) and torch.all(durations[b, t:] == 0)
        chosen = float((log_attn[b, :m, :t] * hard[b, :m, :t]).sum())
        assert chosen == pytest.approx(_best_path_score(log_attn[b, :m, :t].numpy()), abs=1e-5)


def test_mas_follows_a_clear_diagonal_and_handles_too_few_frames():
    expected = torch.tensor([2, 3, 1, 4])
    owner = torch.repeat_interleave(torch.arange(4), expected)
    log_attn = torch.full((1, 10, 4), -5.0)
    log_attn[0, torch.arange(10), owner] = 0.0
    hard = mas(log_attn, torch.tensor([4]), torch.tensor([10]))
    assert durations_from_alignment(hard)[0].tolist() == expected.tolist()
    short = mas(torch.zeros(1, 3, 5), torch.tensor([5]), torch.tensor([3]))
    durations = durations_from_alignment(short)[0]
    assert int(durations.sum()) == 3 and torch.all(durations >= 0) and int((durations == 0).sum()) == 2


def test_beta_binomial_prior_matches_scipy():
    prior = beta_binomial_prior(torch.tensor([5, 3]), torch.tensor([8, 4]))
    assert prior.shape == (2, 8, 5)
    for i in range(1, 9):
        expected = betabinom(4, i, 8 + 1 - i).pmf(np.arange(5))
        np.testing.assert_allclose(prior[0, i - 1].numpy(), expected, rtol=1e-4, atol=1e-7)
    assert torch.all(prior[1, 4:] == 0) and torch.all(prior[1, :, 3:] == 0)
    torch.testing.assert_close(prior[1, :4].sum(dim=1), torch.ones(4))


def test_alignment_losses_are_finite_with_padding_and_prefer_the_diagonal():
    torch.manual_seed(0)
    encoder = AlignmentEncoder(n_mel_channels=8, n_text_channels=6, n_att_channels=4)
    mel, text = torch.randn(2, 8, 10, requires_grad=True), torch.randn(2, 6, 4)
    mask = ~torch.tensor([[True] * 4, [True] * 3 + [False]])[..., None]  # True at padding, as in NeMo
    text_lens, mel_lens = torch.tensor([4, 3]), torch.tensor([10, 7])
    prior = beta_binomial_prior(text_lens, mel_lens, max_text=4, max_mel=10)
    soft, logprob = encoder(mel, text, mask, prior)
    assert soft.shape == logprob.shape == (2, 1, 10, 4)
    torch.testing.assert_close(soft.sum(dim=3), torch.ones(2, 1, 10))
    assert torch.all(soft[1, 0, :, 3] == 0)
    loss = ForwardSumLoss()(logprob, text_lens, mel_lens) + BinLoss()(
        mas(torch.log(soft[:, 0].detach()), text_lens, mel_lens)[:, None], soft
    )
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in encoder.parameters())
    assert torch.isfinite(mel.grad).all()

    diagonal = torch.log(torch.eye(4).repeat_interleave(2, dim=0) * 0.97 + 0.01)[None, None]
    anti = torch.flip(diagonal, dims=[3])
    lens = (torch.tensor([4]), torch.tensor([8]))
    assert ForwardSumLoss()(diagonal, *lens) < ForwardSumLoss()(anti, *lens)
