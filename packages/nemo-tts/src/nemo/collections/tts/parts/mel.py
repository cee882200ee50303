"""Log-mel spectrograms with NeMo TTS's settings, computed the same way for training targets and vocoder inputs.

Every TTS model and vocoder of this collection shares these features: 22050 Hz audio, 1024-point FFT and window,
hop 256, 80 slaney-normalized mel bands (librosa's filterbank) from 0 to 8000 Hz over the magnitude spectrum, natural
log with a floor of 1e-5. They are NVIDIA NeMo's ``FilterbankFeatures`` (the front end of its FastPitch, HiFi-GAN and
Tacotron 2 configs: ``normalize: null``, ``preemph: null``, ``dither: 0``, ``mag_power: 1``), computed by nemo-core's
``nemo.collections.common.parts.filterbank_features.FilterbankFeatures``, the one implementation ASR uses too:
symmetric Hann window, zero padding, ``log_zero_guard_type`` ``clamp`` (HiFi-GAN, Tacotron 2) or ``add`` (FastPitch),
``exact_pad`` (HiFi-GAN, Tacotron 2) or centred frames (FastPitch, this collection's default, on which its pitch
tracker and Griffin-Lim work), ``use_grads`` (NeMo HiFi-GAN's loss mels). Samples beyond a clip's length are zeroed, so
a clip's frames do not depend on what else is in its batch.

Lengths count every STFT frame (``len // hop + 1`` centred, ``len // hop`` with ``exact_pad``): NeMo >= 2.5 reports one
frame fewer and overwrites that last frame with ``pad_value``; here it keeps its values, so that the mel, pitch and
duration grids of a clip have one length.
"""

import math
import operator
from typing import Optional, Tuple

import torch

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.collections.common.parts.filterbank_features import FilterbankFeatures

__all__ = ["MelSpectrogram", "LOG_ZERO_GUARD"]

LOG_ZERO_GUARD = 1e-5


class MelSpectrogram(FilterbankFeatures):
    """``(audio [B, T], audio_len [B]) -> (log_mel [B, n_mels, frames], mel_len [B])``.

    ``mel_len`` counts the clip's STFT frames (see the module doc); frames past it hold ``pad_value`` (by default the
    log floor, i.e. silence). ``mel_basis`` ``[n_mels, n_fft // 2 + 1]`` is public so vocoders can invert it.
    ``exact_pad`` zero-pads ``(n_fft - hop) // 2`` samples each side and frames without centring (``len // hop``
    frames). ``use_grads`` adds NeMo's 1e-5 under the magnitude's square root (NeMo's ``use_grads=True`` mels). The
    window and filterbank are recomputed, not saved with the weights (``reset_buffers``).
    """

    persistent_buffers = False

    def __init__(
        self,
        sample_rate: int = 22050,
        n_fft: int = 1024,
        win_length: Optional[int] = 1024,
        hop_length: int = 256,
        n_mels: int = 80,
        fmin: float = 0.0,
        fmax: Optional[float] = 8000.0,
        mag_power: float = 1.0,
        log_zero_guard: float = LOG_ZERO_GUARD,
        log_zero_guard_type: str = "clamp",
        pad_value: Optional[float] = None,
        exact_pad: bool = False,
        use_grads: bool = False,
    ) -> None:
        win_length = win_length or n_fft
        checks = {
            "sample_rate": sample_rate > 0,
            "n_fft": n_fft > 0,
            "win_length": 0 < win_length <= n_fft,
            "hop_length": hop_length > 0,
            "n_mels": n_mels > 0,
            "mag_power": mag_power > 0,
            "log_zero_guard": log_zero_guard > 0,
            "log_zero_guard_type": log_zero_guard_type in ("add", "clamp"),
            "exact_pad": not exact_pad or hop_length % 2 == 0,  # NeMo: an odd hop breaks len // hop frames
        }
        bad = [key for key, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"MelSpectrogram: invalid {bad[0]}={locals()[bad[0]]!r} (see the constructor's ranges)")
        fmax = sample_rate / 2 if fmax is None else float(fmax)
        if not 0 <= fmin < fmax <= sample_rate / 2:
            raise ValueError(f"MelSpectrogram: need 0 <= fmin < fmax <= sample_rate / 2, got fmin={fmin}, fmax={fmax}")
        log_zero_guard = float(log_zero_guard)
        pad_value = math.log(log_zero_guard) if pad_value is None else float(pad_value)
        super().__init__(
            sample_rate=sample_rate, n_window_size=win_length, n_window_stride=hop_length, n_fft=n_fft, nfilt=n_mels,
            lowfreq=float(fmin), highfreq=fmax, mag_power=float(mag_power), log_zero_guard_type=log_zero_guard_type,
            log_zero_guard_value=log_zero_guard, pad_value=pad_value, exact_pad=exact_pad, use_grads=use_grads,
            normalize=None, preemph=None, dither=0.0, pad_to=0,
        )  # fmt: skip

    # this class's names for the shared class's settings
    n_mels = property(operator.attrgetter("nfilt"))
    fmin = property(operator.attrgetter("lowfreq"))
    fmax = property(operator.attrgetter("highfreq"))
    log_zero_guard = property(operator.attrgetter("log_zero_guard_value"))

    @property
    def mel_basis(self) -> torch.Tensor:
        """The filterbank ``[n_mels, n_fft // 2 + 1]`` (``fb`` without NeMo's leading axis)."""
        return self.fb[0]

    def get_seq_len(self, audio_len: torch.Tensor) -> torch.Tensor:
        """Number of valid frames of clips of ``audio_len`` samples: all their STFT frames."""
        return self._stft_frames_but_one(audio_len) + 1

    def linear_spectrogram(self, audio: torch.Tensor) -> torch.Tensor:
        """``|STFT(audio)| ** mag_power`` ``[B, n_fft // 2 + 1, frames]`` (zero padded, centred unless exact_pad)."""
        return self.power_spectrum(audio).transpose(1, 2)

    def forward(self, audio: torch.Tensor, audio_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if audio.dim() != 2:
            raise ValueError(f"MelSpectrogram expects audio [B, T], got shape {tuple(audio.shape)}")
        audio_len = audio_len.to(audio.device).long()
        audio = audio.float().masked_fill(~lengths_to_mask(audio_len, audio.shape[1]), 0.0)
        return self._features(audio, audio_len)  # differentiable whenever autograd is on, not only with use_grads

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, win_length={self.win_length}, "
            f"hop_length={self.hop_length}, n_mels={self.n_mels}, fmin={self.fmin}, fmax={self.fmax}, "
            f"log_zero_guard_type={self.log_zero_guard_type}, exact_pad={self.exact_pad}"
        )
