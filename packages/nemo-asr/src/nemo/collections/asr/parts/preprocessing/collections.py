"""Validated, filtered lists of manifest samples that the ASR datasets index into.

Manifests are read by nemo-core's one reader (``nemo.collections.common.data.manifest.read_manifest``). Every line is
checked when the collection is built: JSON and keys, the audio file (exists and has a readable header), the
transcript (non-empty after parsing, only label characters) or the class label. A bad line raises a
``ManifestError`` naming ``<manifest>:<line>``, or with ``skip_bad_samples=True`` is skipped and counted in a single
warning. Duration filters (``min_duration``/``max_duration``) and ``max_utts`` are not errors; a collection with no
sample left is (naming the manifests and why nothing is left).
"""

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from nemo.collections.common.data.manifest import ManifestEntry, read_manifest

__all__ = ["AudioTextSample", "ASRAudioText", "SpeechLabelSample", "ASRSpeechLabel"]


@dataclass(frozen=True)
class AudioTextSample:
    entry: ManifestEntry
    text_tokens: List[int]


@dataclass(frozen=True)
class SpeechLabelSample:
    entry: ManifestEntry
    label_id: int


def _collect(
    manifest_filepath: Union[str, Sequence[str]],
    make_sample: Callable[[ManifestEntry], object],
    what: str,
    skip_bad_samples: bool,
    **options: Any,
) -> List[object]:
    """Parse, filter (``options``: durations, ``max_number``, ``need_text``), check the audio headers and convert with
    ``make_sample`` (which raises ``ManifestError``); each sample keeps only its parsed entry."""
    return read_manifest(
        manifest_filepath,
        check_audio=True,
        convert=make_sample,
        skip_bad_lines=skip_bad_samples,
        what=what,
        keep_fields=False,
        **options,
    )


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
            try:
                tokens = parser(entry.text)
            except ValueError as err:
                raise entry.error(str(err), "out-of-vocabulary transcript") from err
            if not tokens:
                raise entry.error(
                    f"empty transcript: expected at least one token, got none from text {entry.text!r}",
                    "empty transcript",
                )
            return AudioTextSample(entry, list(tokens))

        limits = dict(min_duration=min_duration, max_duration=max_duration, max_number=max_number)
        super().__init__(
            _collect(manifest_filepath, make_sample, "ASR manifest", skip_bad_samples, need_text=True, **limits)
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
                raise entry.error(f"missing key 'label': expected one of {list(labels)}", "missing label")
            if entry.label not in label_to_id:
                raise entry.error(f"label {entry.label!r} is not one of {list(labels)}", "unknown label")
            return SpeechLabelSample(entry, label_to_id[entry.label])

        limits = dict(min_duration=min_duration, max_duration=max_duration, max_number=max_number)
        super().__init__(_collect(manifest_filepath, make_sample, "speech-label manifest", skip_bad_samples, **limits))
