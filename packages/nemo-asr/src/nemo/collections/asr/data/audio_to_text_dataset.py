"""Build ASR text datasets (and their loaders) from a data config node such as ``model.train_ds``.

Dataset keys: ``manifest_filepath`` (required; comma-separated string or list), ``labels`` (char datasets),
``sample_rate`` (required), ``int_values``, ``max_duration``, ``min_duration``, ``max_utts``, ``blank_index``,
``unk_index``, ``augmentor`` (perturbations, see ``process_augmentations``; used when no augmentor is passed),
``normalize_transcripts`` (default False, as in NeMo), ``trim_silence``, ``parser`` (``en``),
``use_start_end_token`` (BPE), ``return_sample_id`` and ``skip_bad_samples`` (default False: a bad manifest line is
an error naming the file and line; True: such lines are skipped and reported in one warning). Loader keys are those
of ``build_dataloader`` (see ``nemo.collections.asr.data.batching``).
"""

from typing import Any, Mapping, Optional

from nemo.collections.asr.data.audio_to_text import AudioToBPEDataset, AudioToCharDataset
from nemo.collections.asr.data.batching import build_dataloader
from nemo.collections.asr.parts.preprocessing.perturb import process_augmentations
from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec

__all__ = ["get_char_dataset", "get_bpe_dataset", "build_dataloader", "require_key"]


def require_key(config: Mapping[str, Any], key: str, what: str) -> Any:
    """``config[key]``, or a ValueError naming the missing key."""
    value = config.get(key)
    if value is None:
        raise ValueError(f"{what}: data config is missing required key {key!r} (got keys {sorted(config.keys())})")
    return value


def _common_kwargs(config: Mapping[str, Any], what: str, augmentor: Optional[Any]) -> dict:
    return dict(
        augmentor=augmentor if augmentor is not None else process_augmentations(config.get("augmentor")),
        manifest_filepath=require_key(config, "manifest_filepath", what),
        sample_rate=int(require_key(config, "sample_rate", what)),
        int_values=bool(config.get("int_values", False)),
        max_duration=config.get("max_duration"),
        min_duration=config.get("min_duration"),
        max_utts=int(config.get("max_utts", 0) or 0),
        trim=bool(config.get("trim_silence", False)),
        return_sample_id=bool(config.get("return_sample_id", False)),
        skip_bad_samples=bool(config.get("skip_bad_samples", False)),
    )


def get_char_dataset(config: Mapping[str, Any], augmentor: Optional[Any] = None) -> AudioToCharDataset:
    """An ``AudioToCharDataset`` from a data config (see the module docstring for the keys)."""
    return AudioToCharDataset(
        labels=list(require_key(config, "labels", "get_char_dataset")),
        blank_index=int(config.get("blank_index", -1)),
        unk_index=int(config.get("unk_index", -1)),
        normalize=bool(config.get("normalize_transcripts", False)),
        parser=config.get("parser", "en"),
        **_common_kwargs(config, "get_char_dataset", augmentor),
    )


def get_bpe_dataset(
    config: Mapping[str, Any], tokenizer: TokenizerSpec, augmentor: Optional[Any] = None
) -> AudioToBPEDataset:
    """An ``AudioToBPEDataset`` tokenizing transcripts with ``tokenizer``."""
    return AudioToBPEDataset(
        tokenizer=tokenizer,
        use_start_end_token=bool(config.get("use_start_end_token", True)),
        **_common_kwargs(config, "get_bpe_dataset", augmentor),
    )
