"""``FilterbankFeatures``: batched log-mel spectrograms exactly as current NeMo's ASR preprocessor computes them.

Defaults follow NeMo >= 2.5 (``nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures``): the centred
STFT pads with zeros, valid frames are ``(len + 2 * pad - n_fft) // hop`` (``len // hop`` when centred), samples past
an utterance's length are zeroed after pre-emphasis. ``legacy_v1_features=True`` restores the features of NeMo 1.0
to 2.4 (reflect padding, ``len // hop + 1`` valid frames, no masking before the STFT) for models trained with them.

The mel filterbank (librosa) and the analysis window are buffers named ``fb`` and ``window``, so a preprocessor's
state dict has NeMo's keys (``featurizer.fb``, ``featurizer.window``) and `.nemo` weights load strictly.
"""

import math
import random
from typing import Dict, Optional, Tuple, Union

import torch
from torch import nn

from nemo.utils import logging

__all__ = ["CONSTANT", "FilterbankFeatures", "make_seq_mask", "normalize_batch", "splice_frames", "TORCH_WINDOWS"]

CONSTANT = 1e-5  # added to standard deviations (and, with use_grads, under the magnitude's square root)

TORCH_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "none": None,
}

_GUARD_TYPES = ("add", "clamp")


def make_seq_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """``(B, max_len)`` bool mask, True where the frame index is below the sample's length."""
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def normalize_batch(x: torch.Tensor, seq_len: torch.Tensor, normalize_type: Union[str, Dict, None]) -> torch.Tensor:
    """Normalise ``x`` ``(B, D, T)`` with statistics over each sample's valid frames only.

    ``per_feature``: per sample and bin, mean and (unbiased) std over time; ``all_features``: one mean/std per sample;
    a dict with ``fixed_mean``/``fixed_std`` lists: those per-bin constants. The std gets ``CONSTANT`` added.
    """
    if not normalize_type:
        return x
    if isinstance(normalize_type, str):
        valid = make_seq_mask(seq_len, x.shape[-1]).unsqueeze(1)  # (B, 1, T)
        if normalize_type == "per_feature":
            dims: Tuple[int, ...] = (2,)
            count = valid.sum(-1, keepdim=True).to(x.dtype)  # (B, 1, 1)
        elif normalize_type == "all_features":
            dims = (1, 2)
            count = valid.sum(-1, keepdim=True).to(x.dtype) * x.shape[1]
        else:
            raise ValueError(
                f"normalize='{normalize_type}' is not supported; expected 'per_feature', 'all_features', a dict with "
                "'fixed_mean' and 'fixed_std', or None"
            )
        # torch.where, not a product with the mask: padded frames may hold inf/nan and must not leak into the stats
        mean = torch.where(valid, x, 0.0).sum(dims, keepdim=True) / count
        var = (torch.where(valid, x - mean, 0.0) ** 2).sum(dims, keepdim=True) / (count - 1)
        std = torch.nan_to_num(var.sqrt(), nan=0.0, posinf=0.0)  # a single valid frame has no spread
        return (x - mean) / (std + CONSTANT)
    if "fixed_mean" in normalize_type and "fixed_std" in normalize_type:
        mean = torch.as_tensor(normalize_type["fixed_mean"], dtype=x.dtype, device=x.device).view(1, -1, 1)
        std = torch.as_tensor(normalize_type["fixed_std"], dtype=x.dtype, device=x.device).view(1, -1, 1)
        return (x - mean) / std
    raise ValueError(f"normalize dict must hold 'fixed_mean' and 'fixed_std', got keys {sorted(normalize_type)}")


def splice_frames(x: torch.Tensor, frame_splicing: int) -> torch.Tensor:
    """Stack each frame with its ``frame_splicing - 1`` successors along the feature axis (last frame repeated).

    ``(B, D, T)`` -> ``(B, D * frame_splicing, T)``.
    """
    if frame_splicing <= 1:
        return x
    padded = torch.cat([x, x[:, :, -1:].expand(-1, -1, frame_splicing - 1)], dim=2)
    steps = x.shape[-1]
    return torch.cat([padded[:, :, n : n + steps] for n in range(frame_splicing)], dim=1)


def _mel_filterbank(
    sample_rate: int, n_fft: int, nfilt: int, lowfreq: float, highfreq: float, mel_norm: Optional[str]
) -> torch.Tensor:
    import librosa  # heavy: imported only when a featurizer is built

    fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=nfilt, fmin=lowfreq, fmax=highfreq, norm=mel_norm)
    return torch.tensor(fb, dtype=torch.float).unsqueeze(0)  # (1, nfilt, n_fft // 2 + 1)


def _python_rng(rng: Union[None, int, random.Random]) -> random.Random:
    """NeMo draws narrow-band augmentation from a ``random.Random``; an int seeds one."""
    if rng is None:
        return random.Random()
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"FilterbankFeatures: rng must be None, an int seed or a random.Random, got {type(rng).__name__}")


class FilterbankFeatures(nn.Module):
    """Waveforms ``(B, N)`` -> log-mel features ``(B, nfilt, T)`` plus frame counts; see
    ``AudioToMelSpectrogramPreprocessor`` for the arguments."""

    def __init__(
        self,
        sample_rate: int = 16000,
        n_window_size: int = 320,
        n_window_stride: int = 160,
        window: str = "hann",
        normalize: Union[str, Dict, None] = "per_feature",
        n_fft: Optional[int] = None,
        preemph: Optional[float] = 0.97,
        nfilt: int = 64,
        lowfreq: float = 0,
        highfreq: Optional[float] = None,
        log: bool = True,
        log_zero_guard_type: str = "add",
        log_zero_guard_value: Union[float, str] = 2**-24,
        dither: float = CONSTANT,
        pad_to: Union[int, str] = 16,
        max_duration: float = 16.7,
        frame_splicing: int = 1,
        exact_pad: bool = False,
        pad_value: float = 0,
        mag_power: float = 2.0,
        use_grads: bool = False,
        rng: Union[None, int, random.Random] = None,
        nb_augmentation_prob: float = 0.0,
        nb_max_freq: float = 4000,
        mel_norm: Optional[str] = "slaney",
        stft_exact_pad: bool = False,
        stft_conv: bool = False,
        legacy_v1_features: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("n_window_size", n_window_size), ("n_window_stride", n_window_stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"FilterbankFeatures: {name} must be a positive int (samples), got {value!r}")
        if window not in TORCH_WINDOWS:
            raise ValueError(f"FilterbankFeatures: window='{window}' is not one of {sorted(TORCH_WINDOWS)}")
        if log_zero_guard_type not in _GUARD_TYPES:
            raise ValueError(
                f"FilterbankFeatures: log_zero_guard_type='{log_zero_guard_type}' must be one of {list(_GUARD_TYPES)}"
            )
        if isinstance(log_zero_guard_value, str) and log_zero_guard_value not in ("tiny", "eps"):
            raise ValueError(
                f"FilterbankFeatures: log_zero_guard_value='{log_zero_guard_value}' must be a number, 'tiny' or 'eps'"
            )
        if not (pad_to == "max" or (isinstance(pad_to, int) and pad_to >= 0)):
            raise ValueError(f"FilterbankFeatures: pad_to must be a non-negative int or 'max', got {pad_to!r}")
        self.legacy_v1_features = bool(legacy_v1_features)
        if stft_conv or stft_exact_pad:
            # NeMo >= 1.1 dropped the conv STFT and ignores both keys; NeMo 1.0's exact-pad STFT padded like exact_pad.
            use = self.legacy_v1_features and stft_exact_pad
            logging.warning(
                "FilterbankFeatures: stft_conv/stft_exact_pad are deprecated; torch.stft is used"
                + (" and stft_exact_pad acts as exact_pad (legacy_v1_features)" if use else " and they are ignored")
                + " (set exact_pad instead)"
            )
            exact_pad = exact_pad or use
        if exact_pad and n_window_stride % 2 == 1:
            raise ValueError(
                f"FilterbankFeatures: exact_pad needs an even hop (n_window_stride), got {n_window_stride}: with an "
                "odd hop the frame count is not length // hop"
            )

        self.win_length = n_window_size
        self.hop_length = n_window_stride
        self.n_fft = n_fft or 2 ** math.ceil(math.log2(self.win_length))
        self.exact_pad = bool(exact_pad)
        self.stft_pad_amount = (self.n_fft - self.hop_length) // 2 if self.exact_pad else None
        self.stft_conv = stft_conv
        window_fn = TORCH_WINDOWS[window]
        self.register_buffer("window", window_fn(self.win_length, periodic=False) if window_fn else None)

        self.sample_rate = sample_rate
        self.normalize = normalize
        self.log = log
        self.dither = dither
        self.frame_splicing = frame_splicing
        self.nfilt = nfilt
        self.preemph = preemph
        self.pad_to = pad_to
        self.pad_value = pad_value
        self.mag_power = mag_power
        self.log_zero_guard_type = log_zero_guard_type
        self.log_zero_guard_value = log_zero_guard_value
        self.use_grads = bool(use_grads)
        highfreq = highfreq or sample_rate / 2
        self.register_buffer("fb", _mel_filterbank(sample_rate, self.n_fft, nfilt, lowfreq, highfreq, mel_norm))
        # an explicit CPU scalar (float32, as NeMo computes it), so the model can also be built on the meta device
        self.max_length = int(self.get_seq_len(torch.tensor(max_duration * sample_rate, device="cpu")))

        self._rng = _python_rng(rng)
        self.nb_augmentation_prob = float(nb_augmentation_prob)
        self._nb_max_fft_bin = int(nb_max_freq / sample_rate * self.n_fft)
        if self.nb_augmentation_prob > 0 and nb_max_freq >= sample_rate / 2:
            self.nb_augmentation_prob = 0.0  # nothing above Nyquist to remove

    @property
    def filter_banks(self) -> torch.Tensor:
        return self.fb

    def log_zero_guard_value_fn(self, x: torch.Tensor) -> float:
        if self.log_zero_guard_value == "tiny":
            return torch.finfo(x.dtype).tiny
        if self.log_zero_guard_value == "eps":
            return torch.finfo(x.dtype).eps
        return self.log_zero_guard_value

    def get_seq_len(self, seq_len: torch.Tensor) -> torch.Tensor:
        """Valid frames for ``seq_len`` samples: ``(len + P - n_fft) // hop``, ``P`` the STFT's total padding.

        That is ``len // hop`` for centred frames: NeMo counts only frames whose window ends inside the padded
        signal's first ``len + P`` samples. NeMo 1.0 to 2.4 (``legacy_v1_features``) counted one more.
        """
        pad_amount = 2 * self.stft_pad_amount if self.exact_pad else 2 * (self.n_fft // 2)
        frames = torch.div(seq_len + pad_amount - self.n_fft, self.hop_length, rounding_mode="floor").to(torch.long)
        return frames + 1 if self.legacy_v1_features else frames

    def _magnitude(self, x: torch.Tensor) -> torch.Tensor:
        """``|STFT(x)|`` ``(B, n_fft // 2 + 1, T)``, in float32 even under autocast (fp16 overflows here)."""
        pad_mode = "reflect" if self.legacy_v1_features else "constant"
        with torch.autocast(device_type=x.device.type, enabled=False):
            spec = torch.stft(
                x.float(),
                n_fft=self.n_fft,
                hop_length=self.hop_length,
                win_length=self.win_length,
                window=None if self.window is None else self.window.float(),
                center=not self.exact_pad,
                pad_mode=pad_mode,
                return_complex=True,
            )
        # NeMo's form, with use_grads' guard under the root so its gradient is finite at silent bins
        guard = CONSTANT if self.use_grads else 0.0
        return torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1) + guard)

    def forward(self, x: torch.Tensor, seq_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features ``(B, nfilt * frame_splicing, T')`` and valid frame counts ``(B,)``; no gradients unless
        ``use_grads``."""
        with torch.set_grad_enabled(self.use_grads and torch.is_grad_enabled()):
            return self._features(x, seq_len)

    def _features(self, x: torch.Tensor, seq_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = x.float()
        seq_len_time = seq_len.to(x.device)
        seq_len = self.get_seq_len(seq_len_time)
        if not self.legacy_v1_features:
            seq_len = torch.where(seq_len_time == 0, torch.zeros_like(seq_len), seq_len)  # empty input, no frame
        if self.exact_pad:
            pad = self.stft_pad_amount
            mode = "reflect" if self.legacy_v1_features else "constant"
            x = nn.functional.pad(x.unsqueeze(1), (pad, pad), mode=mode).squeeze(1)
        if self.training and self.dither > 0:
            x = x + self.dither * torch.randn_like(x)
        if self.preemph is not None:
            x = torch.cat((x[:, :1], x[:, 1:] - self.preemph * x[:, :-1]), dim=1)
            if not self.legacy_v1_features:
                # NeMo zeroes sample indices >= the input length here, counted on the (exact_pad-)padded signal.
                x = x.masked_fill(~make_seq_mask(seq_len_time, x.shape[1]), 0.0)

        x = self._magnitude(x)
        if self.training and self.nb_augmentation_prob > 0:
            keep = torch.ones(x.shape[0], x.shape[1], 1, dtype=x.dtype, device=x.device)
            for idx in range(x.shape[0]):
                if self._rng.random() < self.nb_augmentation_prob:
                    keep[idx, self._nb_max_fft_bin :] = 0.0  # narrow-band: drop everything above nb_max_freq
            x = x * keep
        if self.mag_power != 1.0:
            x = x.pow(self.mag_power)
        with torch.autocast(device_type=x.device.type, enabled=False):
            x = torch.matmul(self.fb.to(x.dtype), x)
        if self.log:
            guard = self.log_zero_guard_value_fn(x)
            x = torch.log(x + guard) if self.log_zero_guard_type == "add" else torch.log(torch.clamp(x, min=guard))
        x = splice_frames(x, self.frame_splicing)
        x = normalize_batch(x, seq_len, self.normalize)

        x = x.masked_fill(~make_seq_mask(seq_len, x.shape[-1]).unsqueeze(1), self.pad_value)
        if self.pad_to == "max":
            if x.shape[-1] > self.max_length:
                raise ValueError(
                    f"FilterbankFeatures: pad_to='max' pads to {self.max_length} frames (max_duration), but the batch "
                    f"has {x.shape[-1]} frames"
                )
            x = nn.functional.pad(x, (0, self.max_length - x.shape[-1]), value=self.pad_value)
        elif self.pad_to > 0:
            remainder = x.shape[-1] % self.pad_to
            if remainder:
                x = nn.functional.pad(x, (0, self.pad_to - remainder), value=self.pad_value)
        return x, seq_len
