"""JSON-lines manifests: one utterance per line, several files joined with commas.

Each line is an object with ``audio_filepath`` (or legacy ``audio_filename``; relative paths are resolved against the
manifest's folder), ``duration`` in seconds, and optionally ``offset``, one of ``text`` / ``normalized_text`` /
``text_filepath``, ``label``, ``speaker`` and ``orig_sample_rate``. Problems are reported as ``ManifestError``s that
name the manifest and the 1-based line number.
"""

import collections
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from nemo.utils import logging

__all__ = ["ManifestEntry", "ManifestError", "BadSampleTracker", "manifest_paths", "item_iter", "read_transcripts"]


class ManifestError(ValueError):
    """A manifest line that cannot be used; the message starts with ``<manifest> line <n>:``.

    ``reason`` is a short category (e.g. "malformed line") used when skipped samples are summarized.
    """

    def __init__(self, message: str, reason: str = "malformed line") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ManifestEntry:
    """One parsed manifest line."""

    manifest: str
    line: int
    audio_file: str
    duration: float
    offset: float = 0.0
    text: Optional[str] = None
    label: Optional[str] = None
    speaker: Optional[Any] = None
    orig_sr: Optional[int] = None

    @property
    def location(self) -> str:
        return f"{self.manifest} line {self.line}"


def manifest_paths(manifest_filepath: Union[str, Sequence[str]]) -> List[str]:
    """The manifest files named by a comma-separated string or a list of paths (``~`` expanded)."""
    if isinstance(manifest_filepath, str):
        parts = manifest_filepath.split(",")
    else:
        parts = [str(p) for p in manifest_filepath]
    paths = [os.path.expanduser(p.strip()) for p in parts if p.strip()]
    if not paths:
        raise ValueError(f"manifest_filepath {manifest_filepath!r} names no manifest file")
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"manifest file {path!r} does not exist")
    return paths


def _number(item: Dict[str, Any], key: str, location: str, default: Optional[float] = None) -> float:
    value = item.get(key)
    if value is None and default is not None:
        return default
    if value is None:
        raise ManifestError(f"{location}: missing required key {key!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ManifestError(f"{location}: {key!r} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ManifestError(f"{location}: {key!r} must be a finite number >= 0, got {value!r}")
    return number


def _resolve(path: str, manifest: str) -> str:
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.join(os.path.dirname(os.path.abspath(manifest)), path)


def _text(item: Dict[str, Any], manifest: str, location: str) -> Optional[str]:
    for key in ("text", "normalized_text"):
        if key in item and item[key] is not None:
            if not isinstance(item[key], str):
                raise ManifestError(f"{location}: {key!r} must be a string, got {item[key]!r}")
            return item[key]
    if item.get("text_filepath"):
        text_path = _resolve(str(item["text_filepath"]), manifest)
        try:
            with open(text_path, encoding="utf-8") as f:
                return f.read().replace("\n", " ")
        except OSError as err:
            raise ManifestError(f"{location}: cannot read text_filepath {text_path!r}: {err}") from err
    return None


def parse_line(line: str, manifest: str, line_no: int) -> ManifestEntry:
    """Parse one non-blank manifest line (raises ``ManifestError``)."""
    location = f"{manifest} line {line_no}"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise ManifestError(
            f"{location}: not valid JSON ({err.msg} at column {err.colno}): {line.strip()[:80]!r}"
        ) from None
    if not isinstance(item, dict):
        raise ManifestError(f"{location}: expected a JSON object, got {type(item).__name__}")
    audio = item.get("audio_filepath", item.get("audio_filename"))
    if not isinstance(audio, str) or not audio:
        raise ManifestError(f"{location}: missing required key 'audio_filepath' (a non-empty string)")
    orig_sr = item.get("orig_sample_rate", item.get("orig_sr"))
    label = item.get("label")
    return ManifestEntry(
        manifest=manifest,
        line=line_no,
        audio_file=_resolve(audio, manifest),
        duration=_number(item, "duration", location),
        offset=_number(item, "offset", location, default=0.0),
        text=_text(item, manifest, location),
        label=None if label is None else str(label),
        speaker=item.get("speaker"),
        orig_sr=None if orig_sr is None else int(orig_sr),
    )


def item_iter(manifest_filepath: Union[str, Sequence[str]]) -> Iterator[Union[ManifestEntry, ManifestError]]:
    """Yield every non-blank line of the manifests as a ``ManifestEntry``, or the ``ManifestError`` it raised (so the
    caller decides whether to stop or skip)."""
    for manifest in manifest_paths(manifest_filepath):
        with open(manifest, encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield parse_line(line, manifest, line_no)
                except ManifestError as err:
                    yield err


def read_transcripts(manifest_filepath: Union[str, Sequence[str]]) -> List[str]:
    """The ``text`` of every line of the manifests (for tokenizers and language models); the first bad line, or one
    without a transcript, raises ``ManifestError`` naming it."""
    texts = []
    for entry in item_iter(manifest_filepath):
        if isinstance(entry, ManifestError):
            raise entry
        if entry.text is None:
            raise ManifestError(f"{entry.location}: no 'text' (a transcript is needed)", reason="missing text")
        texts.append(entry.text)
    if not texts:
        raise ManifestError(f"no transcripts in {manifest_filepath!r}", reason="empty")
    return texts


class BadSampleTracker:
    """Raises on the first bad sample, or (``skip=True``) counts skipped ones and reports them in one warning."""

    def __init__(self, skip: bool, what: str) -> None:
        self.skip = skip
        self.what = what
        self.reasons: collections.Counter = collections.Counter()
        self.examples: List[str] = []

    def reject(self, error: ManifestError) -> None:
        """Raise ``error``, or (when skipping) count it under its ``reason``."""
        if not self.skip:
            raise error
        self.reasons[error.reason] += 1
        if len(self.examples) < 3:
            self.examples.append(str(error))

    @property
    def count(self) -> int:
        return sum(self.reasons.values())

    def warn(self) -> None:
        if not self.count:
            return
        summary = ", ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))
        logging.warning(
            f"{self.what}: skipped {self.count} bad sample(s) (skip_bad_samples=True): {summary}. "
            f"First: {' | '.join(self.examples)}"
        )
