"""Log-mel spectrograms with NeMo TTS's settings, computed the same way for training targets and vocoder inputs.

Every TTS model and vocoder of this collection shares these features: 22050 Hz audio, 1024-point FFT and window,
hop 256, 80 slaney-normalized mel bands (librosa's filterbank) from 0 to 8000 Hz over the magnitude spectrum, natural
log with a floor of 1e-5. The STFT is centred with zero padding, and samples beyond a clip's length are zeroed, so a
clip's frames do not depend on what else is in its batch.
"""

import math
from typing import Optional, Tuple

import torch

__all__ = ["MelSpectrogram", "LOG_ZERO_GUARD"]

LOG_ZERO_GUARD = 1e-5


class MelSpectrogram(torch.nn.Module):
    """``(audio [B, T], audio_len [B]) -> (log_mel [B, n_mels, frames], mel_len [B])``.

    ``mel_len = audio_len // hop_length + 1`` (centred frames); frames past ``mel_len`` hold ``pad_value`` (the log
    floor, i.e. silence). ``mel_basis`` ``[n_mels, n_fft // 2 + 1]`` is public so vocoders can invert it.
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
        self.pad_value = math.log(self.log_zero_guard)

        import librosa

        basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, norm="slaney")
        self.register_buffer("mel_basis", torch.as_tensor(basis, dtype=torch.float32), persistent=False)
        self.register_buffer("window", torch.hann_window(win_length, periodic=True), persistent=False)

    def get_seq_len(self, audio_len: torch.Tensor) -> torch.Tensor:
        """Number of valid frames of clips of ``audio_len`` samples."""
        return torch.div(audio_len, self.hop_length, rounding_mode="floor").long() + 1

    def linear_spectrogram(self, audio: torch.Tensor) -> torch.Tensor:
        """``|STFT(audio)| ** mag_power`` ``[B, n_fft // 2 + 1, frames]`` (centred, zero padded)."""
        spec = torch.stft(
            audio.float(),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        magnitude = spec.abs()
        return magnitude if self.mag_power == 1.0 else magnitude.pow(self.mag_power)

    def forward(self, audio: torch.Tensor, audio_len: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if audio.dim() != 2:
            raise ValueError(f"MelSpectrogram expects audio [B, T], got shape {tuple(audio.shape)}")
        audio_len = audio_len.to(audio.device).long()
        samples = torch.arange(audio.shape[1], device=audio.device)
        audio = audio.float().masked_fill(samples[None, :] >= audio_len[:, None], 0.0)
        mel = torch.matmul(self.mel_basis, self.linear_spectrogram(audio))
        log_mel = torch.log(torch.clamp(mel, min=self.log_zero_guard))
        mel_len = self.get_seq_len(audio_len)
        frames = torch.arange(log_mel.shape[-1], device=audio.device)
        log_mel = log_mel.masked_fill(frames[None, None, :] >= mel_len[:, None, None], self.pad_value)
        return log_mel, mel_len

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, win_length={self.win_length}, "
            f"hop_length={self.hop_length}, n_mels={self.n_mels}, fmin={self.fmin}, fmax={self.fmax}"
        )
