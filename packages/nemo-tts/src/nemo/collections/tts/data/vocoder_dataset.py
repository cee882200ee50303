"""``VocoderDataset``: waveforms for vocoder training, as fixed-length random segments or whole clips.

A GAN vocoder learns from short windows (``n_segments`` samples, 8192 in NeMo's configs), so each training item is a
random crop of one clip, zero-padded when the clip is shorter; validation uses whole clips (``n_segments: -1``) so the
metric does not depend on the crop. Mel spectrograms are not computed here: ``HifiGanModel`` computes them from the
audio with the collection's shared ``MelSpectrogram``, so inputs and loss targets come from one front end.
"""

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import AudioSignal, LengthsType, NeuralType
from nemo.utils import logging

__all__ = ["AudioClip", "VocoderDataset", "load_audio", "read_audio_manifest"]


@dataclass(frozen=True)
class AudioClip:
    """One manifest line: an audio file and its duration in seconds."""

    audio_filepath: str
    duration: float


def _manifest_paths(manifest_filepath: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> List[str]:
    if isinstance(manifest_filepath, (str, os.PathLike)):
        paths = [p for p in str(manifest_filepath).split(",") if p.strip()]
    else:
        paths = [str(p) for p in manifest_filepath]
    if not paths:
        raise ValueError(f"VocoderDataset: manifest_filepath names no file (got {manifest_filepath!r})")
    return paths


def _clip_duration(path: str) -> float:
    import soundfile

    return float(soundfile.info(path).duration)


def read_audio_manifest(
    manifest_filepath: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    min_duration: Optional[float] = None,
    max_duration: Optional[float] = None,
) -> List[AudioClip]:
    """Clips of one or more NeMo JSON-lines manifests (comma-separated or a list), filtered by duration.

    Relative ``audio_filepath`` values are resolved against the manifest's folder. ``duration`` is read from the audio
    header when absent. Errors name the manifest, the line number and the problem.
    """
    clips: List[AudioClip] = []
    skipped = 0
    for manifest in _manifest_paths(manifest_filepath):
        manifest = manifest.strip()
        if not os.path.isfile(manifest):
            raise FileNotFoundError(f"VocoderDataset: manifest {manifest!r} does not exist")
        base = os.path.dirname(os.path.abspath(manifest))
        with open(manifest, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{manifest}:{line_no}: not valid JSON ({error.msg})") from error
                if not isinstance(entry, dict) or not isinstance(entry.get("audio_filepath"), str):
                    raise ValueError(f"{manifest}:{line_no}: expected an object with a string 'audio_filepath'")
                path = entry["audio_filepath"]
                path = path if os.path.isabs(path) else os.path.join(base, path)
                if not os.path.isfile(path):
                    raise FileNotFoundError(f"{manifest}:{line_no}: audio file {path!r} does not exist")
                duration = entry.get("duration")
                if duration is not None and not isinstance(duration, (int, float)):
                    raise ValueError(f"{manifest}:{line_no}: 'duration' must be a number, got {duration!r}")
                duration = float(duration) if duration is not None else _clip_duration(path)
                if (min_duration is not None and duration < min_duration) or (
                    max_duration is not None and duration > max_duration
                ):
                    skipped += 1
                    continue
                clips.append(AudioClip(audio_filepath=path, duration=duration))
    if skipped:
        logging.info(f"VocoderDataset: skipped {skipped} clips outside [{min_duration}, {max_duration}] seconds")
    if not clips:
        raise ValueError(
            f"VocoderDataset: no clips left in {manifest_filepath!r} with min_duration={min_duration}, "
            f"max_duration={max_duration}"
        )
    return clips


def load_audio(path: str, sample_rate: int, trim: bool = False, trim_top_db: float = 60.0) -> np.ndarray:
    """Mono float32 samples of ``path`` at ``sample_rate`` (resampled if needed), optionally silence-trimmed."""
    import soundfile

    samples, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    if file_rate != sample_rate:
        import librosa

        samples = librosa.resample(samples, orig_sr=file_rate, target_sr=sample_rate)
    if trim:
        import librosa

        samples, _ = librosa.effects.trim(samples, top_db=trim_top_db)
    return np.ascontiguousarray(samples, dtype=np.float32)


class VocoderDataset(Dataset):
    """``(audio [T], audio_len)`` items from a manifest; ``collate_fn`` pads to ``(audio [B, T], audio_len [B])``.

    Args:
        manifest_filepath: JSON-lines manifest(s) with ``audio_filepath`` (and ``duration``).
        sample_rate: rate the audio is resampled to.
        n_segments: samples per training item (a random crop, zero-padded if the clip is shorter; ``audio_len`` stays
            the real length); ``-1`` (or any value <= 0) gives whole clips.
        max_duration / min_duration: clips outside this range (seconds) are skipped.
        trim: trim leading and trailing silence (``trim_top_db`` below the peak) before cropping.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
        sample_rate: int = 22050,
        n_segments: int = 8192,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        trim: bool = False,
        trim_top_db: float = 60.0,
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
