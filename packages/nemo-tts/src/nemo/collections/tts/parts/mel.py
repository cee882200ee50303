"""Log-mel spectrograms with NeMo TTS's settings, computed the same way for training targets and vocoder inputs.

Every TTS model and vocoder of this collection shares these features: 22050 Hz audio, 1024-point FFT and window,
hop 256, 80 slaney-normalized mel bands (librosa's filterbank) from 0 to 8000 Hz over the magnitude spectrum, natural
log with a floor of 1e-5. The values are those of NVIDIA NeMo's ``FilterbankFeatures`` (the front end of its FastPitch,
HiFi-GAN and Tacotron 2 configs: ``normalize: null``, ``preemph: null``, ``dither: 0``, ``mag_power: 1``): symmetric
Hann window, zero padding, ``log_zero_guard_type`` ``clamp`` (HiFi-GAN, Tacotron 2) or ``add`` (FastPitch),
``exact_pad`` (HiFi-GAN, Tacotron 2) or centred frames (FastPitch, this collection's default, on which its pitch
tracker and Griffin-Lim work), ``use_grads`` (NeMo HiFi-GAN's loss mels). Samples beyond a clip's length are zeroed, so
a clip's frames do not depend on what else is in its batch.

Lengths count every STFT frame (``len // hop + 1`` centred, ``len // hop`` with ``exact_pad``): NeMo >= 2.5 reports one
frame fewer and overwrites that last frame with ``pad_value``; here it keeps its values, so that the mel, pitch and
duration grids of a clip have one length.
"""

import math
from typing import Optional, Tuple

import torch

from nemo.collections.common.data.masks import lengths_to_mask

__all__ = ["MelSpectrogram", "LOG_ZERO_GUARD"]

LOG_ZERO_GUARD = 1e-5


class MelSpectrogram(torch.nn.Module):
    """``(audio [B, T], audio_len [B]) -> (log_mel [B, n_mels, frames], mel_len [B])``.

    ``mel_len`` counts the clip's STFT frames (see the module doc); frames past it hold ``pad_value`` (by default the
    log floor, i.e. silence). ``mel_basis`` ``[n_mels, n_fft // 2 + 1]`` is public so vocoders can invert it.
    ``exact_pad`` zero-pads ``(n_fft - hop) // 2`` samples each side and frames without centring (``len // hop``
    frames). ``use_grads`` adds NeMo's 1e-5 under the magnitude's square root (NeMo's ``use_grads=True`` mels).
    """

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
        super().__init__()
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
        self.sample_rate, self.n_fft, self.win_length, self.hop_length = sample_rate, n_fft, win_length, hop_length
        self.n_mels, self.fmin, self.fmax, self.mag_power = n_mels, float(fmin), fmax, float(mag_power)
        self.log_zero_guard = float(log_zero_guard)
        self.log_zero_guard_type = log_zero_guard_type
        self.exact_pad = bool(exact_pad)
        self.use_grads = bool(use_grads)
        self.pad_value = math.log(self.log_zero_guard) if pad_value is None else float(pad_value)
        self.reset_buffers()

    def reset_buffers(self) -> None:
        """(Re)compute the filterbank and the window (not saved with the weights); a model built on the meta device
        calls it once its weights are assigned (``nemo.core.classes.restore.build_with_weights``)."""
        import librosa

        basis = librosa.filters.mel(
            sr=self.sample_rate, n_fft=self.n_fft, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax, norm="slaney"
        )
        self.register_buffer("mel_basis", torch.as_tensor(basis, dtype=torch.float32), persistent=False)
        # symmetric, as NeMo's FilterbankFeatures (torch.hann_window(win, periodic=False))
        self.register_buffer("window", torch.hann_window(self.win_length, periodic=False), persistent=False)

    def get_seq_len(self, audio_len: torch.Tensor) -> torch.Tensor:
        """Number of valid frames of clips of ``audio_len`` samples: all their STFT frames."""
        if self.exact_pad:
            pad = 2 * ((self.n_fft - self.hop_length) // 2)
            return torch.div(audio_len + pad - self.n_fft, self.hop_length, rounding_mode="floor").long() + 1
        return torch.div(audio_len, self.hop_length, rounding_mode="floor").long() + 1

    def linear_spectrogram(self, audio: torch.Tensor) -> torch.Tensor:
        """``|STFT(audio)| ** mag_power`` ``[B, n_fft // 2 + 1, frames]`` (zero padded, centred unless exact_pad)."""
        audio = audio.float()
        if self.exact_pad:
            pad = (self.n_fft - self.hop_length) // 2
            audio = torch.nn.functional.pad(audio, (pad, pad))
        spec = torch.stft(
            audio,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=not self.exact_pad,
            pad_mode="constant",
            return_complex=True,
        )
        if self.use_grads:
            magnitude = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1) + 1e-5)
        else:
            magnitude = spec.abs()
        return magnitude if self.mag_power == 1.0 else magnitude.pow(self.mag_power)

    def forward(self, audio: torch.Tensor, audio_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if audio.dim() != 2:
            raise ValueError(f"MelSpectrogram expects audio [B, T], got shape {tuple(audio.shape)}")
        audio_len = audio_len.to(audio.device).long()
        audio = audio.float().masked_fill(~lengths_to_mask(audio_len, audio.shape[1]), 0.0)
        mel = torch.matmul(self.mel_basis, self.linear_spectrogram(audio))
        if self.log_zero_guard_type == "add":
            log_mel = torch.log(mel + self.log_zero_guard)
        else:
            log_mel = torch.log(torch.clamp(mel, min=self.log_zero_guard))
        mel_len = self.get_seq_len(audio_len)
        log_mel = log_mel.masked_fill(~lengths_to_mask(mel_len, log_mel.shape[-1])[:, None, :], self.pad_value)
        return log_mel, mel_len

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, win_length={self.win_length}, "
            f"hop_length={self.hop_length}, n_mels={self.n_mels}, fmin={self.fmin}, fmax={self.fmax}, "
            f"log_zero_guard_type={self.log_zero_guard_type}, exact_pad={self.exact_pad}"
        )
