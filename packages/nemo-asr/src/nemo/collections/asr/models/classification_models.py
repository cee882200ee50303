"""``EncDecClassificationModel``: utterance classification (MatchboxNet speech commands, MarbleNet VAD)."""

import copy
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.asr.models.asr_model import ASRModel, ExportableEncDecModel, ngc_model
from nemo.collections.common.losses import CrossEntropyLoss
from nemo.collections.common.metrics import TopKClassificationAccuracy
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AudioSignal, LengthsType, LogitsType, NeuralType
from nemo.utils import logging

__all__ = ["EncDecClassificationModel"]


class EncDecClassificationModel(ASRModel, ExportableEncDecModel):
    """Preprocessor -> (crop/pad, SpecAugment) -> encoder -> pooled linear classifier over ``cfg.labels``.

    Config keys: ``labels``, ``preprocessor``, ``encoder``, ``decoder`` (``ConvASRDecoderClassification``; its
    ``num_classes`` and ``feat_in`` are filled in when unset), optional ``spec_augment``, ``crop_or_pad_augment`` and
    ``top_k`` (accuracies logged for each k; default ``[1]``).
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """The MarbleNet VAD and MatchboxNet speech-command checkpoints NVIDIA published on NGC for NeMo 1.0."""
        names = ["vad_telephony_marblenet", "vad_marblenet"]
        names += [f"commandrecognition_en_matchboxnet3x{r}x64_v1" for r in (1, 2)]
        names += [f"commandrecognition_en_matchboxnet3x{r}x64_v2" for r in (1, 2)]
        names += [f"commandrecognition_en_matchboxnet3x{r}x64_v2_subset_task" for r in (1, 2)]
        return [ngc_model(name, "1.0.0rc1") for name in names]

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        if not self._cfg.get("labels"):
            raise ValueError("EncDecClassificationModel: config key `labels` must list the class labels")
        self._build_front_end()
        with open_dict(self._cfg):
            if not self._cfg.decoder.get("feat_in") and hasattr(self.encoder, "_feat_out"):
                self._cfg.decoder.feat_in = self.encoder._feat_out
            if self._cfg.decoder.get("num_classes", -1) is None or self._cfg.decoder.get("num_classes", -1) < 1:
                self._cfg.decoder.num_classes = len(self._cfg.labels)
        if self._cfg.decoder.num_classes != len(self._cfg.labels):
            raise ValueError(
                f"decoder.num_classes ({self._cfg.decoder.num_classes}) must equal len(labels) ({len(self._cfg.labels)})"
            )
        self.decoder = self.from_config_dict(self._cfg.decoder)
        self.loss = CrossEntropyLoss()
        self._build_spec_augmentation()
        crop_or_pad = self._cfg.get("crop_or_pad_augment")
        self.crop_or_pad = self.from_config_dict(crop_or_pad) if crop_or_pad is not None else None
        top_k = self._cfg.get("top_k", [1])
        self._accuracy = TopKClassificationAccuracy(top_k=list(top_k), dist_sync_on_step=True)
        self.cfg = self._cfg

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        sample_rate = getattr(self.preprocessor, "_sample_rate", None)
        return OrderedDict(
            {
                "input_signal": NeuralType(("B", "T"), AudioSignal(freq=sample_rate)),
                "input_signal_length": NeuralType(("B",), LengthsType()),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"outputs": NeuralType(("B", "D"), LogitsType())})

    @typecheck()
    def forward(self, input_signal: torch.Tensor, input_signal_length: torch.Tensor) -> torch.Tensor:
        """Class logits of each utterance."""
        processed, processed_len = self.preprocessor(input_signal=input_signal, length=input_signal_length)
        if self.crop_or_pad is not None:
            processed, processed_len = self.crop_or_pad(input_signal=processed, length=processed_len)
        if self.spec_augmentation is not None and self.training:
            processed = self.spec_augmentation(input_spec=processed)
        encoded, _ = self.encoder(audio_signal=processed, length=processed_len)
        return self.decoder(encoder_output=encoded)

    # -------------------------------------------------------------------------------------------- Lightning steps
    def _topk(self, logits: torch.Tensor, labels: torch.Tensor) -> List[torch.Tensor]:
        self._accuracy.update(logits=logits, labels=labels)
        scores = self._accuracy.compute()
        return scores

    def training_step(self, batch: Sequence[torch.Tensor], batch_nb: int) -> Dict[str, Any]:
        signal, signal_len, labels, _ = batch
        logits = self.forward(input_signal=signal, input_signal_length=signal_len)
        loss = self.loss(logits=logits, labels=labels)
        log = self._training_log(loss)
        for k, score in zip(self._accuracy.top_k, self._topk(logits.detach(), labels)):
            log[f"training_batch_accuracy_top@{k}"] = score
        self._accuracy.reset()
        return {"loss": loss, "log": log}

    def _evaluation_step(self, batch: Sequence[torch.Tensor], prefix: str) -> Dict[str, Any]:
        signal, signal_len, labels, _ = batch
        logits = self.forward(input_signal=signal, input_signal_length=signal_len)
        loss = self.loss(logits=logits, labels=labels)
        scores = self._topk(logits, labels)
        result = {
            f"{prefix}_loss": loss.detach(),
            f"{prefix}_correct_counts": self._accuracy.correct_counts_k.clone(),
            f"{prefix}_total_counts": self._accuracy.total_counts_k.clone(),
            f"{prefix}_acc": scores[0],
        }
        self._accuracy.reset()
        return result

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "test")

    def _evaluation_summary(self, outputs: List[Dict[str, Any]], prefix: str) -> Dict[str, Any]:
        if not outputs:
            return {}
        loss = self._mean_over(outputs, f"{prefix}_loss")
        correct = self._sum_over(outputs, f"{prefix}_correct_counts", dim=0)
        total = self._sum_over(outputs, f"{prefix}_total_counts", dim=0)
        log: Dict[str, Any] = {f"{prefix}_loss": loss}
        for k, hits, count in zip(self._accuracy.top_k, correct.tolist(), total.tolist()):
            log[f"{prefix}_epoch_top@{k}"] = hits / count if count else 0.0
        return {f"{prefix}_loss": loss, "log": log}

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data.audio_to_label_dataset import get_classification_label_dataset
        from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer

        if not config.get("labels"):
            config = OmegaConf.merge(config, {"labels": list(self._cfg.labels)})
        featurizer = WaveformFeaturizer(
            sample_rate=config["sample_rate"],
            int_values=config.get("int_values", False),
            augmentor=self._augmentor(config),
        )
        return get_classification_label_dataset(featurizer=featurizer, config=config)

    def _dummy_target(self) -> Dict[str, str]:
        return {"label": str(self._cfg.labels[0])}

    _transcribe_trim_silence = False  # silence is what a VAD classifies

    def _output_vocabulary(self) -> List[str]:
        """The class labels."""
        return list(self._cfg.labels)

    # ------------------------------------------------------------------------------------------------ inference
    def transcribe(self, paths2audio_files: List[str], batch_size: int = 4, logprobs: bool = False) -> List[Any]:
        """The most likely label of each file, in order; ``logprobs=True`` gives each file's class logits instead."""
        if paths2audio_files is None or len(paths2audio_files) == 0:
            return []
        results: List[Any] = []
        with self._inference_state():
            for signal, signal_len, *_ in self._iterate_audio(paths2audio_files, batch_size, self._transcribe_config):
                logits = self.forward(input_signal=signal, input_signal_length=signal_len)
                if logprobs:
                    results += [row.cpu().clone() for row in logits]
                else:
                    results += [str(self._cfg.labels[i]) for i in logits.argmax(dim=-1).tolist()]
        return results

    def change_labels(self, new_labels: List[str]) -> None:
        """New decoder (fresh weights) for ``new_labels``; the config's ``labels`` and data configs follow."""
        if not self._is_new_vocabulary(new_labels):
            return
        new_labels = list(new_labels)
        decoder_config = copy.deepcopy(self.decoder.to_config_dict())
        with open_dict(decoder_config):
            decoder_config.num_classes = len(new_labels)
        device = next(self.decoder.parameters()).device
        del self.decoder
        self.decoder = self.from_config_dict(decoder_config).to(device)
        with open_dict(self._cfg):
            self._cfg.decoder = decoder_config
        self._write_labels(new_labels, into_every_data_config=True)
        logging.info(f"Changed decoder output to {self.decoder.num_classes} labels.")
