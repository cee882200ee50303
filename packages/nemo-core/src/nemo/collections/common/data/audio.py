"""Audio files: the one loader every collection and example uses.

``load_audio(path, sample_rate)`` decodes a file with soundfile (``read_audio``), mixes it down to mono float32
(``to_mono_float32``: integer PCM scaled to [-1, 1)), resamples it (``resample``) and optionally trims leading and
trailing silence (``trim_silence``). One choice of each, for ASR, TTS and the examples alike:

- resampler: soxr at its "HQ" quality (``RESAMPLE_QUALITY``), which is exactly what ``librosa.resample`` runs by
  default (``res_type="soxr_hq"``: identical samples), without importing librosa;
- trim: ``librosa.effects.trim`` with ``DEFAULT_TRIM_TOP_DB`` = 60 dB below the peak over frames of 2048 samples, hop
  512 (librosa's defaults and NeMo v1's ``AudioSegment``); ``trim_top_db`` overrides the level per call. Its rule is
  computed here in numpy (the same bounds; librosa and its numba take seconds to import, a first transcript none).

A file that cannot be used raises ``AudioReadError`` (an ``OSError``) whose message names the file and the reason
(``cannot read audio file '/data/a.wav': it does not exist``); its ``path``, ``reason`` and ``kind`` (``"missing"``
or ``"unreadable"``) attributes say the same to code. soundfile and soxr are imported inside the functions
that need them (nemo-core's ``audio`` extra), so importing this module costs only numpy.
"""

import os
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "DEFAULT_TRIM_TOP_DB",
    "RESAMPLE_QUALITY",
    "TRIM_FRAME_LENGTH",
    "TRIM_HOP_LENGTH",
    "AudioInfo",
    "AudioReadError",
    "MissingAudioError",
    "audio_info",
    "load_audio",
    "read_audio",
    "resample",
    "to_mono_float32",
    "trim_silence",
]

DEFAULT_TRIM_TOP_DB = 60.0  # dB below the peak that counts as silence (librosa's and NeMo v1's default)
TRIM_FRAME_LENGTH = 2048  # samples per RMS frame of the trim rule (librosa's default)
TRIM_HOP_LENGTH = 512  # samples between those frames (librosa's default)
RESAMPLE_QUALITY = "HQ"  # soxr's quality; librosa.resample's default "soxr_hq" is the same filter


class AudioReadError(OSError):
    """An audio file is missing or cannot be decoded; the message names the file and the reason.

    ``path`` is the file, ``reason`` why it cannot be used and ``kind`` ``"missing"`` (no such file) or
    ``"unreadable"`` (anything else); all three are None when the error was built from a message alone.
    """

    path: Optional[str] = None
    reason: Optional[str] = None
    kind: Optional[str] = None

    def with_context(self, context: str) -> "AudioReadError":
        """The same error with ``<context>: `` before the message (e.g. the manifest line that named the file)."""
        error = type(self)(f"{context}: {self}")
        error.path, error.reason, error.kind = self.path, self.reason, self.kind
        return error


class MissingAudioError(AudioReadError, FileNotFoundError):
    """An ``AudioReadError`` for a file that does not exist (also a ``FileNotFoundError``)."""


def _unusable(path: str, reason: str, kind: str = "unreadable") -> AudioReadError:
    error = (MissingAudioError if kind == "missing" else AudioReadError)(f"cannot read audio file {path!r}: {reason}")
    error.path, error.reason, error.kind = path, reason, kind
    return error


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise _unusable(path, "it does not exist", kind="missing")
    if os.path.isdir(path):
        raise _unusable(path, "it is a directory, expected an audio file")
    if not os.access(path, os.R_OK):
        raise _unusable(path, "permission denied")


def _decoder_reason(error: BaseException) -> str:
    """soundfile's own words for why a file cannot be opened (without repeating the path)."""
    reason = getattr(error, "error_string", None) or str(error)
    return f"not a readable audio file ({reason.rstrip('.')})"


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says."""

    path: str
    sample_rate: int
    frames: int
    channels: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / float(self.sample_rate)


def audio_info(path: str) -> AudioInfo:
    """The header of ``path`` (nothing is decoded); ``AudioReadError`` when it is missing or unreadable."""
    import soundfile

    path = os.fspath(path)
    _check_file(path)
    try:
        info = soundfile.info(path)
    except (RuntimeError, OSError) as err:  # soundfile.LibsndfileError is a RuntimeError
        raise _unusable(path, _decoder_reason(err)) from err
    if info.frames < 0 or info.samplerate <= 0:
        raise _unusable(path, f"its header gives {info.frames} frames at {info.samplerate} Hz")
    return AudioInfo(path=path, sample_rate=int(info.samplerate), frames=int(info.frames), channels=int(info.channels))


def to_mono_float32(samples: np.ndarray) -> np.ndarray:
    """``(T,)`` float32 from ``(T,)`` or ``(T, channels)`` samples: channels averaged, integer PCM scaled to [-1, 1)."""
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        bits = np.iinfo(samples.dtype).bits
        samples = samples.astype(np.float32) * np.float32(1.0 / 2 ** (bits - 1))
    else:
        samples = samples.astype(np.float32, copy=False)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"expected audio samples of shape (T,) or (T, channels), got shape {samples.shape}")
    return samples


def read_audio(
    path: str, offset: float = 0.0, duration: float = 0.0, int_values: bool = False
) -> Tuple[np.ndarray, int]:
    """``(mono float32 samples, sample rate)`` of ``duration`` seconds (0: to the end) from ``offset`` seconds into
    ``path``, at the file's own rate. ``int_values`` decodes integer PCM and scales it (instead of letting soundfile
    convert to float). ``AudioReadError`` names the file and the reason when it cannot be read."""
    import soundfile

    path = os.fspath(path)
    _check_file(path)
    try:
        with soundfile.SoundFile(path, "r") as handle:
            rate = int(handle.samplerate)
            if offset and offset > 0:
                handle.seek(min(int(round(offset * rate)), handle.frames))
            frames = int(round(duration * rate)) if duration and duration > 0 else -1
            samples = handle.read(frames=frames, dtype="int32" if int_values else "float32", always_2d=True)
    except (RuntimeError, OSError) as err:  # soundfile.LibsndfileError is a RuntimeError
        raise _unusable(path, _decoder_reason(err)) from err
    return to_mono_float32(samples), rate


def resample(samples: np.ndarray, orig_sr: float, target_sr: float) -> np.ndarray:
    """Mono ``samples`` at ``orig_sr`` resampled to ``target_sr`` with soxr (``RESAMPLE_QUALITY``); rates may be
    fractional (speed perturbation, formant warps). Equal rates and empty input return the samples as float32."""
    samples = np.asarray(samples, dtype=np.float32)
    if float(orig_sr) == float(target_sr) or samples.size == 0:
        return samples
    import soxr

    return soxr.resample(samples, orig_sr, target_sr, quality=RESAMPLE_QUALITY)


def _trim_bounds(samples: np.ndarray, top_db: float) -> Tuple[int, int]:
    """``(start, end)`` that ``librosa.effects.trim`` keeps of mono ``samples``, computed as librosa 0.10-0.11 does
    (the same float32 operations on the same strided frames, so the same bounds) without importing it."""
    half = TRIM_FRAME_LENGTH // 2
    # librosa.feature.rms: centred frames (zero padding) as a (frame, n_frames) view, mean power in float32
    frames = sliding_window_view(np.pad(samples, half), TRIM_FRAME_LENGTH)[::TRIM_HOP_LENGTH].T
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float32), axis=0))
    # librosa.amplitude_to_db(rms, ref=np.max, top_db=None): power in dB below the loudest frame's
    power = np.square(rms)
    db = 10.0 * np.log10(np.maximum(1e-10, power)) - 10.0 * np.log10(np.maximum(1e-10, rms.max() ** 2))
    loud = np.flatnonzero(db > -top_db)
    if loud.size == 0:
        return 0, 0
    return int(loud[0]) * TRIM_HOP_LENGTH, min(samples.shape[-1], (int(loud[-1]) + 1) * TRIM_HOP_LENGTH)


def trim_silence(samples: np.ndarray, top_db: float = DEFAULT_TRIM_TOP_DB) -> np.ndarray:
    """``samples`` without the leading and trailing frames quieter than ``top_db`` below the peak
    (``librosa.effects.trim`` over ``TRIM_FRAME_LENGTH``/``TRIM_HOP_LENGTH`` frames); float samples keep their dtype."""
    samples = np.asarray(samples)
    if not np.issubdtype(samples.dtype, np.floating):
        samples = samples.astype(np.float32)
    if samples.size == 0:
        return samples
    start, end = _trim_bounds(samples, float(top_db))
    return samples[start:end]


def load_audio(
    path: str,
    sample_rate: int,
    trim: bool = False,
    trim_top_db: float = DEFAULT_TRIM_TOP_DB,
    *,
    offset: float = 0.0,
    duration: float = 0.0,
    int_values: bool = False,
) -> np.ndarray:
    """Mono float32 samples of ``path`` at ``sample_rate``: ``read_audio`` (``offset``/``duration`` in seconds,
    ``int_values``), then ``resample``, then, with ``trim``, ``trim_silence`` at ``trim_top_db``."""
    samples, rate = read_audio(path, offset=offset, duration=duration, int_values=int_values)
    samples = resample(samples, rate, sample_rate)
    if trim:
        samples = trim_silence(samples, trim_top_db)
    return np.ascontiguousarray(samples, dtype=np.float32)
