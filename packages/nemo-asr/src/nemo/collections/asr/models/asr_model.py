"""``ASRModel``: the abstract base of speech models, and what the CTC, transducer and classification models share.

It builds the preprocessor, encoder and SpecAugment, runs the raw-audio-or-spectrogram ``forward``, logs training
steps, aggregates validation/test step outputs (``*_loss`` averaged, WER numerators/denominators summed), checks and
writes vocabulary changes, lists the pretrained checkpoints of all its subclasses, and builds data loaders from NeMo
data configs.
"""

import json
import os
import tempfile
from abc import ABC, abstractmethod
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nemo.core.classes.exportable import Exportable
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.modelPT import ModelPT
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AudioSignal, LengthsType, NeuralType, SpectrogramType
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


class ASRModel(ModelPT, ABC):
    """Base class of ASR models: ``transcribe`` plus WER aggregation at the end of evaluation epochs."""

    @abstractmethod
    def transcribe(self, paths2audio_files: List[str], batch_size: int = 4) -> List[str]:
        """Transcribe the given audio files (one result per file, in order)."""

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """Pretrained checkpoints of every subclass (each entry's ``class_`` is the subclass that restores it)."""
        return resolve_subclass_pretrained_model_info(cls)

    @staticmethod
    def _mean_over(outputs: List[Mapping[str, Any]], key: str) -> torch.Tensor:
        return torch.stack([torch.as_tensor(x[key], dtype=torch.float32) for x in outputs]).mean()

    @staticmethod
    def _sum_over(outputs: List[Mapping[str, Any]], key: str, dim: Optional[int] = None) -> torch.Tensor:
        stacked = torch.stack([torch.as_tensor(x[key], dtype=torch.float32) for x in outputs])
        return stacked.sum() if dim is None else stacked.sum(dim=dim)

    def _evaluation_summary(self, outputs: List[Mapping[str, Any]], prefix: str) -> Dict[str, Any]:
        """Corpus WER and, when every step computed one, the mean loss of one loader's outputs."""
        if not outputs:
            return {}
        wer = self._sum_over(outputs, f"{prefix}_wer_num") / self._sum_over(outputs, f"{prefix}_wer_denom")
        if not all(f"{prefix}_loss" in x for x in outputs):
            return {"log": {f"{prefix}_wer": wer}}
        loss = self._mean_over(outputs, f"{prefix}_loss")
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_wer": wer}}

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        """Mean ``val_loss`` and corpus ``val_wer`` (summed numerators over summed denominators) of one loader."""
        return self._evaluation_summary(outputs, "val")

    def multi_test_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        """Mean ``test_loss`` and corpus ``test_wer`` of one test loader."""
        return self._evaluation_summary(outputs, "test")

    # ------------------------------------------------------------------------------------------------ shared parts
    def _build_front_end(self) -> None:
        """The preprocessor and the encoder of ``cfg`` (built first, in this order, by every ASR model)."""
        self.preprocessor = self.from_config_dict(self._cfg.preprocessor)
        self.encoder = self.from_config_dict(self._cfg.encoder)

    def _build_spec_augmentation(self) -> None:
        """SpecAugment from ``cfg.spec_augment`` (None without one); applied in training only."""
        spec_augment = self._cfg.get("spec_augment")
        self.spec_augmentation = self.from_config_dict(spec_augment) if spec_augment is not None else None

    def _encode(
        self,
        input_signal: Optional[torch.Tensor],
        input_signal_length: Optional[torch.Tensor],
        processed_signal: Optional[torch.Tensor],
        processed_signal_length: Optional[torch.Tensor],
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(encoded, encoded_len)`` from raw audio or from an already computed spectrogram (exactly one of the
        two pairs), with SpecAugment in training."""
        has_raw = input_signal is not None and input_signal_length is not None
        has_processed = processed_signal is not None and processed_signal_length is not None
        if has_raw == has_processed:
            raise ValueError(
                f"{type(self).__name__}.forward: give either `input_signal` and `input_signal_length` or "
                "`processed_signal` and `processed_signal_length`, exactly one of the two pairs"
            )
        if has_raw:
            processed_signal, processed_signal_length = self.preprocessor(
                input_signal=input_signal, length=input_signal_length
            )
        if self.spec_augmentation is not None and self.training:
            processed_signal = self.spec_augmentation(input_spec=processed_signal)
        return self.encoder(audio_signal=processed_signal, length=processed_signal_length)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        sample_rate = getattr(self.preprocessor, "_sample_rate", None)
        return OrderedDict(
            {
                "input_signal": NeuralType(("B", "T"), AudioSignal(freq=sample_rate), optional=True),
                "input_signal_length": NeuralType(("B",), LengthsType(), optional=True),
                "processed_signal": NeuralType(("B", "D", "T"), SpectrogramType(), optional=True),
                "processed_signal_length": NeuralType(("B",), LengthsType(), optional=True),
            }
        )

    @typecheck()
    def forward(
        self,
        input_signal: Optional[torch.Tensor] = None,
        input_signal_length: Optional[torch.Tensor] = None,
        processed_signal: Optional[torch.Tensor] = None,
        processed_signal_length: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, ...]:
        """The model's ``output_types`` from raw audio or from an already computed spectrogram."""
        encoded, encoded_len = self._encode(
            input_signal, input_signal_length, processed_signal, processed_signal_length
        )
        return self._outputs(encoded, encoded_len)

    def _outputs(self, encoded: torch.Tensor, encoded_len: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """What ``forward`` returns for the encoder's output: ``(encoded, encoded_len)`` unless a model decodes."""
        return encoded, encoded_len

    def _training_log(self, loss: torch.Tensor) -> Dict[str, Any]:
        """``train_loss`` and, with an optimizer, its ``learning_rate``."""
        log: Dict[str, Any] = {"train_loss": loss.detach()}
        if self._optimizer is not None:
            log["learning_rate"] = self._optimizer.param_groups[0]["lr"]
        return log

    def _logs_batch_wer(self, batch_nb: int) -> bool:
        """Whether this training step logs ``training_batch_wer`` (every ``trainer.log_every_n_steps`` steps)."""
        trainer = self._trainer
        every = max(1, int(getattr(trainer, "log_every_n_steps", 1) or 1)) if trainer is not None else 1
        return (batch_nb + 1) % every == 0

    def _compute_batch_wer(self, *update_args: Any, **update_kwargs: Any) -> Tuple[torch.Tensor, ...]:
        """``(wer, scores, words)`` of one batch (the metric accumulates, so it is reset right after computing)."""
        self._wer.update(*update_args, **update_kwargs)
        wer, scores, words = self._wer.compute()
        self._wer.reset()
        return wer, scores, words

    @staticmethod
    def _wer_outputs(prefix: str, wer: torch.Tensor, scores: torch.Tensor, words: torch.Tensor) -> Dict[str, Any]:
        return {f"{prefix}_wer_num": scores, f"{prefix}_wer_denom": words, f"{prefix}_wer": wer}

    def _output_vocabulary(self) -> List[str]:
        """The labels the model emits (the decoder's vocabulary)."""
        return list(getattr(getattr(self, "decoder", None), "vocabulary", None) or [])

    def _is_new_vocabulary(self, new_vocabulary: Optional[List[str]]) -> bool:
        """Refuse an empty vocabulary; False (warned) when it is the current one."""
        if new_vocabulary is None or len(new_vocabulary) == 0:
            raise ValueError(f"New vocabulary must be non-empty list of chars. But I got: {new_vocabulary}")
        old = self._output_vocabulary()
        if old == list(new_vocabulary):
            logging.warning(f"Old {old} and new {list(new_vocabulary)} match. Not changing anything.")
            return False
        return True

    def _write_labels(self, labels: List[str], into_every_data_config: bool = False) -> None:
        """Put ``labels`` into the config's ``labels`` (where present) and the data configs' (where present, or into
        every data config), so a saved model restores with them."""
        with open_dict(self._cfg):
            if "labels" in self._cfg:
                self._cfg.labels = ListConfig(labels)
            for key in ("train_ds", "validation_ds", "test_ds"):
                if self._cfg.get(key) is not None and (into_every_data_config or "labels" in self._cfg[key]):
                    self._cfg[key].labels = ListConfig(labels)
        self.cfg = self._cfg

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
        if (
            "manifest_filepath" in config
            and not OmegaConf.is_missing(config, "manifest_filepath")
            and config.manifest_filepath is None
        ):
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
        and the reason (never the temporary manifest). Arrays/tensors of samples instead of paths are batched as
        NVIDIA NeMo 3 does (``parts.audio_arrays``: clips under 1 s padded to 1 s).
        """
        from nemo.collections.asr.parts.audio_arrays import array_batches, is_audio_array
        from nemo.collections.common.data.audio import audio_info

        if batch_size < 1:
            raise ValueError(f"{type(self).__name__}.transcribe: batch_size must be >= 1, got {batch_size}")
        if any(is_audio_array(item) for item in paths2audio_files):
            if not all(is_audio_array(item) for item in paths2audio_files):
                raise ValueError(f"{type(self).__name__}.transcribe: give either file paths or arrays, not both")
            sample_rate = int(self.preprocessor._sample_rate)
            yield from array_batches(paths2audio_files, sample_rate, batch_size, next(self.parameters()).device)
            return
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

    # Transcription reads the files the way the training data were read (trimmed, unless a model says otherwise).
    _transcribe_trim_silence = True

    def _transcribe_config(self, manifest: str, batch_size: int) -> Dict[str, Any]:
        """The data config of the temporary manifest ``transcribe`` reads."""
        return {
            "manifest_filepath": manifest,
            "sample_rate": self.preprocessor._sample_rate,
            "labels": self._output_vocabulary(),
            "batch_size": batch_size,
            "trim_silence": self._transcribe_trim_silence,
            "shuffle": False,
        }

    def _dummy_target(self) -> Dict[str, str]:
        """Manifest fields standing in for the unknown transcript of a file to transcribe.

        Built from the model's own vocabulary, since the data layer refuses characters outside it.
        """
        vocabulary = self._output_vocabulary()
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
