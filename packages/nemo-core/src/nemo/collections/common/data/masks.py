"""Padding masks from sequence lengths: the one helper behind every ``arange(T) < lengths`` of the collections."""

from typing import Optional

import torch

__all__ = ["lengths_to_mask"]


def lengths_to_mask(lengths: torch.Tensor, max_len: Optional[int] = None) -> torch.Tensor:
    """``(B, max_len)`` bool mask on ``lengths``' device, True at the valid positions ``t < lengths[b]``.

    ``max_len`` defaults to the longest length (0 for an empty batch); lengths beyond ``max_len`` give all-True rows.
    ``~lengths_to_mask(...)`` marks the padding. NeMo's TTS ``get_mask_from_lengths`` and FastPitch's
    ``lengths_to_mask`` are this function.
    """
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be a 1-D tensor of sequence lengths, got shape {tuple(lengths.shape)}")
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() else 0
    # max_len goes to arange as given: a traced shape (ONNX export) stays dynamic
    positions = torch.arange(max_len, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)
