"""SpecAugment and SpecCutout on batched spectrograms ``(B, D, T)``, vectorised over the batch and the masks.

Random draws come from ``rng``: ``None`` (torch's global generator), an int seed, a ``torch.Generator`` or a
``random.Random`` (NeMo 1 passed the latter; a fresh torch seed is drawn from it on every call).
"""

import random
from typing import Optional, Union

import torch
from torch import nn

__all__ = ["SpecAugment", "SpecCutout"]

RngLike = Union[None, int, random.Random, torch.Generator]


def _make_generator(rng: RngLike) -> Union[None, random.Random, torch.Generator]:
    if rng is None or isinstance(rng, (random.Random, torch.Generator)):
        return rng
    if isinstance(rng, int):
        return torch.Generator().manual_seed(rng)
    raise TypeError(f"rng must be None, an int seed, a torch.Generator or a random.Random, got {type(rng).__name__}")


class _RandomMasker(nn.Module):
    def __init__(self, rng: RngLike) -> None:
        super().__init__()
        self._rng = _make_generator(rng)

    def _generator(self) -> Optional[torch.Generator]:
        if isinstance(self._rng, random.Random):
            return torch.Generator().manual_seed(self._rng.getrandbits(63))
        return self._rng

    @staticmethod
    def _randint(low: int, high_inclusive: torch.Tensor, size: tuple, gen: Optional[torch.Generator]) -> torch.Tensor:
        """Uniform integers in ``[low, high_inclusive]`` (bounds may be per element)."""
        u = torch.rand(size, generator=gen)
        return (low + (u * (high_inclusive - low + 1)).floor()).long()

    @staticmethod
    def _band_mask(starts: torch.Tensor, widths: torch.Tensor, size: int) -> torch.Tensor:
        """``(B, size)``: True inside any ``[start, start + width)`` band of each row."""
        idx = torch.arange(size).view(1, 1, -1)
        inside = (idx >= starts.unsqueeze(-1)) & (idx < (starts + widths).unsqueeze(-1))
        return inside.any(dim=1)


class SpecAugment(_RandomMasker):
    """Per sample, ``freq_masks`` frequency bands of width U[0, freq_width] and ``time_masks`` time bands of width
    U[0, time_width] are set to ``mask_value``. A float ``time_width`` is a fraction of the number of frames."""

    def __init__(
        self,
        freq_masks: int = 0,
        time_masks: int = 0,
        freq_width: int = 10,
        time_width: Union[int, float] = 10,
        rng: RngLike = None,
        mask_value: float = 0.0,
    ) -> None:
        super().__init__(rng)
        if isinstance(time_width, float) and not 0.0 <= time_width <= 1.0:
            raise ValueError(f"SpecAugment: a float time_width is a fraction of the length in [0, 1], got {time_width}")
        self.freq_masks = freq_masks
        self.time_masks = time_masks
        self.freq_width = freq_width
        self.time_width = time_width
        self.adaptive_temporal_width = isinstance(time_width, float)
        self.mask_value = mask_value

    def _masks(self, count: int, width: int, size: int, batch: int, gen: Optional[torch.Generator]) -> torch.Tensor:
        width = min(width, size)
        starts = self._randint(0, torch.tensor(size - width), (batch, count), gen)
        widths = self._randint(0, torch.tensor(width), (batch, count), gen)
        return self._band_mask(starts, widths, size)

    @torch.no_grad()
    def forward(self, input_spec: torch.Tensor) -> torch.Tensor:
        batch, n_freq, n_time = input_spec.shape
        time_width = max(1, int(n_time * self.time_width)) if self.adaptive_temporal_width else self.time_width
        gen = self._generator()
        mask = torch.zeros(batch, n_freq, n_time, dtype=torch.bool)
        if self.freq_masks > 0:
            mask |= self._masks(self.freq_masks, self.freq_width, n_freq, batch, gen).unsqueeze(2)
        if self.time_masks > 0:
            mask |= self._masks(self.time_masks, time_width, n_time, batch, gen).unsqueeze(1)
        return input_spec.masked_fill(mask.to(input_spec.device), self.mask_value)


class SpecCutout(_RandomMasker):
    """Per sample, ``rect_masks`` rectangles of at most ``rect_freq`` bins by ``rect_time`` frames are zeroed."""

    def __init__(self, rect_masks: int = 0, rect_time: int = 5, rect_freq: int = 20, rng: RngLike = None) -> None:
        super().__init__(rng)
        self.rect_masks = rect_masks
        self.rect_time = rect_time
        self.rect_freq = rect_freq

    @torch.no_grad()
    def forward(self, input_spec: torch.Tensor) -> torch.Tensor:
        if self.rect_masks <= 0:
            return input_spec
        batch, n_freq, n_time = input_spec.shape
        gen = self._generator()
        shape = (batch, self.rect_masks)
        rect_freq, rect_time = min(self.rect_freq, n_freq), min(self.rect_time, n_time)
        f0 = self._randint(0, torch.tensor(n_freq - rect_freq), shape, gen)
        t0 = self._randint(0, torch.tensor(n_time - rect_time), shape, gen)
        fw = self._randint(0, torch.tensor(rect_freq), shape, gen)
        tw = self._randint(0, torch.tensor(rect_time), shape, gen)
        f_idx = torch.arange(n_freq).view(1, 1, -1)
        t_idx = torch.arange(n_time).view(1, 1, -1)
        in_f = (f_idx >= f0.unsqueeze(-1)) & (f_idx < (f0 + fw).unsqueeze(-1))  # (B, R, D)
        in_t = (t_idx >= t0.unsqueeze(-1)) & (t_idx < (t0 + tw).unsqueeze(-1))  # (B, R, T)
        mask = (in_f.unsqueeze(-1) & in_t.unsqueeze(-2)).any(dim=1)  # (B, D, T)
        return input_spec.masked_fill(mask.to(input_spec.device), 0.0)
