"""Audio + class-label datasets (speech commands, VAD, speaker id) read from manifests with a ``label`` field.

Items are ``(audio, audio_len, label_id, 1)``; ``collate_fn`` right-pads audio and stacks labels into ``(B,)``.
``AudioToSpeechLabelDataset`` instead cuts or repeats every utterance to ``time_length`` seconds.
"""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from nemo.collections.asr.data.audio_to_text import ManifestAudioDataset, speech_collate_fn
from nemo.collections.asr.parts.preprocessing.collections import ASRSpeechLabel
from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer
from nemo.core.neural_types import AudioSignal, LabelsType, LengthsType, NeuralType

__all__ = ["AudioToClassificationLabelDataset", "AudioToSpeechLabelDataset", "repeat_signal"]


class AudioToClassificationLabelDataset(ManifestAudioDataset):
    """Utterances labelled with one of ``labels`` (manifest key ``label``), loaded through ``featurizer``.

    ``skip_bad_samples`` skips unusable manifest lines (unknown label, missing audio, ...) with one warning instead of
    raising an error that names the manifest and line.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        labels: Sequence[str],
        featurizer: WaveformFeaturizer,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        trim: bool = False,
        max_utts: int = 0,
        skip_bad_samples: bool = False,
    ) -> None:
        if not labels:
            raise ValueError("AudioToClassificationLabelDataset: labels must be a non-empty list of class names")
        self.labels: List[str] = [str(label) for label in labels]
        self.label2id: Dict[str, int] = {label: idx for idx, label in enumerate(self.labels)}
        self.id2label: Dict[int, str] = dict(enumerate(self.labels))
        self.num_classes = len(self.labels)
        self.featurizer = featurizer
        self.trim = trim
        self.collection = ASRSpeechLabel(
            manifest_filepath,
            labels=self.labels,
            min_duration=min_duration,
            max_duration=max_duration,
            max_number=max_utts,
            skip_bad_samples=skip_bad_samples,
        )

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            "audio_signal": NeuralType(("B", "T"), AudioSignal(freq=self.featurizer.sample_rate)),
            "a_sig_length": NeuralType(tuple("B"), LengthsType()),
            "label": NeuralType(tuple("B"), LabelsType()),
            "label_length": NeuralType(tuple("B"), LengthsType()),
        }

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, ...]:
        sample = self.collection[index]
        audio = self._load_audio(sample.entry)
        return (
            audio,
            torch.tensor(audio.shape[0], dtype=torch.long),
            torch.tensor(sample.label_id, dtype=torch.long),
            torch.tensor(1, dtype=torch.long),
        )

    def _collate_fn(self, batch: Sequence[Tuple]) -> Tuple[Optional[torch.Tensor], ...]:
        return speech_collate_fn(batch, pad_id=0)


def repeat_signal(signal: torch.Tensor, required_length: int) -> torch.Tensor:
    """Tile ``signal`` until it is ``required_length`` samples long (a silent signal stays zeros)."""
    if signal.shape[0] == 0:
        return torch.zeros(required_length, dtype=signal.dtype)
    repeats = -(-required_length // signal.shape[0])
    return signal.repeat(repeats)[:required_length]


class AudioToSpeechLabelDataset(AudioToClassificationLabelDataset):
    """Label dataset whose batches hold fixed ``time_length``-second windows (speaker recognition, commands).

    Longer utterances are cut to a window (a random start when ``random_crop``, else the start); shorter ones are
    repeated. ``normalize_audio`` scales each window to unit peak amplitude.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        labels: Sequence[str],
        featurizer: WaveformFeaturizer,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        trim: bool = False,
        time_length: float = 8.0,
        random_crop: bool = True,
        normalize_audio: bool = False,
        max_utts: int = 0,
        skip_bad_samples: bool = False,
    ) -> None:
        if time_length <= 0:
            raise ValueError(f"AudioToSpeechLabelDataset: time_length must be > 0 seconds, got {time_length}")
        super().__init__(
            manifest_filepath,
            labels,
            featurizer,
            max_duration=max_duration,
            min_duration=min_duration,
            trim=trim,
            max_utts=max_utts,
            skip_bad_samples=skip_bad_samples,
        )
        self.time_length = float(time_length)
        self.random_crop = random_crop
        self.normalize_audio = normalize_audio

    def _window(self, signal: torch.Tensor, length: int) -> torch.Tensor:
        if signal.shape[0] > length:
            start = int(torch.randint(0, signal.shape[0] - length + 1, (1,))) if self.random_crop else 0
            signal = signal[start : start + length]
        elif signal.shape[0] < length:
            signal = repeat_signal(signal, length)
        if self.normalize_audio:
            peak = signal.abs().max()
            signal = signal / peak if peak > 0 else signal
        return signal

    def _collate_fn(self, batch: Sequence[Tuple]) -> Tuple[Optional[torch.Tensor], ...]:
        length = int(round(self.featurizer.sample_rate * self.time_length))
        signals = torch.stack([self._window(item[0], length) for item in batch])
        return (
            signals,
            torch.full((len(batch),), length, dtype=torch.long),
            torch.stack([item[2] for item in batch]),
            torch.stack([item[3] for item in batch]),
        )
