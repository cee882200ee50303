"""Audio + transcript datasets: ``AudioToCharDataset`` (character labels) and ``AudioToBPEDataset`` (subword
tokenizer). Items are ``(audio, audio_len, tokens, tokens_len[, sample_id])``; ``collate_fn`` right-pads a batch."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch

from nemo.collections.asr.parts.preprocessing.collections import ASRAudioText
from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer
from nemo.collections.asr.parts.preprocessing.parsers import make_parser
from nemo.collections.common.data.audio import AudioReadError
from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import AudioSignal, LabelsType, LengthsType, NeuralType

__all__ = ["AudioToCharDataset", "AudioToBPEDataset", "ManifestAudioDataset", "speech_collate_fn"]


def _pad_to(tensor: torch.Tensor, length: int, value: float) -> torch.Tensor:
    return torch.nn.functional.pad(tensor, (0, length - tensor.shape[0]), value=value)


def speech_collate_fn(batch: Sequence[Tuple], pad_id: int) -> Tuple[Optional[torch.Tensor], ...]:
    """Stack ``(audio, audio_len, tokens, tokens_len[, sample_id])`` items, right-padding audio with zeros and
    tokens with ``pad_id``. Items whose audio is None (label-only) give ``None`` audio tensors."""
    if not batch:
        raise ValueError("speech_collate_fn: empty batch")
    has_ids = len(batch[0]) == 5
    audio_lengths = [item[1] for item in batch]
    has_audio = audio_lengths[0] is not None
    max_audio = int(max(audio_lengths).item()) if has_audio else 0
    max_tokens = int(max(item[3] for item in batch).item())
    signals, tokens = [], []
    for item in batch:
        if has_audio:
            signals.append(_pad_to(item[0], max_audio, 0.0))
        tokens.append(_pad_to(item[2], max_tokens, pad_id) if item[2].dim() else item[2])
    result: Tuple[Optional[torch.Tensor], ...] = (
        torch.stack(signals) if has_audio else None,
        torch.stack(audio_lengths) if has_audio else None,
        torch.stack(tokens),
        torch.stack([item[3] for item in batch]),
    )
    if has_ids:
        result += (torch.tensor([int(item[4]) for item in batch], dtype=torch.long),)
    return result


class ManifestAudioDataset(Dataset):
    """What the manifest-backed audio datasets share: the samples of a manifest ``collection`` (with durations), read
    through ``featurizer`` (``trim`` drops leading and trailing silence)."""

    collection: Sequence[Any]
    featurizer: WaveformFeaturizer
    trim: bool

    @property
    def durations(self) -> List[float]:
        """Manifest durations of the samples (used by duration-sorted batching)."""
        return [sample.entry.duration for sample in self.collection]

    def __len__(self) -> int:
        return len(self.collection)

    def _load_audio(self, entry: Any) -> torch.Tensor:
        """The samples of one manifest entry; an unreadable file's error names the manifest and line."""
        try:
            return self.featurizer.process(
                entry.audio_file,
                offset=entry.offset,
                duration=entry.duration,
                trim=self.trim,
                orig_sr=getattr(entry, "orig_sr", None),
            )
        except AudioReadError as err:
            raise err.with_context(entry.location) from err


class _AudioTextDataset(ManifestAudioDataset):
    """Shared body: manifest collection + waveform featurizer + BOS/EOS handling."""

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        parser: Callable[[str], Optional[List[int]]],
        sample_rate: int,
        int_values: bool = False,
        augmentor: Optional[Any] = None,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        max_utts: int = 0,
        trim: bool = False,
        bos_id: Optional[int] = None,
        eos_id: Optional[int] = None,
        pad_id: int = 0,
        return_sample_id: bool = False,
        skip_bad_samples: bool = False,
    ) -> None:
        self.manifest_filepath = manifest_filepath
        self.collection = ASRAudioText(
            manifest_filepath,
            parser=parser,
            min_duration=min_duration,
            max_duration=max_duration,
            max_number=max_utts,
            skip_bad_samples=skip_bad_samples,
        )
        self.featurizer = WaveformFeaturizer(sample_rate=sample_rate, int_values=int_values, augmentor=augmentor)
        self.trim = trim
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.pad_id = pad_id
        self.return_sample_id = return_sample_id

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        types = {
            "audio_signal": NeuralType(("B", "T"), AudioSignal(freq=self.featurizer.sample_rate)),
            "a_sig_length": NeuralType(tuple("B"), LengthsType()),
            "transcripts": NeuralType(("B", "T"), LabelsType()),
            "transcript_length": NeuralType(tuple("B"), LengthsType()),
        }
        if self.return_sample_id:
            types["sample_id"] = NeuralType(tuple("B"), LengthsType())
        return types

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, ...]:
        sample = self.collection[index]
        audio = self._load_audio(sample.entry)
        tokens = list(sample.text_tokens)
        if self.bos_id is not None:
            tokens = [self.bos_id] + tokens
        if self.eos_id is not None:
            tokens = tokens + [self.eos_id]
        output = (
            audio,
            torch.tensor(audio.shape[0], dtype=torch.long),
            torch.tensor(tokens, dtype=torch.long),
            torch.tensor(len(tokens), dtype=torch.long),
        )
        return output + (index,) if self.return_sample_id else output

    def _collate_fn(self, batch: Sequence[Tuple]) -> Tuple[Optional[torch.Tensor], ...]:
        return speech_collate_fn(batch, pad_id=self.pad_id)


class AudioToCharDataset(_AudioTextDataset):
    """Audio with character-level transcripts from JSON-lines manifests.

    ``labels`` is the character vocabulary; ``parser`` a ``make_parser`` name (``en`` normalizes English text when
    ``normalize`` is set). ``blank_index``/``unk_index`` mark special labels (characters outside ``labels`` map to
    ``unk_index``, or are an error when it is -1). ``skip_bad_samples`` skips unusable manifest lines (one warning)
    instead of raising an error that names the manifest and line.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        labels: Union[str, Sequence[str]],
        sample_rate: int,
        int_values: bool = False,
        augmentor: Optional[Any] = None,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        max_utts: int = 0,
        blank_index: int = -1,
        unk_index: int = -1,
        normalize: bool = True,
        trim: bool = False,
        bos_id: Optional[int] = None,
        eos_id: Optional[int] = None,
        pad_id: int = 0,
        parser: Union[str, Callable[[str], Optional[List[int]]]] = "en",
        return_sample_id: bool = False,
        skip_bad_samples: bool = False,
    ) -> None:
        self.labels = list(labels)
        if isinstance(parser, str):
            parser = make_parser(
                labels=self.labels, name=parser, unk_id=unk_index, blank_id=blank_index, do_normalize=normalize
            )
        super().__init__(
            manifest_filepath,
            parser=parser,
            sample_rate=sample_rate,
            int_values=int_values,
            augmentor=augmentor,
            max_duration=max_duration,
            min_duration=min_duration,
            max_utts=max_utts,
            trim=trim,
            bos_id=bos_id,
            eos_id=eos_id,
            pad_id=pad_id,
            return_sample_id=return_sample_id,
            skip_bad_samples=skip_bad_samples,
        )


def _valid_id(value: Any) -> Optional[int]:
    return int(value) if value is not None and int(value) >= 0 else None


class _TokenizerParser:
    """Parser adapter: transcript → ``tokenizer.text_to_ids`` (picklable, for worker processes)."""

    def __init__(self, tokenizer: TokenizerSpec) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> List[int]:
        return list(self.tokenizer.text_to_ids(text))


class AudioToBPEDataset(_AudioTextDataset):
    """Audio with subword transcripts produced by ``tokenizer`` (a ``TokenizerSpec``, e.g. SentencePiece).

    With ``use_start_end_token`` the tokenizer's BOS/EOS ids (when it defines them) wrap every transcript; padding
    uses the tokenizer's pad id, else 0.
    """

    def __init__(
        self,
        manifest_filepath: Union[str, Sequence[str]],
        tokenizer: TokenizerSpec,
        sample_rate: int,
        int_values: bool = False,
        augmentor: Optional[Any] = None,
        max_duration: Optional[float] = None,
        min_duration: Optional[float] = None,
        max_utts: int = 0,
        trim: bool = False,
        use_start_end_token: bool = True,
        return_sample_id: bool = False,
        skip_bad_samples: bool = False,
    ) -> None:
        self.tokenizer = tokenizer
        bos_id = _valid_id(getattr(tokenizer, "bos_id", None)) if use_start_end_token else None
        eos_id = _valid_id(getattr(tokenizer, "eos_id", None)) if use_start_end_token else None
        pad_id = _valid_id(getattr(tokenizer, "pad_id", None))
        super().__init__(
            manifest_filepath,
            parser=_TokenizerParser(tokenizer),
            sample_rate=sample_rate,
            int_values=int_values,
            augmentor=augmentor,
            max_duration=max_duration,
            min_duration=min_duration,
            max_utts=max_utts,
            trim=trim,
            bos_id=bos_id,
            eos_id=eos_id,
            pad_id=0 if pad_id is None else pad_id,
            return_sample_id=return_sample_id,
            skip_bad_samples=skip_bad_samples,
        )
