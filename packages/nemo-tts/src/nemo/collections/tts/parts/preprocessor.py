"""NVIDIA NeMo's ``AudioToMelSpectrogramPreprocessor`` arguments over the TTS ``FilterbankFeatures``.

NeMo's FastPitch configs and archives name the ASR class ``nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor``
as their ``preprocessor``; this collection may not import nemo-asr. That path is also a real class of nemo-asr, so it
is not put in the process-wide rename table (an ASR model's config would then build this TTS front end whenever
nemo-tts is imported): the TTS models that read NeMo's configs map it here themselves (``NEMO_PREPROCESSOR_PATHS``).
The state-dict entries are NeMo's (``featurizer.window``, ``featurizer.fb``).
"""

from typing import Any, Dict, Tuple

import torch

from nemo.collections.tts.parts.filterbank import FilterbankFeatures
from nemo.core.classes.module import NeuralModule

__all__ = ["AudioToMelSpectrogramPreprocessor", "NEMO_PREPROCESSOR_PATHS"]

# NeMo's class path -> ours, for the TTS models' ``preprocessor`` nodes
NEMO_PREPROCESSOR_PATHS = {
    "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor": f"{__name__}.AudioToMelSpectrogramPreprocessor",
    "nemo.collections.asr.modules.audio_preprocessing.AudioToMelSpectrogramPreprocessor": (
        f"{__name__}.AudioToMelSpectrogramPreprocessor"
    ),
}


_DEFAULT_SECONDS = {"window_size": 0.02, "window_stride": 0.01}  # NeMo's, when neither form is given


def _in_samples(settings: Dict[str, Any], name: str, sample_rate: int) -> int:
    """``n_<name>`` (samples) or ``<name>`` (seconds) popped from ``settings``; giving both is an error."""
    seconds, samples = settings.pop(name, _DEFAULT_SECONDS[name]), settings.pop(f"n_{name}", None)
    if seconds and samples:
        raise ValueError(f"AudioToMelSpectrogramPreprocessor: give `{name}` or `n_{name}`, not both")
    return int(samples) if samples else int(seconds * sample_rate)


class AudioToMelSpectrogramPreprocessor(NeuralModule):
    """``(input_signal [B, T], length [B]) -> (log_mel [B, features, frames], frames [B])`` with NeMo's arguments.

    Window and hop are given in samples (``n_window_size``, ``n_window_stride``) or seconds (``window_size``,
    ``window_stride``), not both; ``features`` is ``FilterbankFeatures``' ``nfilt``, the other arguments are its own
    (``use_torchaudio``, which NeMo ignores, is accepted).
    """

    def __init__(self, sample_rate: int = 16000, features: int = 64, **settings: Any) -> None:
        super().__init__()
        settings.pop("use_torchaudio", None)
        window, hop = (_in_samples(settings, name, sample_rate) for name in ("window_size", "window_stride"))
        self.featurizer = FilterbankFeatures(
            sample_rate=sample_rate, n_window_size=window, n_window_stride=hop, nfilt=features, **settings
        )
        self.sample_rate = sample_rate

    def forward(self, input_signal: torch.Tensor, length: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.featurizer(input_signal.float(), length)
