"""The RNN-T loss (Graves, 2012) in plain torch, vectorized over the batch and the label axis.

The forward variable ``alpha[t, u]`` (log-probability of having emitted ``u`` labels by frame ``t``) obeys
``alpha[t, u] = logaddexp(alpha[t-1, u] + blank[t-1, u], alpha[t, u-1] + emit[t, u-1])``. Within one frame the second
term is a recurrence along ``u``; unrolled, ``alpha[t, u] = E[u] + logcumsumexp_k(alpha[t-1, k] + blank[t-1, k] -
E[k])`` with ``E`` the prefix sums of ``emit[t]``. So each frame costs one cumulative log-sum-exp over ``u``, the loop
runs over frames only, and autograd gives exact gradients (the tests check both against brute-force enumeration of
every alignment). No compiled extension is needed: NeMo's numba kernel does the same work on CPU.
"""

import torch

from nemo.collections.asr.losses.transcript_loss import TranscriptLoss

__all__ = ["RNNTLoss", "rnnt_loss"]


def rnnt_loss(
    logits: torch.Tensor, targets: torch.Tensor, logit_lengths: torch.Tensor, target_lengths: torch.Tensor, blank: int
) -> torch.Tensor:
    """Per-utterance negative log-likelihoods ``[B]`` of ``targets`` under joint ``logits`` ``[B, T, U+1, V+1]``.

    ``logits`` are unnormalized (log-softmax is applied here, in float32 or wider); ``targets`` ``[B, U]`` are padded
    with any value past ``target_lengths``.
    """
    log_probs = torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), dim=-1)
    batch, frames, labels_plus_one, _ = log_probs.shape
    labels = labels_plus_one - 1
    blank_lp = log_probs[..., blank]  # [B, T, U+1]
    index = targets.long().clamp(min=0)[:, None, :, None].expand(batch, frames, labels, 1)
    emit_lp = log_probs[:, :, :labels, :].gather(-1, index).squeeze(-1)  # [B, T, U]
    zero = log_probs.new_zeros(batch, frames, 1)
    prefix = torch.cat([zero, emit_lp.cumsum(-1)], dim=-1)  # E[t, u] = sum of emit[t, :u]
    alpha = prefix[:, 0]
    alphas = [alpha]
    for t in range(1, frames):
        carried = alpha + blank_lp[:, t - 1]
        alpha = prefix[:, t] + torch.logcumsumexp(carried - prefix[:, t], dim=-1)
        alphas.append(alpha)
    alpha = torch.stack(alphas, dim=1)  # [B, T, U+1]
    rows = torch.arange(batch, device=logits.device)
    last_t = (logit_lengths.long() - 1).clamp(min=0)
    last_u = target_lengths.long()
    return -(alpha[rows, last_t, last_u] + blank_lp[rows, last_t, last_u])


class RNNTLoss(TranscriptLoss):
    """NeMo's ``RNNTLoss``: the blank is index ``num_classes``; ``reduction`` as ``TranscriptLoss`` says."""

    _log_probs_axes = ("B", "T", "T", "D")

    def __init__(self, num_classes: int, reduction: str = "mean_batch", loss_name: str = "default", **_: object):
        super().__init__()
        self.config_reduction = self._checked_reduction("RNNTLoss", reduction)
        if loss_name not in ("default", "warprnnt_numba", "pytorch"):
            raise ValueError(f"RNNTLoss: loss_name '{loss_name}' is not supported; use 'default'")
        self._blank = num_classes
        self.reduction = reduction

    def _per_utterance(
        self, log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> torch.Tensor:
        # NeMo names the joint's output ``log_probs`` although its RNN-T losses normalize it themselves.
        return rnnt_loss(log_probs, targets, input_lengths, target_lengths, self._blank)
