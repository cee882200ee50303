"""Audio front ends (waveform -> mel/MFCC features) and spectrogram augmentations, as typed NeMo modules."""

import math
import random
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Dict, Optional, Tuple, Union

import torch
from torch import nn

from nemo.collections.asr.parts.features import TORCH_WINDOWS, FilterbankFeatures
from nemo.collections.asr.parts.spectr_augment import RngLike, SpecAugment, SpecCutout
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    AudioSignal,
    LengthsType,
    MelSpectrogramType,
    MFCCSpectrogramType,
    NeuralType,
    SpectrogramType,
)
from nemo.utils import logging

__all__ = [
    "AudioPreprocessor",
    "AudioToMelSpectrogramPreprocessor",
    "AudioToMFCCPreprocessor",
    "CropOrPadSpectrogramAugmentation",
    "SpectrogramAugmentation",
]


def _window_samples(
    owner: str,
    sample_rate: int,
    window_size: Optional[float],
    window_stride: Optional[float],
    n_window_size: Optional[int],
    n_window_stride: Optional[int],
) -> Tuple[int, int]:
    """Window and hop in samples, from either seconds (``window_*``) or samples (``n_window_*``), never both."""
    if window_size and n_window_size:
        raise ValueError(f"{owner} received both window_size and n_window_size; pass only one (window_size=None)")
    if window_stride and n_window_stride:
        raise ValueError(f"{owner} received both window_stride and n_window_stride; pass only one (window_stride=None)")
    if window_size:
        n_window_size = int(window_size * sample_rate)
    if window_stride:
        n_window_stride = int(window_stride * sample_rate)
    if not n_window_size or not n_window_stride:
        raise ValueError(
            f"{owner} needs a window length and a hop: got window_size={window_size}, n_window_size={n_window_size}, "
            f"window_stride={window_stride}, n_window_stride={n_window_stride}"
        )
    return n_window_size, n_window_stride


class AudioPreprocessor(NeuralModule, ABC):
    """Base of waveform -> feature modules: typed, gradient-free ``forward(input_signal, length)``.

    Subclasses set ``_sample_rate`` and name the type of their features in ``_features_type``.
    """

    _sample_rate: Optional[int] = None
    _features_type: type = SpectrogramType

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "input_signal": NeuralType(("B", "T"), AudioSignal(freq=self._sample_rate)),
                "length": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "processed_signal": NeuralType(("B", "D", "T"), self._features_type()),
                "processed_length": NeuralType(("B",), LengthsType()),
            }
        )

    def __init__(self, win_length: int, hop_length: int) -> None:
        super().__init__()
        self.win_length = win_length
        self.hop_length = hop_length
        self.torch_windows = TORCH_WINDOWS

    @typecheck()
    @torch.no_grad()
    def forward(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.get_features(input_signal, length)

    @abstractmethod
    def get_features(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features ``(B, D, T)`` and their frame counts ``(B,)``."""


class AudioToMelSpectrogramPreprocessor(AudioPreprocessor):
    """Log-mel spectrogram front end (NeMo's ``FilterbankFeatures``), batched, with current NeMo's features.

    Window arguments come either in seconds (``window_size``/``window_stride``) or in samples
    (``n_window_size``/``n_window_stride``). ``features`` is the number of mel bins; ``log_zero_guard_value`` may be a
    number, ``"tiny"`` or ``"eps"``; ``pad_to`` pads time to a multiple (0: none; frames past a length hold
    ``pad_value``). Dither and narrow-band augmentation (``nb_augmentation_prob``: drop bins above ``nb_max_freq``)
    apply in training only. ``exact_pad`` zero-pads ``(n_fft - hop) // 2`` samples each side and frames without
    centring. ``mel_norm`` is librosa's filter normalisation (``"slaney"`` or None). Valid frames are ``len // hop``
    (centred), as in NeMo >= 2.5; ``legacy_v1_features=True`` gives the features of NeMo 1.0 to 2.4 (``len // hop + 1``
    frames, reflect padding) for models trained with them. ``stft_conv``, ``stft_exact_pad`` and ``use_torchaudio``
    are accepted and ignored, as in current NeMo.
    """

    _features_type = MelSpectrogramType

    def __init__(
        self,
        sample_rate: int = 16000,
        window_size: Optional[float] = 0.02,
        window_stride: Optional[float] = 0.01,
        n_window_size: Optional[int] = None,
        n_window_stride: Optional[int] = None,
        window: str = "hann",
        normalize: Union[str, Dict, None] = "per_feature",
        n_fft: Optional[int] = None,
        preemph: Optional[float] = 0.97,
        features: int = 64,
        lowfreq: float = 0,
        highfreq: Optional[float] = None,
        log: bool = True,
        log_zero_guard_type: str = "add",
        log_zero_guard_value: Union[float, str] = 2**-24,
        dither: float = 1e-5,
        pad_to: Union[int, str] = 16,
        frame_splicing: int = 1,
        exact_pad: bool = False,
        pad_value: float = 0,
        mag_power: float = 2.0,
        rng: Union[None, int, random.Random] = None,
        nb_augmentation_prob: float = 0.0,
        nb_max_freq: float = 4000,
        mel_norm: Optional[str] = "slaney",
        use_torchaudio: bool = False,
        stft_exact_pad: bool = False,
        stft_conv: bool = False,
        legacy_v1_features: bool = False,
    ) -> None:
        self._sample_rate = sample_rate
        if use_torchaudio:
            logging.warning(f"{type(self).__name__}: use_torchaudio is deprecated (as in NeMo 3) and ignored")
        win, hop = _window_samples(
            type(self).__name__, sample_rate, window_size, window_stride, n_window_size, n_window_stride
        )
        super().__init__(win, hop)
        self.featurizer = FilterbankFeatures(
            sample_rate=sample_rate,
            n_window_size=win,
            n_window_stride=hop,
            window=window,
            normalize=normalize,
            n_fft=n_fft,
            preemph=preemph,
            nfilt=features,
            lowfreq=lowfreq,
            highfreq=highfreq,
            log=log,
            log_zero_guard_type=log_zero_guard_type,
            log_zero_guard_value=log_zero_guard_value,
            dither=dither,
            pad_to=pad_to,
            frame_splicing=frame_splicing,
            exact_pad=exact_pad,
            pad_value=pad_value,
            mag_power=mag_power,
            rng=rng,
            nb_augmentation_prob=nb_augmentation_prob,
            nb_max_freq=nb_max_freq,
            mel_norm=mel_norm,
            stft_exact_pad=stft_exact_pad,
            stft_conv=stft_conv,
            legacy_v1_features=legacy_v1_features,
        )

    def get_features(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.featurizer(input_signal, length)

    @property
    def filter_banks(self) -> torch.Tensor:
        return self.featurizer.filter_banks


def _htk_mel_filterbank(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int) -> torch.Tensor:
    """Unnormalised triangular HTK-mel filters ``(n_freqs, n_mels)`` (torchaudio's ``melscale_fbanks`` layout).

    Computed in float32 as NeMo/torchaudio do, so dB-scaled MFCCs (values in the hundreds) agree to float rounding.
    """
    freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=torch.float32)
    mel_pts = torch.linspace(
        2595.0 * math.log10(1.0 + f_min / 700.0),
        2595.0 * math.log10(1.0 + f_max / 700.0),
        n_mels + 2,
        dtype=torch.float32,
    )
    hz_pts = 700.0 * (10.0 ** (mel_pts / 2595.0) - 1.0)
    widths = hz_pts[1:] - hz_pts[:-1]
    slopes = hz_pts.unsqueeze(0) - freqs.unsqueeze(1)  # (n_freqs, n_mels + 2)
    rising = -slopes[:, :-2] / widths[:-1]
    falling = slopes[:, 2:] / widths[1:]
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def _dct_matrix(n_mfcc: int, n_mels: int, norm: Optional[str]) -> torch.Tensor:
    """DCT-II basis ``(n_mels, n_mfcc)`` in float32 like NeMo's; ``norm='ortho'`` makes it orthonormal, ``None``
    scales by 2."""
    n = torch.arange(n_mels, dtype=torch.float32)
    k = torch.arange(n_mfcc, dtype=torch.float32).unsqueeze(1)
    dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)  # (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    elif norm == "ortho":
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct = dct * math.sqrt(2.0 / n_mels)
    else:
        raise ValueError(f"AudioToMFCCPreprocessor: norm must be 'ortho' or None, got {norm!r}")
    return dct.t()


class _Spectrogram(nn.Module):
    def __init__(self, n_fft: int, win_length: int, hop_length: int, window: Optional[torch.Tensor]) -> None:
        super().__init__()
        self.n_fft, self.win_length, self.hop_length = n_fft, win_length, hop_length
        self.register_buffer("window", window)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            x.float(),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        return spec.abs().pow(2.0)


class _MelScale(nn.Module):
    def __init__(self, fb: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("fb", fb)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return torch.matmul(power.transpose(-1, -2), self.fb).transpose(-1, -2)


class _MelSpectrogram(nn.Module):
    def __init__(self, spectrogram: _Spectrogram, mel_scale: _MelScale) -> None:
        super().__init__()
        self.spectrogram = spectrogram
        self.mel_scale = mel_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mel_scale(self.spectrogram(x))


class _MFCC(nn.Module):
    """Power mel spectrogram -> log (``+1e-6``) or dB (top 80 dB of the batch) -> DCT; buffers laid out like
    torchaudio's MFCC."""

    def __init__(self, mel: _MelSpectrogram, dct_mat: torch.Tensor, log_mels: bool) -> None:
        super().__init__()
        self.MelSpectrogram = mel  # noqa: N815 - torchaudio's attribute name, kept for state-dict keys
        self.register_buffer("dct_mat", dct_mat)
        self.log_mels = log_mels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mel = self.MelSpectrogram(x)
        if self.log_mels:
            mel = torch.log(mel + 1e-6)
        else:
            mel = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
            # NeMo (torchaudio's amplitude_to_DB) takes one ceiling over a whole (B, D, T) batch, not per item
            ceiling = mel.amax(dim=tuple(range(max(mel.dim() - 3, 0), mel.dim())), keepdim=True)
            mel = torch.maximum(mel, ceiling - 80.0)
        return torch.matmul(mel.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class AudioToMFCCPreprocessor(AudioPreprocessor):
    """MFCC front end (HTK mel filters without normalisation, DCT-II), computed without torchaudio.

    Frame counts are ``ceil(length / hop)`` as in NeMo.
    """

    _features_type = MFCCSpectrogramType

    def __init__(
        self,
        sample_rate: int = 16000,
        window_size: Optional[float] = 0.02,
        window_stride: Optional[float] = 0.01,
        n_window_size: Optional[int] = None,
        n_window_stride: Optional[int] = None,
        window: str = "hann",
        n_fft: Optional[int] = None,
        lowfreq: float = 0.0,
        highfreq: Optional[float] = None,
        n_mels: int = 64,
        n_mfcc: int = 64,
        dct_type: int = 2,
        norm: Optional[str] = "ortho",
        log: bool = True,
    ) -> None:
        self._sample_rate = sample_rate
        win, hop = _window_samples(
            type(self).__name__, sample_rate, window_size, window_stride, n_window_size, n_window_stride
        )
        super().__init__(win, hop)
        if dct_type != 2:
            raise ValueError(f"AudioToMFCCPreprocessor: only dct_type=2 is supported, got {dct_type}")
        if n_mfcc > n_mels:
            raise ValueError(f"AudioToMFCCPreprocessor: n_mfcc ({n_mfcc}) cannot exceed n_mels ({n_mels})")
        if window not in TORCH_WINDOWS:
            raise ValueError(f"AudioToMFCCPreprocessor: window='{window}' is not one of {sorted(TORCH_WINDOWS)}")
        n_fft = n_fft or 2 ** math.ceil(math.log2(win))
        window_fn = TORCH_WINDOWS[window]
        f_max = float(highfreq) if highfreq is not None else float(sample_rate // 2)
        fb = _htk_mel_filterbank(n_fft // 2 + 1, float(lowfreq), f_max, n_mels, sample_rate)
        mel = _MelSpectrogram(_Spectrogram(n_fft, win, hop, window_fn(win) if window_fn else None), _MelScale(fb))
        self.featurizer = _MFCC(mel, _dct_matrix(n_mfcc, n_mels, norm), log_mels=log)

    def get_features(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        features = self.featurizer(input_signal)
        frames = torch.div(length.to(torch.long) + self.hop_length - 1, self.hop_length, rounding_mode="floor")
        return features, frames


class SpectrogramAugmentation(NeuralModule):
    """SpecCutout (``rect_masks`` rectangles) then SpecAugment (frequency/time bands), per sample.

    NeMo 3's ``use_vectorized_spec_augment`` and ``use_numba_spec_augment`` (which implementation draws the masks)
    are accepted and ignored.
    """

    def __init__(
        self,
        freq_masks: int = 0,
        time_masks: int = 0,
        freq_width: int = 10,
        time_width: Union[int, float] = 10,
        rect_masks: int = 0,
        rect_time: int = 5,
        rect_freq: int = 20,
        rng: RngLike = None,
        mask_value: float = 0.0,
        use_vectorized_spec_augment: bool = True,
        use_numba_spec_augment: bool = False,
    ) -> None:
        # NeMo 3's choices of implementation (vectorized torch, CUDA numba kernel), accepted and ignored: masks are
        # drawn the same way whatever the choice.
        del use_vectorized_spec_augment, use_numba_spec_augment
        super().__init__()
        self.spec_cutout = (
            SpecCutout(rect_masks=rect_masks, rect_time=rect_time, rect_freq=rect_freq, rng=rng)
            if rect_masks > 0
            else nn.Identity()
        )
        self.spec_augment = (
            SpecAugment(freq_masks, time_masks, freq_width, time_width, rng=rng, mask_value=mask_value)
            if freq_masks + time_masks > 0
            else nn.Identity()
        )

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"input_spec": NeuralType(("B", "D", "T"), SpectrogramType())})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"augmented_spec": NeuralType(("B", "D", "T"), SpectrogramType())})

    @typecheck()
    @torch.no_grad()
    def forward(self, input_spec: torch.Tensor) -> torch.Tensor:
        return self.spec_augment(self.spec_cutout(input_spec))


class CropOrPadSpectrogramAugmentation(NeuralModule):
    """Random crop (one offset per sample) or symmetric zero-pad of the time axis to ``audio_length`` frames."""

    def __init__(self, audio_length: int) -> None:
        super().__init__()
        if audio_length <= 0:
            raise ValueError(f"CropOrPadSpectrogramAugmentation: audio_length must be positive, got {audio_length}")
        self.audio_length = audio_length

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "input_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
                "length": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "processed_signal": NeuralType(("B", "D", "T"), SpectrogramType()),
                "processed_length": NeuralType(("B",), LengthsType()),
            }
        )

    @typecheck()
    @torch.no_grad()
    def forward(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        batch, feats, steps = input_signal.shape
        target = self.audio_length
        if steps > target:
            offsets = torch.randint(0, steps - target + 1, (batch,), device=input_signal.device)
            index = (offsets.view(-1, 1) + torch.arange(target, device=input_signal.device)).unsqueeze(1)
            image = torch.gather(input_signal, 2, index.expand(batch, feats, target))
        else:
            missing = target - steps
            image = nn.functional.pad(input_signal, [missing // 2, missing - missing // 2], mode="constant", value=0)
        return image, torch.full_like(length, target)
