"""``ASRModel``: the abstract base of speech models, plus helpers shared by the CTC and classification models.

It aggregates validation/test step outputs (``*_loss`` averaged, WER numerators/denominators summed), lists the
pretrained checkpoints of all its subclasses, and builds data loaders from NeMo data configs.
"""

import json
import os
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.classes.exportable import Exportable
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.modelPT import ModelPT
from nemo.utils import logging
from nemo.utils.model_utils import resolve_subclass_pretrained_model_info

__all__ = ["ASRModel", "ExportableEncDecModel", "ngc_model"]

_NGC_ROOT = "https://api.ngc.nvidia.com/v2/models/nvidia/nemo"


def ngc_model(name: str, version: str, file_name: Optional[str] = None) -> PretrainedModelInfo:
    """A ``PretrainedModelInfo`` for ``<name>`` published in NGC's ``nvidia/nemo`` team at ``version``."""
    return PretrainedModelInfo(
        pretrained_model_name=name,
        description=f"For details about this model, please visit https://ngc.nvidia.com/catalog/models/nvidia:nemo:{name}",
        location=f"{_NGC_ROOT}/{name}/versions/{version}/files/{file_name or name + '.nemo'}",
    )


def _stack_mean(outputs: List[Mapping[str, Any]], key: str) -> torch.Tensor:
    return torch.stack([torch.as_tensor(x[key], dtype=torch.float32) for x in outputs]).mean()


def _stack_sum(outputs: List[Mapping[str, Any]], key: str) -> torch.Tensor:
    return torch.stack([torch.as_tensor(x[key], dtype=torch.float32) for x in outputs]).sum()


class ASRModel(ModelPT, ABC):
    """Base class of ASR models: ``transcribe`` plus WER aggregation at the end of evaluation epochs."""

    @abstractmethod
    def transcribe(self, paths2audio_files: List[str], batch_size: int = 4) -> List[str]:
        """Transcribe the given audio files (one result per file, in order)."""

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """Pretrained checkpoints of every subclass (each entry's ``class_`` is the subclass that restores it)."""
        return resolve_subclass_pretrained_model_info(cls)

    def _evaluation_summary(self, outputs: List[Mapping[str, Any]], prefix: str) -> Dict[str, Any]:
        if not outputs:
            return {}
        loss = _stack_mean(outputs, f"{prefix}_loss")
        wer = _stack_sum(outputs, f"{prefix}_wer_num") / _stack_sum(outputs, f"{prefix}_wer_denom")
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_wer": wer}}

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        """Mean ``val_loss`` and corpus ``val_wer`` (summed numerators over summed denominators) of one loader."""
        return self._evaluation_summary(outputs, "val")

    def multi_test_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        """Mean ``test_loss`` and corpus ``test_wer`` of one test loader."""
        return self._evaluation_summary(outputs, "test")

    # ------------------------------------------------------------------------------------------------ data loaders
    # Keys of NeMo's ASR data configs (``train_ds`` ...) read by our datasets, plus NeMo's tarred/bucketing keys,
    # which are refused with a clear error rather than silently ignored. Anything else is a typo.
    dataset_config_keys = frozenset(
        {
            "manifest_filepath", "sample_rate", "labels", "int_values", "augmentor", "max_duration", "min_duration",
            "max_utts", "trim_silence", "normalize_transcripts", "parser", "blank_index", "unk_index",
            "return_sample_id", "skip_bad_samples", "use_start_end_token", "normalize_audio", "time_length",
            "random_crop", "is_tarred", "tarred_audio_filepaths", "use_dali",
            "shuffle_n", "bucketing_strategy", "bucketing_batch_size",
        }
    )  # fmt: skip

    # sort_by_duration / shuffle_seed choose the batch sampler: they go with the loader keys.
    dataloader_config_keys = frozenset({"sort_by_duration", "shuffle_seed"})

    def _setup_dataloader_from_config(
        self, config: Any, name: str = "data", shuffle: bool = False
    ) -> Optional[torch.utils.data.DataLoader]:
        """As ModelPT's, plus NeMo's ASR conventions: no loader (warned) for a null ``manifest_filepath``, and a
        clear error for the tarred/DALI pipelines this implementation does not have."""
        if config is None:
            return None
        config = config if isinstance(config, DictConfig) else OmegaConf.create(dict(config))
        if config.get("is_tarred", False) or config.get("use_dali", False):
            raise ValueError(
                f"{type(self).__name__}: {name}_ds sets is_tarred/use_dali, which this implementation does not "
                "support; use a plain manifest (manifest_filepath)"
            )
        if "manifest_filepath" in config and not OmegaConf.is_missing(config, "manifest_filepath") \
                and config.manifest_filepath is None:
            logging.warning(f"{type(self).__name__}: no {name} data loader, as {name}_ds.manifest_filepath is null")
            return None
        return super()._setup_dataloader_from_config(config, name, shuffle)

    def _build_dataloader(self, dataset: Any, params: DictConfig) -> torch.utils.data.DataLoader:
        """Duration-sorted batching when the data config asks for it (``sort_by_duration``)."""
        from nemo.collections.asr.data.batching import build_dataloader

        return build_dataloader(dataset, params)

    @staticmethod
    def _augmentor(config: DictConfig) -> Any:
        """The audio perturbations a data config's ``augmentor`` node describes (None without one)."""
        if config.get("augmentor") is None:
            return None
        from nemo.collections.asr.parts.preprocessing.perturb import process_augmentations

        return process_augmentations(config.augmentor)

    # --------------------------------------------------------------------------------------------- inference state
    @contextmanager
    def _inference_state(self) -> Iterator[None]:
        """Eval mode, no dither or padding, frozen encoder/decoder and quiet logs; everything restored afterwards."""
        featurizer = getattr(self.preprocessor, "featurizer", None)
        saved = {key: getattr(featurizer, key) for key in ("dither", "pad_to") if hasattr(featurizer, key)}
        modes = {module: module.training for module in self.modules()}
        verbosity = logging.get_verbosity()
        try:
            for key in saved:
                setattr(featurizer, key, 0.0 if key == "dither" else 0)
            self.eval()
            logging.set_verbosity(logging.WARNING)
            with self.encoder.as_frozen(), self.decoder.as_frozen(), torch.inference_mode():
                yield
        finally:
            for key, value in saved.items():
                setattr(featurizer, key, value)
            for module, training in modes.items():
                module.training = training
            logging.set_verbosity(verbosity)

    def _iterate_audio(
        self, paths2audio_files: List[str], batch_size: int, make_config: Callable[[str, int], Dict[str, Any]]
    ) -> Iterator[Tuple[torch.Tensor, ...]]:
        """Batches of the given files through a temporary manifest (deleted afterwards), moved to the model's device.

        Every file's header is read first, so a missing or unreadable file raises ``AudioReadError`` naming the file
        and the reason (never the temporary manifest).
        """
        from nemo.collections.common.data.audio import audio_info

        if batch_size < 1:
            raise ValueError(f"{type(self).__name__}.transcribe: batch_size must be >= 1, got {batch_size}")
        durations = [audio_info(path).duration for path in paths2audio_files]
        device = next(self.parameters()).device
        with tempfile.TemporaryDirectory() as tmpdir:
            manifest = os.path.join(tmpdir, "manifest.json")
            with open(manifest, "w", encoding="utf-8") as handle:
                for path, seconds in zip(paths2audio_files, durations):
                    entry = {"audio_filepath": os.path.abspath(path), "duration": seconds}
                    entry.update(self._dummy_target())
                    handle.write(json.dumps(entry) + "\n")
            config = make_config(manifest, min(batch_size, len(paths2audio_files)))
            loader = self._setup_dataloader_from_config(OmegaConf.create(config))
            for batch in loader:
                yield tuple(t.to(device) for t in batch)

    def _dummy_target(self) -> Dict[str, str]:
        """Manifest fields standing in for the unknown transcript of a file to transcribe.

        Built from the model's own vocabulary, since the data layer refuses characters outside it.
        """
        vocabulary = getattr(getattr(self, "decoder", None), "vocabulary", None) or []
        symbol = next((s for s in vocabulary if isinstance(s, str) and len(s) == 1 and not s.isspace()), None)
        return {"text": symbol or "nothing"}


class ExportableEncDecModel(Exportable):
    """Export of an encoder-decoder model: the encoder's inputs in, the decoder's outputs out."""

    @property
    def input_module(self) -> Any:
        return self.encoder

    @property
    def output_module(self) -> Any:
        return self.decoder

    @property
    def disabled_deployment_input_names(self) -> Set[str]:
        return set(getattr(self.encoder, "disabled_deployment_input_names", set()))

    @property
    def disabled_deployment_output_names(self) -> Set[str]:
        return set(getattr(self.decoder, "disabled_deployment_output_names", set()))

    def forward_for_export(self, input: torch.Tensor, length: Optional[torch.Tensor] = None) -> torch.Tensor:  # noqa: A002
        """Encoder then decoder on a (processed) spectrogram, without the preprocessor."""
        encoded = self.encoder(audio_signal=input, length=length)
        if isinstance(encoded, tuple):
            encoded = encoded[0]
        return self.decoder(encoder_output=encoded)
