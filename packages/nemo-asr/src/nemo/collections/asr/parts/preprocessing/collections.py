"""Validated, filtered lists of manifest samples that the ASR datasets index into.

Every line is checked when the collection is built: JSON and keys, the audio file (exists and has a readable
header), the transcript (non-empty after parsing, only label characters) or the class label. A bad line raises a
``ManifestError`` naming the manifest and line, or with ``skip_bad_samples=True`` is skipped and counted in a single
warning. Duration filters (``min_duration``/``max_duration``) and ``max_utts`` are not errors.
"""

import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Union

from nemo.collections.asr.parts.preprocessing.manifest import (
    BadSampleTracker,
    ManifestEntry,
    ManifestError,
    item_iter,
)
from nemo.utils import logging

__all__ = ["AudioTextSample", "ASRAudioText", "SpeechLabelSample", "ASRSpeechLabel"]


@dataclass(frozen=True)
class AudioTextSample:
    entry: ManifestEntry
    text_tokens: List[int]


@dataclass(frozen=True)
class SpeechLabelSample:
    entry: ManifestEntry
    label_id: int


def _audio_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be used as audio, or None when soundfile can read its header."""
    import soundfile

    if not os.path.isfile(path):
        return "missing audio file"
    try:
        info = soundfile.info(path)
    except (RuntimeError, soundfile.LibsndfileError, OSError):
        return "unreadable audio file"
    return None if info.frames >= 0 else "unreadable audio file"


def _collect(
    manifest_filepath: Union[str, Sequence[str]],
    make_sample: Callable[[ManifestEntry], object],
    min_duration: Optional[float],
    max_duration: Optional[float],
    max_number: int,
    skip_bad_samples: bool,
    what: str,
) -> List[object]:
    """Shared loop: parse, filter, validate audio, convert with ``make_sample`` (which raises ``ManifestError``)."""
    tracker = BadSampleTracker(skip_bad_samples, f"{what} {manifest_filepath}")
    samples: List[object] = []
    filtered, filtered_seconds, total_seconds = 0, 0.0, 0.0
    for entry in item_iter(manifest_filepath):
        if isinstance(entry, ManifestError):
            tracker.reject(entry)
            continue
        if (min_duration is not None and entry.duration < min_duration) or (
            max_duration is not None and entry.duration > max_duration
        ):
            filtered += 1
            filtered_seconds += entry.duration
            continue
        problem = _audio_problem(entry.audio_file)
        if problem is not None:
            tracker.reject(ManifestError(f"{entry.location}: {problem} {entry.audio_file!r}", problem))
            continue
        try:
            sample = make_sample(entry)
        except ManifestError as err:
            tracker.reject(err)
            continue
        samples.append(sample)
        total_seconds += entry.duration
        if max_number and len(samples) >= max_number:
            break
    tracker.warn()
    if filtered:
        logging.info(f"{what}: {filtered} sample(s) ({filtered_seconds:.1f} s) outside the duration limits")
    logging.info(
        f"{what}: loaded {len(samples)} sample(s) totalling {total_seconds / 3600:.2f} h ({total_seconds:.1f} s)"
    )
    return samples


class ASRAudioText(list):
    """``AudioTextSample``s of the manifests, transcripts tokenized by ``parser`` (text → ids, or None)."""

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        parser: Callable[[str], Optional[List[int]]],
        min_duration: Optional[float] = None,
        max_duration: Optional[float] = None,
        max_number: int = 0,
        skip_bad_samples: bool = False,
    ) -> None:
        def make_sample(entry: ManifestEntry) -> AudioTextSample:
            if entry.text is None:
                raise ManifestError(
                    f"{entry.location}: missing transcript (one of 'text', 'normalized_text', 'text_filepath')",
                    "missing transcript",
                )
            try:
                tokens = parser(entry.text)
            except ValueError as err:
                raise ManifestError(f"{entry.location}: {err}", "out-of-vocabulary transcript") from err
            if not tokens:
                raise ManifestError(
                    f"{entry.location}: empty transcript (text {entry.text!r} gives no tokens)", "empty transcript"
                )
            return AudioTextSample(entry, list(tokens))

        super().__init__(
            _collect(
                manifest_filepath, make_sample, min_duration, max_duration, max_number, skip_bad_samples, "ASR manifest"
            )
        )


class ASRSpeechLabel(list):
    """``SpeechLabelSample``s of the manifests; each ``label`` must be one of ``labels``."""

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        labels: Sequence[str],
        min_duration: Optional[float] = None,
        max_duration: Optional[float] = None,
        max_number: int = 0,
        skip_bad_samples: bool = False,
    ) -> None:
        label_to_id: Dict[str, int] = {str(label): idx for idx, label in enumerate(labels)}

        def make_sample(entry: ManifestEntry) -> SpeechLabelSample:
            if entry.label is None:
                raise ManifestError(f"{entry.location}: missing required key 'label'", "missing label")
            if entry.label not in label_to_id:
                raise ManifestError(
                    f"{entry.location}: label {entry.label!r} is not one of {list(labels)}", "unknown label"
                )
            return SpeechLabelSample(entry, label_to_id[entry.label])

        super().__init__(
            _collect(
                manifest_filepath,
                make_sample,
                min_duration,
                max_duration,
                max_number,
                skip_bad_samples,
                "speech-label manifest",
            )
        )
