"""Greedy (best-path) CTC decoding: merge repeated labels, drop blanks, remember the frame of every emission."""

from typing import List, Optional, Tuple

import torch

from nemo.collections.common.data.masks import lengths_to_mask

__all__ = ["ctc_greedy_decode"]


def ctc_greedy_decode(
    predictions: torch.Tensor, predictions_len: Optional[torch.Tensor], blank_id: int
) -> Tuple[List[List[int]], List[List[int]], List[float]]:
    """Collapse framewise predictions into label sequences.

    Args:
        predictions: ``(B, T)`` label ids, or ``(B, T, V)`` log-probabilities (argmax is taken and the path is scored).
        predictions_len: ``(B,)`` valid frames per sample; ``None`` means all ``T``.
        blank_id: the CTC blank label.

    Returns:
        ``(labels, timesteps, scores)``: per sample the emitted ids, the frame index of each emission, and the summed
        log-probability of the greedy path over valid frames (``-1.0`` when only ids were given).
    """
    if predictions.dim() not in (2, 3):
        raise ValueError(f"predictions must be (B, T) ids or (B, T, V) log-probs, got shape {tuple(predictions.shape)}")
    predictions = predictions.detach()
    batch, steps = predictions.shape[:2]
    if predictions_len is None:
        predictions_len = torch.full((batch,), steps, dtype=torch.long)
    predictions_len = predictions_len.detach().to(device=predictions.device, dtype=torch.long)
    valid = lengths_to_mask(predictions_len, steps)
    if predictions.dim() == 3:
        best, ids = predictions.max(dim=-1)
        scores = (best.float() * valid).sum(dim=1).tolist()
    else:
        ids = predictions.long()
        scores = [-1.0] * batch
    previous = torch.cat([torch.full_like(ids[:, :1], -1), ids[:, :-1]], dim=1)
    keep = (ids != previous) & (ids != blank_id) & valid
    ids, keep = ids.cpu(), keep.cpu()
    labels = [ids[b][keep[b]].tolist() for b in range(batch)]
    timesteps = [keep[b].nonzero().flatten().tolist() for b in range(batch)]
    return labels, timesteps, scores
