"""NeMo JSON-lines manifests: the one reader every collection and example uses.

A manifest holds one JSON object per line; blank lines are skipped. The keys read (every other key is kept, as read,
in ``ManifestEntry.fields``):

- ``audio_filepath`` (legacy ``audio_filename``, ``audio_file``): the audio, relative to the manifest's folder unless
  absolute (``~`` is expanded);
- ``duration``: seconds, a number >= 0 (a numeric string is accepted); required unless the reader is told otherwise
  (``duration="optional"``, or ``"from_audio"`` to read it from the file's header when absent);
- ``offset``: seconds into the file where the utterance starts (default 0);
- ``text``, else ``text_filepath`` (a file holding it, relative like the audio), else ``normalized_text``: the
  transcript (NeMo v1's order);
- ``pred_text`` (a transcription, as ``transcribe_speech.py`` writes), ``label`` (a class), ``speaker``,
  ``orig_sample_rate`` (legacy ``orig_sr``).

``manifest_filepath`` may be one path, a comma-separated string of paths or a list of paths. A line that cannot be
used raises a ``ManifestError`` (a ``ValueError``) whose message reads ``<manifest>:<line>: <what>`` and says what
was expected and what was found; ``read_manifest(..., skip_bad_lines=True)`` skips such lines instead and reports
them, counted by reason, in one warning (``BadSampleTracker``). A manifest, or a filtered selection of manifests, with
no entry left is an error too, unless ``allow_empty=True``.
"""

import collections
import dataclasses
import json
import math
import os
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, TypeVar, Union

from nemo.utils import logging

__all__ = [
    "AUDIO_KEYS",
    "BadSampleTracker",
    "ManifestEntry",
    "ManifestError",
    "item_iter",
    "iter_manifest",
    "manifest_paths",
    "parse_line",
    "read_manifest",
    "read_transcripts",
]

ManifestPaths = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]
T = TypeVar("T")

AUDIO_KEYS = ("audio_filepath", "audio_filename", "audio_file")  # the first one present names the audio
_NO_FIELDS: Mapping[str, Any] = types.MappingProxyType({})
_DURATION_MODES = ("required", "optional", "from_audio")


class ManifestError(ValueError):
    """A manifest (or one of its lines) that cannot be used; the message starts with ``<manifest>:<line>:``.

    ``reason`` is a short category ("malformed line", "missing audio file", ...) under which skipped lines are counted.
    """

    def __init__(self, message: str, reason: str = "malformed line") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ManifestEntry:
    """One parsed manifest line; ``audio_file`` is absolute (or as given, when the manifest's path was relative)."""

    manifest: str
    line: int
    audio_file: str
    duration: Optional[float] = None
    offset: float = 0.0
    text: Optional[str] = None
    pred_text: Optional[str] = None
    label: Optional[str] = None
    speaker: Optional[Any] = None
    orig_sr: Optional[int] = None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def location(self) -> str:
        """``<manifest>:<line>``, the prefix of every error about this entry."""
        return f"{self.manifest}:{self.line}"

    def as_record(self) -> Dict[str, Any]:
        """The line's fields as read, with ``audio_filepath`` set to the resolved ``audio_file``."""
        return {**self.fields, "audio_filepath": self.audio_file}

    def error(self, what: str, reason: str = "malformed line") -> ManifestError:
        """A ``ManifestError`` about this entry: ``<manifest>:<line>: <what>``."""
        return ManifestError(f"{self.location}: {what}", reason)


def manifest_paths(manifest_filepath: ManifestPaths, key: str = "manifest_filepath") -> List[str]:
    """The manifest files named by one path, a comma-separated string or a list (``~`` expanded); each must exist.

    ``key`` is the config key the value came from, named in the errors.
    """
    if manifest_filepath is None:
        raise ManifestError(f"{key} is None: expected a manifest path, comma-separated paths or a list of paths")
    if isinstance(manifest_filepath, (str, os.PathLike)):
        parts = os.fspath(manifest_filepath).split(",")
    else:
        parts = [os.fspath(p) for p in manifest_filepath]
    paths = [os.path.expanduser(p.strip()) for p in parts if p.strip()]
    if not paths:
        raise ManifestError(f"{key}={manifest_filepath!r} names no manifest file: expected at least one path")
    for path in paths:
        if path == "???":
            raise ManifestError(f"{key} is '???' (a mandatory value that was never set): expected a manifest path")
        if not os.path.isfile(path):
            what = "is a directory" if os.path.isdir(path) else "does not exist"
            raise FileNotFoundError(f"manifest file {path!r} {what} (from {key}={manifest_filepath!r})")
    return paths


def _snippet(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _seconds(item: Mapping[str, Any], key: str, location: str) -> Optional[float]:
    """``item[key]`` as seconds (None when absent or null)."""
    value = item.get(key)
    if value is None:
        return None
    number = None
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise ManifestError(f"{location}: {key!r} must be a finite number of seconds >= 0, got {value!r}")
    return number


def _resolve(path: str, manifest: str) -> str:
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.join(os.path.dirname(os.path.abspath(manifest)), path)


def _string(item: Mapping[str, Any], key: str, location: str) -> Optional[str]:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{location}: {key!r} must be a string, got {value!r}")
    return value


def _text(item: Mapping[str, Any], manifest: str, location: str) -> Optional[str]:
    text = _string(item, "text", location)
    if text is not None:
        return text
    text_path = _string(item, "text_filepath", location)
    if text_path:
        text_path = _resolve(text_path, manifest)
        try:
            with open(text_path, encoding="utf-8") as handle:
                return handle.read().replace("\n", " ")
        except OSError as err:
            raise ManifestError(f"{location}: cannot read 'text_filepath' {text_path!r}: {err.strerror or err}") from err
    return _string(item, "normalized_text", location)


def _audio_path(item: Mapping[str, Any], manifest: str, location: str) -> str:
    key = next((k for k in AUDIO_KEYS if k in item), None)
    if key is None:
        raise ManifestError(
            f"{location}: missing key 'audio_filepath': expected a non-empty string path, got a line with keys "
            f"{sorted(item)}"
        )
    audio = item[key]
    if not isinstance(audio, str) or not audio.strip():
        raise ManifestError(f"{location}: {key!r} must be a non-empty string path, got {audio!r}")
    return _resolve(audio, manifest)


def parse_line(
    line: str, manifest: str, line_no: int, duration: str = "required", keep_fields: bool = True
) -> ManifestEntry:
    """One non-blank manifest line as a ``ManifestEntry`` (raises ``ManifestError``).

    ``duration``: ``"required"`` (a line without it is an error), ``"optional"`` or ``"from_audio"`` (None when
    absent; ``read_manifest`` then reads the file's header). ``keep_fields=False`` leaves ``fields`` empty (a dataset
    of millions of lines need not hold every parsed line).
    """
    if duration not in _DURATION_MODES:
        raise ValueError(f"duration must be one of {_DURATION_MODES}, got {duration!r}")
    location = f"{manifest}:{line_no}"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise ManifestError(
            f"{location}: not valid JSON ({err.msg} at column {err.colno}): expected one JSON object per line, got "
            f"{_snippet(line)}"
        ) from None
    if not isinstance(item, dict):
        raise ManifestError(f"{location}: expected a JSON object, got {type(item).__name__} {_snippet(item)}")
    audio_file = _audio_path(item, manifest, location)
    seconds = _seconds(item, "duration", location)
    if seconds is None and duration == "required":
        raise ManifestError(
            f"{location}: missing key 'duration': expected a number of seconds >= 0, got a line with keys {sorted(item)}"
        )
    orig_sr = item.get("orig_sample_rate", item.get("orig_sr"))
    if orig_sr is not None and (isinstance(orig_sr, bool) or not isinstance(orig_sr, int) or orig_sr <= 0):
        raise ManifestError(f"{location}: 'orig_sample_rate' must be a positive integer (Hz), got {orig_sr!r}")
    label = item.get("label")
    return ManifestEntry(
        manifest=manifest,
        line=line_no,
        audio_file=audio_file,
        duration=seconds,
        offset=_seconds(item, "offset", location) or 0.0,
        text=_text(item, manifest, location),
        pred_text=_string(item, "pred_text", location),
        label=None if label is None else str(label),
        speaker=item.get("speaker"),
        orig_sr=orig_sr,
        fields=item if keep_fields else _NO_FIELDS,
    )


def iter_manifest(
    manifest_filepath: ManifestPaths, duration: str = "required", key: str = "manifest_filepath", keep_fields: bool = True
) -> Iterator[Union[ManifestEntry, ManifestError]]:
    """Every non-blank line of the manifests as a ``ManifestEntry``, or the ``ManifestError`` it raised (so the caller
    decides whether to stop or skip). ``duration`` and ``keep_fields`` as in ``parse_line``; ``key`` names the config
    key in errors."""
    for manifest in manifest_paths(manifest_filepath, key):
        with open(manifest, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield parse_line(line, manifest, line_no, duration, keep_fields)
                except ManifestError as err:
                    yield err


item_iter = iter_manifest  # the name nemo-asr (and NeMo v1's common/parts/preprocessing/manifest.py) used


class BadSampleTracker:
    """Raises on the first bad line, or (``skip=True``) counts skipped ones by reason and reports them in one warning."""

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

    def summary(self) -> str:
        return ", ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))

    def warn(self) -> None:
        if not self.count:
            return
        logging.warning(
            f"{self.what}: skipped {self.count} bad sample(s) (skip_bad_samples=True): {self.summary()}. "
            f"First: {' | '.join(self.examples)}"
        )


def _header_of(entry: ManifestEntry) -> Any:
    """The ``AudioInfo`` of the entry's audio; a ``ManifestError`` naming the line, the file and the reason if none."""
    from nemo.collections.common.data.audio import AudioReadError, audio_info

    try:
        return audio_info(entry.audio_file)
    except AudioReadError as err:
        category = "missing audio file" if err.kind == "missing" else "unreadable audio file"
        raise entry.error(f"{category} {entry.audio_file!r}: {err.reason or err}", category) from None


def read_manifest(
    manifest_filepath: ManifestPaths,
    *,
    duration: str = "required",
    need_text: bool = False,
    check_audio: bool = False,
    min_duration: Optional[float] = None,
    max_duration: Optional[float] = None,
    max_number: int = 0,
    convert: Optional[Callable[[ManifestEntry], T]] = None,
    skip_bad_lines: bool = False,
    allow_empty: bool = False,
    what: str = "manifest",
    key: str = "manifest_filepath",
    keep_fields: bool = True,
) -> List[Union[ManifestEntry, T]]:
    """The usable entries of the manifests, in order.

    Each line is parsed (``duration`` as in ``parse_line``; with ``"from_audio"`` a missing duration is read from the
    file's header), kept only within ``[min_duration, max_duration]`` seconds (not an error), checked (``need_text``:
    a transcript; ``check_audio``: the file exists and its header is readable) and passed through ``convert`` (which
    may raise ``ManifestError``, e.g. for a transcript that cannot be tokenized); ``max_number`` > 0 stops after that
    many entries. A bad line raises its ``ManifestError``, or with ``skip_bad_lines`` is skipped and counted in one
    warning. No entry left raises a ``ManifestError`` that says why (empty files, duration limits, bad lines) unless
    ``allow_empty``. ``what`` names the reader in messages (``"ASR manifest"``); ``key`` the config key;
    ``keep_fields=False`` drops each line's raw ``fields`` (datasets keep only what they use).
    """
    tracker = BadSampleTracker(skip_bad_lines, f"{what} {manifest_filepath}")
    entries: List[Any] = []
    lines = filtered = 0
    filtered_seconds = total_seconds = 0.0
    needs_header = duration == "from_audio"
    for entry in iter_manifest(manifest_filepath, "optional" if needs_header else duration, key, keep_fields):
        lines += 1
        try:
            if isinstance(entry, ManifestError):
                raise entry
            header_read = needs_header and entry.duration is None
            if header_read:  # the duration filter needs it
                entry = dataclasses.replace(entry, duration=max(_header_of(entry).duration - entry.offset, 0.0))
            seconds = entry.duration
            if seconds is not None and (
                (min_duration is not None and seconds < min_duration)
                or (max_duration is not None and seconds > max_duration)
            ):
                filtered += 1
                filtered_seconds += seconds
                continue
            if check_audio and not header_read:
                _header_of(entry)
            if need_text and entry.text is None:
                raise entry.error(
                    "missing transcript: expected one of 'text', 'text_filepath', 'normalized_text', got none of them",
                    "missing transcript",
                )
            entries.append(entry if convert is None else convert(entry))
        except ManifestError as err:
            tracker.reject(err)
            continue
        total_seconds += seconds or 0.0
        if max_number and len(entries) >= max_number:
            break
    tracker.warn()
    if filtered:
        logging.info(
            f"{what}: {filtered} entr{'y' if filtered == 1 else 'ies'} ({filtered_seconds:.1f} s) outside the duration "
            f"limits [{min_duration}, {max_duration}] s"
        )
    if not entries and not allow_empty:
        paths = manifest_paths(manifest_filepath, key)
        named = paths[0] if len(paths) == 1 else paths
        if not lines:
            problem = "no lines (the manifest is empty)" if len(paths) == 1 else "no lines (the manifests are empty)"
        else:
            causes = [f"{lines} line(s) read"]
            if filtered:
                causes.append(f"{filtered} outside the duration limits [{min_duration}, {max_duration}] s")
            if tracker.count:
                causes.append(f"{tracker.count} bad line(s) skipped: {tracker.summary()}")
            problem = "no usable entry (" + "; ".join(causes) + ")"
        raise ManifestError(f"{what} {named}: {problem}; expected at least one entry", "empty")
    if entries and total_seconds:
        logging.info(f"{what}: {len(entries)} entries totalling {total_seconds / 3600:.2f} h ({total_seconds:.1f} s)")
    return entries


def read_transcripts(manifest_filepath: ManifestPaths, key: str = "manifest_filepath") -> List[str]:
    """The transcript of every line of the manifests (for tokenizers and language models); the first bad line, or one
    without a transcript, raises a ``ManifestError`` naming it."""
    entries = read_manifest(
        manifest_filepath, duration="optional", need_text=True, what="transcript manifest", key=key, keep_fields=False
    )
    return [entry.text for entry in entries]
