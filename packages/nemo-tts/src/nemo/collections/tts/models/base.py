"""Abstract bases of TTS models: what a spectrogram generator, a vocoder and a text-to-waveform model must offer.

Inference code composes models through these interfaces only (``parse`` -> ``generate_spectrogram`` ->
``convert_spectrogram_to_audio``), so any generator pairs with any vocoder of the same mel settings. Each base's
``list_available_models`` gathers the pretrained checkpoints of all its subclasses, so
``SpectrogramGenerator.from_pretrained("tts_en_fastpitch")`` builds a ``FastPitchModel``.
"""

from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

import torch

from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.modelPT import ModelPT
from nemo.utils.model_utils import resolve_subclass_pretrained_model_info

__all__ = [
    "SpectrogramGenerator",
    "Vocoder",
    "GlowVocoder",
    "LinVocoder",
    "MelToSpec",
    "TextToWaveform",
    "ngc_model",
]

_NGC_ROOT = "https://api.ngc.nvidia.com/v2/models/nvidia/nemo"


def ngc_model(
    name: str,
    version: str,
    description: str,
    file_name: Optional[str] = None,
    aliases: Optional[List[str]] = None,
) -> PretrainedModelInfo:
    """A ``PretrainedModelInfo`` for checkpoint ``name`` published in NGC's ``nvidia/nemo`` team at ``version``."""
    return PretrainedModelInfo(
        pretrained_model_name=name,
        description=description,
        location=f"{_NGC_ROOT}/{name}/versions/{version}/files/{file_name or name + '.nemo'}",
        aliases=aliases,
    )


class _ListsSubclassModels:
    """``list_available_models`` of a base: the checkpoints of every subclass, each tagged with its class."""

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """Pretrained checkpoints of every subclass (each entry's ``class_`` is the subclass that restores it)."""
        return resolve_subclass_pretrained_model_info(cls)


class SpectrogramGenerator(_ListsSubclassModels, ModelPT, ABC):
    """Text to mel spectrogram (FastPitch, Tacotron 2, ...)."""

    @abstractmethod
    def parse(self, str_input: str, **kwargs: Any) -> torch.Tensor:
        """Token ids ``[1, T]`` (long, on the model's device) of ``str_input``, normalized and tokenized."""

    @abstractmethod
    def generate_spectrogram(self, tokens: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Log-mel spectrograms ``[B, n_mels, T_frames]`` of a batch of token ids ``[B, T]``."""


class Vocoder(_ListsSubclassModels, ModelPT, ABC):
    """Mel spectrogram to waveform (HiFi-GAN, Griffin-Lim, ...)."""

    @abstractmethod
    def convert_spectrogram_to_audio(self, spec: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Waveforms ``[B, T_audio]`` of log-mel spectrograms ``[B, n_mels, T_frames]``."""


class GlowVocoder(Vocoder):
    """A flow-based vocoder (WaveGlow family): inference runs the flow backwards at a sampling temperature ``sigma``.

    ``mode`` is ``"train"`` or ``"infer"``; ``temp_mode`` remembers it while ``nemo_infer()`` is active.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mode = "train"
        self._temp_mode = "train"

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in ("train", "infer"):
            raise ValueError(f"{type(self).__name__}.mode must be 'train' or 'infer', got {value!r}")
        self._mode = value

    @property
    def temp_mode(self) -> str:
        return self._temp_mode

    @contextmanager
    def nemo_infer(self) -> Iterator[None]:
        """Switch to inference mode (eval, flow reversed) for the ``with`` block, then restore the previous mode."""
        self._temp_mode, self.mode = self.mode, "infer"
        training = self.training
        self.eval()
        try:
            yield
        finally:
            self.mode = self._temp_mode
            self.train(training)

    def denoise(self, audio: torch.Tensor, strength: float = 0.01) -> torch.Tensor:
        """Subtract ``strength`` times the model's bias spectrum (its output for a silent input) from ``audio``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement denoise")


class LinVocoder(_ListsSubclassModels, ModelPT, ABC):
    """Linear (magnitude) spectrogram to waveform."""

    @abstractmethod
    def convert_linear_spectrogram_to_audio(self, spec: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Waveforms ``[B, T_audio]`` of linear magnitude spectrograms ``[B, n_fft // 2 + 1, T_frames]``."""


class MelToSpec(_ListsSubclassModels, ModelPT, ABC):
    """Mel spectrogram to linear spectrogram (the first stage of a two-stage vocoder)."""

    @abstractmethod
    def convert_mel_spectrogram_to_linear(self, mel: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Linear magnitude spectrograms ``[B, n_fft // 2 + 1, T]`` of log-mel spectrograms ``[B, n_mels, T]``."""


class TextToWaveform(_ListsSubclassModels, ModelPT, ABC):
    """Text straight to waveform (end-to-end models and generator + vocoder pipelines)."""

    @abstractmethod
    def parse(self, str_input: str, **kwargs: Any) -> torch.Tensor:
        """Token ids ``[1, T]`` of ``str_input``, normalized and tokenized."""

    @abstractmethod
    def convert_text_to_waveform(self, *, tokens: torch.Tensor, **kwargs: Any) -> List[torch.Tensor]:
        """One waveform ``[T_audio_i]`` per row of ``tokens`` ``[B, T]``, each cut to its own length."""
