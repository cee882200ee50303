"""``TTSDataset``: (audio, text) pairs from NeMo JSON-lines manifests, with cached log-mel and pitch targets.

A manifest line is ``{"audio_filepath": ..., "duration": ..., "text": ..., "speaker": ...}`` (``audio_filepath``
absolute or relative to the manifest's folder; ``duration`` (else read from the file's header) and ``speaker``
optional), read by nemo-core's one manifest reader. Texts are tokenized and audio headers checked when the dataset
is built, so a bad line fails at once as ``<manifest>:<line>: <what>``, and so does a manifest with no utterance
left. Audio is loaded by nemo-core's one loader (soxr resampling; ``trim`` at ``trim_top_db``, 60 dB by default).
Supplementary data (``log_mel``, ``pitch``) is computed per utterance on first use and, with ``sup_data_path``,
cached as ``.npy`` files keyed by a hash of the audio file (path, size, mtime) and every setting that shapes it.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from nemo.collections.common.data.audio import (
    DEFAULT_TRIM_TOP_DB,
    TRIM_FRAME_LENGTH,
    TRIM_HOP_LENGTH,
    AudioReadError,
    load_audio,
)
from nemo.collections.common.data.manifest import ManifestEntry, manifest_paths, read_manifest
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.collections.tts.parts.pitch import estimate_pitch
from nemo.core.classes.dataset import Dataset

__all__ = ["TTSDataset", "TTSEntry", "SUP_DATA_TYPES", "BATCH_KEYS", "compute_pitch_stats", "build_text_tokenizer"]

SUP_DATA_TYPES = ("log_mel", "pitch", "speaker_id")
BATCH_KEYS = ("audio", "audio_lens", "text", "text_lens", "log_mel", "log_mel_lens", "pitch", "speaker")


@dataclass(frozen=True)
class TTSEntry:
    """One usable manifest line."""

    audio_filepath: str
    text: str
    tokens: Tuple[int, ...]
    duration: float
    speaker: Optional[Union[str, int]]
    origin: str  # "<manifest>:<line>", for error messages


def build_text_tokenizer(text_tokenizer: Any) -> Any:
    """A tokenizer object from an instance, a ``_target_`` config node, or None (English characters)."""
    if text_tokenizer is None:
        from nemo.collections.tts.parts.text.tokenizers import EnglishCharsTokenizer

        return EnglishCharsTokenizer()
    if isinstance(text_tokenizer, Mapping) or hasattr(text_tokenizer, "_target_"):
        from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
        from nemo.collections.tts.parts.text.tokenizers import BaseTokenizer
        from nemo.core.classes.construction import build_from_config

        return build_from_config(text_tokenizer, (BaseTokenizer, TokenizerSpec), "text_tokenizer")
    if not callable(getattr(text_tokenizer, "encode", None)):
        raise TypeError(f"text_tokenizer must have an encode(text) method, got {type(text_tokenizer).__name__}")
    return text_tokenizer


def _write_atomic(path: str, array: np.ndarray) -> None:
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, suffix=".npy.tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, array)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class TTSDataset(Dataset):
    """Items are dicts with ``audio``, ``text`` and, as requested by ``sup_data_types``, ``log_mel`` ``[n_mels, T]``,
    ``pitch`` ``[T]`` (Hz, 0 = unvoiced, same frames as the mel) and ``speaker`` (an int id). ``collate_fn`` pads them
    into a dict with the keys ``BATCH_KEYS`` (absent data as None)."""

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        sample_rate: int = 22050,
        text_tokenizer: Any = None,
        sup_data_path: Optional[str] = None,
        sup_data_types: Optional[Sequence[str]] = ("log_mel", "pitch"),
        n_fft: int = 1024,
        win_length: Optional[int] = 1024,
        hop_length: int = 256,
        n_mels: int = 80,
        fmin: float = 0.0,
        fmax: Optional[float] = 8000.0,
        pitch_fmin: float = 65.0,
        pitch_fmax: float = 1000.0,
        min_duration: Optional[float] = None,
        max_duration: Optional[float] = None,
        trim: bool = False,
        trim_top_db: float = DEFAULT_TRIM_TOP_DB,
        speakers: Optional[Sequence[Union[str, int]]] = None,
    ) -> None:
        super().__init__()
        sup_data_types = list(sup_data_types or [])
        unknown = [t for t in sup_data_types if t not in SUP_DATA_TYPES]
        if unknown:
            raise ValueError(
                f"TTSDataset: unknown sup_data_types {unknown}; expected a subset of {list(SUP_DATA_TYPES)}"
            )
        if pitch_fmin <= 0 or pitch_fmax <= pitch_fmin:
            raise ValueError(f"TTSDataset: need 0 < pitch_fmin < pitch_fmax, got {pitch_fmin}, {pitch_fmax}")
        self.sample_rate = int(sample_rate)
        self.sup_data_types = sup_data_types
        self.sup_data_path = sup_data_path
        self.text_tokenizer = build_text_tokenizer(text_tokenizer)
        self.pad_id = int(getattr(self.text_tokenizer, "pad", 0))
        self.mel = MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, win_length=win_length, hop_length=hop_length, n_mels=n_mels,
            fmin=fmin, fmax=fmax,
        )  # fmt: skip
        self.pitch_fmin, self.pitch_fmax = float(pitch_fmin), float(pitch_fmax)
        self.trim, self.trim_top_db = bool(trim), float(trim_top_db)
        self.manifest_paths = manifest_paths(manifest_filepath)
        self.entries: List[TTSEntry] = read_manifest(
            self.manifest_paths,
            duration="from_audio",
            need_text=True,
            check_audio=True,
            min_duration=min_duration,
            max_duration=max_duration,
            convert=self._make_entry,
            what="TTSDataset",
            keep_fields=False,
        )
        if speakers is None:
            names = {e.speaker for e in self.entries if e.speaker is not None}
            speakers = sorted(names, key=lambda s: (isinstance(s, str), s))
        self.speakers = list(speakers)
        self.speaker_to_id = {name: idx for idx, name in enumerate(self.speakers)}

    # ---------------------------------------------------------------------------------------------------- manifest
    def _make_entry(self, entry: ManifestEntry) -> TTSEntry:
        """A ``TTSEntry`` of a parsed manifest line: its text tokenized (``ManifestError`` when it cannot be)."""
        try:
            tokens = tuple(int(t) for t in self.text_tokenizer.encode(entry.text))
        except ValueError as err:
            raise entry.error(f"text cannot be tokenized: {err}", "untokenizable text") from err
        if not tokens:
            raise entry.error(
                f"text {entry.text!r} has no speakable tokens: expected at least one token", "empty transcript"
            )
        return TTSEntry(entry.audio_file, entry.text, tokens, float(entry.duration), entry.speaker, entry.location)

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------------------------------------- features
    def load_audio(self, index: int) -> np.ndarray:
        """Mono float32 samples of entry ``index`` at ``sample_rate`` (trimmed when ``trim``), by nemo-core's loader."""
        entry = self.entries[index]
        try:
            audio = load_audio(entry.audio_filepath, self.sample_rate, self.trim, self.trim_top_db)
        except AudioReadError as err:
            raise err.with_context(entry.origin) from err
        if audio.size == 0:
            trimmed = f" after trimming at {self.trim_top_db} dB" if self.trim else ""
            raise ValueError(f"{entry.origin}: audio file {entry.audio_filepath!r} has no samples{trimmed}")
        return audio

    def _settings(self, kind: str) -> Dict[str, Any]:
        mel = self.mel
        settings = {"kind": kind, "sr": self.sample_rate, "trim": self.trim, "top_db": self.trim_top_db,
                    "n_fft": mel.n_fft, "win": mel.win_length, "hop": mel.hop_length}  # fmt: skip
        if self.trim:  # the trim rule's frames (1024/256 before the loaders were unified)
            settings["trim_frames"] = [TRIM_FRAME_LENGTH, TRIM_HOP_LENGTH]
        if kind == "log_mel":
            settings.update(n_mels=mel.n_mels, fmin=mel.fmin, fmax=mel.fmax, power=mel.mag_power)
        else:
            settings.update(fmin=self.pitch_fmin, fmax=self.pitch_fmax, tracker="yin+periodicity-0.8")
        return settings

    def _cache_path(self, index: int, kind: str) -> Optional[str]:
        if self.sup_data_path is None:
            return None
        path = self.entries[index].audio_filepath
        stat = os.stat(path)
        key = json.dumps([os.path.abspath(path), stat.st_size, stat.st_mtime_ns, self._settings(kind)], sort_keys=True)
        digest = hashlib.sha1(key.encode()).hexdigest()
        return os.path.join(self.sup_data_path, kind, f"{digest}.npy")

    def _compute(self, kind: str, audio: np.ndarray) -> np.ndarray:
        if kind == "log_mel":
            with torch.no_grad():
                log_mel, _ = self.mel(torch.from_numpy(audio)[None], torch.tensor([audio.shape[0]]))
            return log_mel[0].numpy()
        return estimate_pitch(audio, self.sample_rate, hop_length=self.mel.hop_length, frame_length=self.mel.n_fft,
                              fmin=self.pitch_fmin, fmax=self.pitch_fmax)  # fmt: skip

    def get_sup_data(self, index: int, kind: str, audio: Optional[np.ndarray] = None) -> np.ndarray:
        """``log_mel`` or ``pitch`` of entry ``index``, from the cache when present (computed and cached otherwise)."""
        path = self._cache_path(index, kind)
        if path is not None and os.path.isfile(path):
            return np.load(path, allow_pickle=False)
        value = self._compute(kind, self.load_audio(index) if audio is None else audio)
        if path is not None:
            _write_atomic(path, value)
        return value

    def __getitem__(self, index: int) -> Dict[str, Any]:
        entry = self.entries[index]
        audio = self.load_audio(index)
        item: Dict[str, Any] = {
            "audio": torch.from_numpy(audio),
            "text": torch.tensor(entry.tokens, dtype=torch.long),
            "log_mel": None,
            "pitch": None,
            "speaker": None,
        }
        for kind in ("log_mel", "pitch"):
            if kind in self.sup_data_types:
                item[kind] = torch.from_numpy(self.get_sup_data(index, kind, audio))
        if "speaker_id" in self.sup_data_types:
            item["speaker"] = self.speaker_to_id.get(entry.speaker, 0)
        return item

    # ---------------------------------------------------------------------------------------------------- batches
    def _collate_fn(self, batch: List[Dict[str, Any]]) -> Dict[str, Optional[torch.Tensor]]:
        """Pad a list of items into ``BATCH_KEYS``: audio with 0, text with the pad id, log-mel with log(1e-5)."""
        out: Dict[str, Optional[torch.Tensor]] = {}
        out["audio"], out["audio_lens"] = _pad([b["audio"] for b in batch], 0.0)
        out["text"], out["text_lens"] = _pad([b["text"] for b in batch], self.pad_id)
        out["log_mel"] = out["log_mel_lens"] = out["pitch"] = out["speaker"] = None
        if batch[0]["log_mel"] is not None:
            out["log_mel"], out["log_mel_lens"] = _pad([b["log_mel"] for b in batch], self.mel.pad_value)
        if batch[0]["pitch"] is not None:
            out["pitch"], pitch_lens = _pad([b["pitch"] for b in batch], 0.0)
            if out["log_mel_lens"] is None:
                out["log_mel_lens"] = pitch_lens
        if batch[0]["speaker"] is not None:
            out["speaker"] = torch.tensor([b["speaker"] for b in batch], dtype=torch.long)
        return out


def _pad(tensors: Sequence[torch.Tensor], value: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Stack along a new batch dim, padding the last dim to the longest with ``value``; returns lengths too."""
    lengths = torch.tensor([t.shape[-1] for t in tensors], dtype=torch.long)
    longest = int(lengths.max())
    shape = (len(tensors), *tensors[0].shape[:-1], longest)
    out = torch.full(shape, value, dtype=tensors[0].dtype)
    for row, tensor in enumerate(tensors):
        out[row, ..., : tensor.shape[-1]] = tensor
    return out, lengths


def compute_pitch_stats(dataset: TTSDataset, indices: Optional[Iterable[int]] = None) -> Tuple[float, float]:
    """Mean and standard deviation of voiced pitch (Hz) over ``dataset`` (all of it unless ``indices``)."""
    total, total_sq, count = 0.0, 0.0, 0
    for index in range(len(dataset)) if indices is None else indices:
        pitch = dataset.get_sup_data(index, "pitch").astype(np.float64)
        voiced = pitch[pitch > 0]
        total, total_sq, count = total + voiced.sum(), total_sq + (voiced**2).sum(), count + voiced.size
    if count == 0:
        raise ValueError(f"compute_pitch_stats: no voiced frames in {dataset.manifest_paths}")
    mean = total / count
    return float(mean), float(np.sqrt(max(total_sq / count - mean**2, 0.0)))
