"""Audio given to ``transcribe`` as arrays instead of files, read the way NVIDIA NeMo 3 reads them.

NeMo 3's ``transcribe`` accepts numpy arrays and torch tensors (mono samples at the model's sample rate) next to file
paths. Its tensor dataset (``TranscriptionTensorDataset``) pads every clip shorter than ``pad_min_duration`` (1 s)
with zeros up to that length, ``pad_direction`` ``both``: ``(1 s - length) // 2`` samples before, the rest after.
Files are read without such padding. Doing the same here gives NeMo's transcripts on clips shorter than 1 s (the
padding changes the features' per-utterance normalization and adds frames).
"""

from typing import Any, Iterator, List, Sequence, Tuple

import numpy as np
import torch

__all__ = ["PAD_MIN_DURATION", "array_batches", "is_audio_array", "pad_to_min_duration"]

PAD_MIN_DURATION = 1.0  # seconds: NeMo 3's TranscribeConfig default


def is_audio_array(item: Any) -> bool:
    """Whether a ``transcribe`` input is samples (numpy array or tensor) rather than a file path."""
    return isinstance(item, (np.ndarray, torch.Tensor))


def pad_to_min_duration(
    samples: torch.Tensor, sample_rate: int, min_duration: float = PAD_MIN_DURATION
) -> torch.Tensor:
    """``samples`` zero-padded to ``int(min_duration * sample_rate)``, half before (rounded down), half after."""
    missing = int(min_duration * sample_rate) - samples.shape[0]
    if missing <= 0:
        return samples
    return torch.nn.functional.pad(samples, (missing // 2, missing - missing // 2))


def _as_samples(item: Any, index: int) -> torch.Tensor:
    samples = torch.as_tensor(item)
    if samples.dim() != 1 or not samples.is_floating_point():
        raise ValueError(
            f"transcribe: audio item {index} must be 1-D float samples (mono, at the model's sample rate), "
            f"got {'x'.join(map(str, samples.shape)) or 'a scalar'} of {samples.dtype}"
        )
    if samples.numel() == 0:
        raise ValueError(f"transcribe: audio item {index} is empty")
    return samples.float()


def array_batches(
    clips: Sequence[Any], sample_rate: int, batch_size: int, device: torch.device
) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """``(signal [B, T], lengths [B])`` batches of ``clips`` in order, each padded to 1 s as NeMo 3 does, then to
    the longest of its batch with zeros."""
    samples: List[torch.Tensor] = [pad_to_min_duration(_as_samples(c, i), sample_rate) for i, c in enumerate(clips)]
    for start in range(0, len(samples), batch_size):
        batch = samples[start : start + batch_size]
        lengths = torch.tensor([s.shape[0] for s in batch], dtype=torch.long)
        signal = torch.zeros(len(batch), int(lengths.max()))
        for row, clip in enumerate(batch):
            signal[row, : clip.shape[0]] = clip
        yield signal.to(device), lengths.to(device)
