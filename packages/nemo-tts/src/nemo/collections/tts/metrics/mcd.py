"""Mel cepstral distortion (MCD): how far a synthesized waveform's spectral envelope is from a reference recording's.

Synthesized speech never lines up sample by sample with its reference, so a waveform or spectrogram difference says
little; MCD compares smoothed log spectra (low-order cepstra) of frames matched by dynamic time warping, and ignores
loudness (c0). The cepstra here are taken from a log-amplitude mel spectrogram (no SPTK mel-generalized analysis, so
no extra dependency): ``c_d = (1/N) * sum_k ln|M_k| cos(pi d (k + 1/2) / N)`` over the ``N`` mel bands, the
coefficients of the cosine series ``ln|M_k| = c_0 + 2 sum_d c_d cos(...)``. With that scaling the usual constant
``10 * sqrt(2) / ln(10)`` applies: using all ``N - 1`` coefficients, the MCD of one frame pair equals
``10 / ln(10)`` times the standard deviation over mel bands of the log-amplitude difference.

Numbers from this MFCC-style analysis are comparable with each other (same settings), not with SPTK-based MCDs in
papers.
"""

import math
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["MCD_CONSTANT", "mel_cepstrum", "mel_cepstral_distortion", "cepstral_distortion_frames"]

MCD_CONSTANT = 10.0 * math.sqrt(2.0) / math.log(10.0)
_POWER_FLOOR = 1e-10  # -100 dB: keeps digital silence finite without dominating real speech frames


def _as_waveform(audio: Any, name: str) -> np.ndarray:
    """A 1-D float64 array from a numpy array or (CPU/GPU) tensor; squeezes a leading batch axis of size 1."""
    if hasattr(audio, "detach"):
        audio = audio.detach().float().cpu().numpy()
    array = np.asarray(audio, dtype=np.float64)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D waveform (or shape [1, T]), got shape {tuple(array.shape)}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite samples")
    return array


def mel_cepstrum(
    audio: Any,
    sample_rate: int = 22050,
    *,
    n_fft: int = 1024,
    hop_length: int = 256,
    win_length: Optional[int] = None,
    n_mels: int = 80,
    n_ceps: int = 25,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
) -> np.ndarray:
    """Cepstra ``[frames, n_ceps]`` (``c_0`` first) of a waveform's log-amplitude mel spectrogram (scaling above)."""
    import librosa
    import scipy.fft

    if not 1 <= n_ceps <= n_mels:
        raise ValueError(f"n_ceps must be between 1 and n_mels ({n_mels}), got {n_ceps}")
    waveform = _as_waveform(audio, "audio")
    power = np.abs(librosa.stft(waveform, n_fft=n_fft, hop_length=hop_length, win_length=win_length)) ** 2
    basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    log_amplitude = 0.5 * np.log(np.maximum(basis @ power, _POWER_FLOOR))  # [n_mels, frames]
    cepstra = scipy.fft.dct(log_amplitude, type=2, axis=0, norm=None) / (2.0 * n_mels)
    return np.ascontiguousarray(cepstra[:n_ceps].T)


def cepstral_distortion_frames(
    reference: np.ndarray, synthesized: np.ndarray, *, align: str = "dtw"
) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame-pair MCD in dB of two cepstra sequences ``[frames, n_ceps]`` (``c_0`` in column 0, ignored).

    ``align="dtw"`` pairs frames along the minimum-cost warping path (Euclidean distance of ``c_1..``);
    ``"truncate"`` pairs frame ``t`` with frame ``t`` up to the shorter length. Returns ``(distortions, path)``
    with ``path`` of shape ``[pairs, 2]`` holding (reference frame, synthesized frame).
    """
    if reference.ndim != 2 or synthesized.ndim != 2 or reference.shape[1] != synthesized.shape[1]:
        raise ValueError(
            f"cepstra must be [frames, n_ceps] with the same n_ceps, got {reference.shape} and {synthesized.shape}"
        )
    if reference.shape[1] < 2:
        raise ValueError("MCD needs at least c_0 and c_1 (n_ceps >= 2); c_0 is excluded")
    ref, syn = reference[:, 1:], synthesized[:, 1:]
    if align == "dtw":
        import librosa

        _, warping_path = librosa.sequence.dtw(X=ref.T, Y=syn.T, metric="euclidean")
        path = np.asarray(warping_path[::-1], dtype=np.int64)
    elif align == "truncate":
        frames = min(len(ref), len(syn))
        path = np.stack([np.arange(frames), np.arange(frames)], axis=1)
    else:
        raise ValueError(f"align must be 'dtw' or 'truncate', got {align!r}")
    differences = ref[path[:, 0]] - syn[path[:, 1]]
    return MCD_CONSTANT * np.sqrt(np.sum(differences**2, axis=1)), path


def mel_cepstral_distortion(
    reference: Any,
    synthesized: Any,
    sample_rate: int = 22050,
    *,
    n_ceps: int = 25,
    align: str = "dtw",
    trim_top_db: Optional[float] = None,
    **analysis: Any,
) -> float:
    """Mean MCD in dB between two waveforms at ``sample_rate``, over ``c_1 .. c_{n_ceps-1}`` of aligned frames.

    0 for identical audio and for audio that differs only in gain. ``trim_top_db`` (e.g. 40) first cuts leading and
    trailing parts quieter than that many dB below each waveform's peak, so silence padding is not scored.
    ``analysis`` goes to :func:`mel_cepstrum` (``n_fft``, ``hop_length``, ``n_mels``, ``fmin``, ``fmax``, ...).
    """
    waveforms = [_as_waveform(reference, "reference"), _as_waveform(synthesized, "synthesized")]
    if trim_top_db is not None:
        from nemo.collections.common.data.audio import trim_silence

        trimmed = [trim_silence(w, trim_top_db) for w in waveforms]
        waveforms = [t if t.size else w for t, w in zip(trimmed, waveforms)]  # all-silent audio stays as it is
    ref, syn = (mel_cepstrum(w, sample_rate, n_ceps=n_ceps, **analysis) for w in waveforms)
    distortions, _ = cepstral_distortion_frames(ref, syn, align=align)
    return float(distortions.mean())
