"""Waveform featurizer: what a dataset uses to turn a manifest entry into a float tensor of samples.

``FilterbankFeatures`` (the mel front end, nemo-core's shared one) is importable here too, at NVIDIA NeMo's path.
"""

from typing import Any, Optional

import torch

from nemo.collections.asr.parts.preprocessing.segment import AudioSegment
from nemo.collections.common.parts.filterbank_features import FilterbankFeatures

__all__ = ["FilterbankFeatures", "WaveformFeaturizer"]


class WaveformFeaturizer:
    """Loads audio at ``sample_rate`` and applies ``augmentor`` (any object with ``perturb(segment)``)."""

    def __init__(self, sample_rate: int = 16000, int_values: bool = False, augmentor: Optional[Any] = None) -> None:
        self.sample_rate = int(sample_rate)
        self.int_values = int_values
        self.augmentor = augmentor

    def process(
        self,
        file_path: str,
        offset: float = 0.0,
        duration: float = 0.0,
        trim: bool = False,
        orig_sr: Optional[int] = None,
    ) -> torch.Tensor:
        """Samples of ``file_path`` (``duration`` seconds from ``offset``; 0 reads to the end) as a float32 tensor."""
        segment = AudioSegment.from_file(
            file_path,
            target_sr=self.sample_rate,
            int_values=self.int_values,
            offset=offset,
            duration=duration,
            trim=trim,
            orig_sr=orig_sr,
        )
        return self.process_segment(segment)

    def process_segment(self, audio_segment: AudioSegment) -> torch.Tensor:
        if self.augmentor is not None:
            self.augmentor.perturb(audio_segment)
        return torch.tensor(audio_segment.samples, dtype=torch.float32)

    @classmethod
    def from_config(cls, input_config: dict, perturbation_configs: Optional[Any] = None) -> "WaveformFeaturizer":
        """NeMo's constructor from a featurizer dict (``sample_rate``, ``int_values``); perturbations are not built."""
        if perturbation_configs:
            raise ValueError(
                "WaveformFeaturizer.from_config: perturbation configs are not supported; pass an augmentor"
            )
        return cls(sample_rate=input_config.get("sample_rate", 16000), int_values=input_config.get("int_values", False))
