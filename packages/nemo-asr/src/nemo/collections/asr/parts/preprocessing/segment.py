"""Audio loading: one utterance read with soundfile, mixed to mono float32, resampled and optionally trimmed."""

import os
from typing import Optional

import numpy as np

__all__ = ["AudioSegment", "AudioReadError"]


class AudioReadError(OSError):
    """An audio file is missing or cannot be decoded."""


def _to_float32(samples: np.ndarray) -> np.ndarray:
    """Integer PCM is scaled to [-1, 1); float audio is kept as is."""
    if np.issubdtype(samples.dtype, np.integer):
        bits = np.iinfo(samples.dtype).bits
        return samples.astype(np.float32) * np.float32(1.0 / 2 ** (bits - 1))
    return samples.astype(np.float32, copy=False)


class AudioSegment:
    """Mono audio samples (float32) at ``sample_rate``.

    ``target_sr`` resamples (soxr, high quality) when it differs from ``sample_rate``; ``trim`` removes leading and
    trailing silence quieter than ``trim_top_db`` below the peak (``librosa.effects.trim``).
    """

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: int,
        target_sr: Optional[int] = None,
        trim: bool = False,
        trim_top_db: float = 60.0,
    ) -> None:
        samples = _to_float32(np.asarray(samples))
        if samples.ndim == 2:
            samples = samples.mean(axis=1, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"AudioSegment: expected (T,) or (T, C) samples, got shape {samples.shape}")
        if target_sr is not None and int(target_sr) != int(sample_rate) and samples.size > 0:
            import soxr  # librosa's default resampler, without librosa's slow import

            samples = soxr.resample(samples, int(sample_rate), int(target_sr), quality="HQ")
            sample_rate = int(target_sr)
        if trim and samples.size > 0:
            import librosa

            samples, _ = librosa.effects.trim(samples, top_db=trim_top_db)
        self._samples = np.ascontiguousarray(samples, dtype=np.float32)
        self._sample_rate = int(target_sr) if target_sr is not None else int(sample_rate)

    @property
    def samples(self) -> np.ndarray:
        return self._samples

    @samples.setter
    def samples(self, value: np.ndarray) -> None:
        self._samples = np.ascontiguousarray(value, dtype=np.float32)

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def num_samples(self) -> int:
        return int(self._samples.shape[0])

    @property
    def duration(self) -> float:
        return self.num_samples / float(self._sample_rate)

    @classmethod
    def from_file(
        cls,
        audio_file: str,
        target_sr: Optional[int] = None,
        int_values: bool = False,
        offset: float = 0.0,
        duration: float = 0.0,
        trim: bool = False,
        orig_sr: Optional[int] = None,
    ) -> "AudioSegment":
        """Read ``duration`` seconds (0: to the end) starting ``offset`` seconds into ``audio_file``.

        ``int_values`` reads integer PCM (scaled to [-1, 1) afterwards) instead of letting soundfile convert to
        float; ``orig_sr`` is accepted for manifest compatibility (the file header is authoritative).
        """
        del orig_sr
        import soundfile

        if not os.path.isfile(audio_file):
            raise AudioReadError(f"audio file {audio_file!r} does not exist")
        try:
            with soundfile.SoundFile(audio_file, "r") as f:
                sample_rate = f.samplerate
                if offset and offset > 0:
                    f.seek(min(int(round(offset * sample_rate)), f.frames))
                frames = int(round(duration * sample_rate)) if duration and duration > 0 else -1
                samples = f.read(frames=frames, dtype="int32" if int_values else "float32", always_2d=False)
        except (RuntimeError, soundfile.LibsndfileError) as err:
            raise AudioReadError(f"cannot read audio file {audio_file!r}: {err}") from err
        return cls(samples, sample_rate, target_sr=target_sr, trim=trim)
