"""``AudioSegment``: one utterance as mono float32 samples, loaded by nemo-core's one audio loader.

Decoding, downmixing, resampling (soxr, high quality) and trimming (60 dB below the peak by default) are
``nemo.collections.common.data.audio``'s, shared with TTS and the examples; ``AudioReadError`` is that module's
error, which names the file and the reason it could not be read.
"""

from typing import Optional

import numpy as np

from nemo.collections.common.data.audio import (
    DEFAULT_TRIM_TOP_DB,
    AudioReadError,
    read_audio,
    resample,
    to_mono_float32,
    trim_silence,
)

__all__ = ["AudioSegment", "AudioReadError"]


class AudioSegment:
    """Mono audio samples (float32) at ``sample_rate``.

    ``target_sr`` resamples when it differs from ``sample_rate``; ``trim`` removes leading and trailing silence
    quieter than ``trim_top_db`` below the peak (see ``nemo.collections.common.data.audio``).
    """

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: int,
        target_sr: Optional[int] = None,
        trim: bool = False,
        trim_top_db: float = DEFAULT_TRIM_TOP_DB,
    ) -> None:
        try:
            samples = to_mono_float32(samples)
        except ValueError as err:
            raise ValueError(f"AudioSegment: {err}") from None
        if target_sr is not None and int(target_sr) != int(sample_rate):
            samples = resample(samples, int(sample_rate), int(target_sr))
        if trim:
            samples = trim_silence(samples, trim_top_db)
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
        samples, sample_rate = read_audio(audio_file, offset=offset, duration=duration, int_values=int_values)
        return cls(samples, sample_rate, target_sr=target_sr, trim=trim)
