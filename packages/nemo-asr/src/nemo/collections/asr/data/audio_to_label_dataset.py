"""Build ASR label datasets from a data config node.

Keys: ``manifest_filepath`` and ``labels`` (required), ``max_duration``, ``min_duration``, ``trim_silence``,
``max_utts``, ``skip_bad_samples``; speech-label datasets also ``time_length`` (8.0 s), ``random_crop`` (True) and
``normalize_audio`` (False).
"""

from typing import Any, Mapping

from nemo.collections.asr.data.audio_to_label import AudioToClassificationLabelDataset, AudioToSpeechLabelDataset
from nemo.collections.asr.data.audio_to_text_dataset import require_key
from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer

__all__ = ["get_classification_label_dataset", "get_speech_label_dataset"]


def _common_kwargs(config: Mapping[str, Any], what: str) -> dict:
    return dict(
        manifest_filepath=require_key(config, "manifest_filepath", what),
        labels=list(require_key(config, "labels", what)),
        max_duration=config.get("max_duration"),
        min_duration=config.get("min_duration"),
        trim=bool(config.get("trim_silence", False)),
        max_utts=int(config.get("max_utts", 0) or 0),
        skip_bad_samples=bool(config.get("skip_bad_samples", False)),
    )


def get_classification_label_dataset(
    featurizer: WaveformFeaturizer, config: Mapping[str, Any]
) -> AudioToClassificationLabelDataset:
    return AudioToClassificationLabelDataset(
        featurizer=featurizer, **_common_kwargs(config, "get_classification_label_dataset")
    )


def get_speech_label_dataset(featurizer: WaveformFeaturizer, config: Mapping[str, Any]) -> AudioToSpeechLabelDataset:
    return AudioToSpeechLabelDataset(
        featurizer=featurizer,
        time_length=float(config.get("time_length", 8.0)),
        random_crop=bool(config.get("random_crop", True)),
        normalize_audio=bool(config.get("normalize_audio", False)),
        **_common_kwargs(config, "get_speech_label_dataset"),
    )
