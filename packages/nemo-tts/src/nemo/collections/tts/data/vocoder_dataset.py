"""``VocoderDataset``: waveforms for vocoder training, as fixed-length random segments or whole clips.

A GAN vocoder learns from short windows (``n_segments`` samples, 8192 in NeMo's configs), so each training item is a
random crop of one clip, zero-padded when the clip is shorter; validation uses whole clips (``n_segments: -1``) so the
metric does not depend on the crop. Manifests and audio go through nemo-core's one reader and loader
(``nemo.collections.common.data``; ``load_audio`` is that loader, re-exported). Mel spectrograms are not computed
here: ``HifiGanModel`` computes them from the audio with the collection's shared ``MelSpectrogram``, so inputs and
loss targets come from one front end.
"""

import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from nemo.collections.common.data.audio import DEFAULT_TRIM_TOP_DB, load_audio
from nemo.collections.common.data.manifest import read_manifest
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import AudioSignal, LengthsType, NeuralType

__all__ = ["AudioClip", "VocoderDataset", "load_audio", "read_audio_manifest"]


@dataclass(frozen=True)
class AudioClip:
    """One manifest line: an audio file and its duration in seconds."""

    audio_filepath: str
    duration: float


def read_audio_manifest(
    manifest_filepath: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    min_duration: Optional[float] = None,
    max_duration: Optional[float] = None,
) -> List[AudioClip]:
    """Clips of one or more NeMo JSON-lines manifests (comma-separated or a list), filtered by duration.

    Read by nemo-core's one manifest reader: relative ``audio_filepath`` values are resolved against the manifest's
    folder, ``duration`` is read from the audio header when absent, every header is checked, and errors read
    ``<manifest>:<line>: <what>``; no clip left is an error too.
    """
    entries = read_manifest(
        manifest_filepath,
        duration="from_audio",
        check_audio=True,
        min_duration=min_duration,
        max_duration=max_duration,
        what="VocoderDataset",
        keep_fields=False,
    )
    return [AudioClip(audio_filepath=entry.audio_file, duration=float(entry.duration)) for entry in entries]


class VocoderDataset(Dataset):
    """``(audio [T], audio_len)`` items from a manifest; ``collate_fn`` pads to ``(audio [B, T], audio_len [B])``.

    Args:
        manifest_filepath: JSON-lines manifest(s) with ``audio_filepath`` (and ``duration``).
        sample_rate: rate the audio is resampled to.
        n_segments: samples per training item (a random crop, zero-padded if the clip is shorter; ``audio_len`` stays
            the real length); ``-1`` (or any value <= 0) gives whole clips.
        max_duration / min_duration: clips outside this range (seconds) are skipped.
        trim: trim leading and trailing silence (``trim_top_db`` below the peak, 60 dB by default) before cropping.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
        sample_rate: int = 22050,
        n_segments: int = 8192,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        trim: bool = False,
        trim_top_db: float = DEFAULT_TRIM_TOP_DB,
    ) -> None:
        super().__init__()
        if sample_rate <= 0:
            raise ValueError(f"VocoderDataset: sample_rate must be positive, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        self.n_segments = int(n_segments)
        self.trim = trim
        self.trim_top_db = trim_top_db
        self.clips = read_audio_manifest(manifest_filepath, min_duration=min_duration, max_duration=max_duration)

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "audio_signal": NeuralType(("B", "T"), AudioSignal(freq=self.sample_rate)),
                "a_sig_length": NeuralType(("B",), LengthsType()),
            }
        )

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, torch.Tensor]:
        clip = self.clips[index]
        audio = torch.from_numpy(load_audio(clip.audio_filepath, self.sample_rate, self.trim, self.trim_top_db))
        length = audio.shape[0]
        if self.n_segments > 0:
            if length > self.n_segments:
                start = int(torch.randint(0, length - self.n_segments + 1, ()).item())
                audio, length = audio[start : start + self.n_segments], self.n_segments
            else:
                audio = torch.nn.functional.pad(audio, (0, self.n_segments - length))
        return audio, torch.tensor(length, dtype=torch.long)

    def _collate_fn(self, batch: List[Tuple[torch.Tensor, torch.Tensor]]) -> Tuple[torch.Tensor, torch.Tensor]:
        longest = max(audio.shape[0] for audio, _ in batch)
        audio = torch.stack([torch.nn.functional.pad(a, (0, longest - a.shape[0])) for a, _ in batch])
        return audio, torch.stack([length for _, length in batch])
