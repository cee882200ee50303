"""``EncDecSpeakerLabelModel``: speaker embeddings (SpeakerNet, TitaNet) trained as speaker classification."""

import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.asr.models.asr_model import ASRModel, ExportableEncDecModel, ngc_model
from nemo.collections.common.losses import CrossEntropyLoss
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AcousticEncodedRepresentation, AudioSignal, LengthsType, LogitsType, NeuralType
from nemo.utils import logging

__all__ = ["EncDecSpeakerLabelModel"]


class EncDecSpeakerLabelModel(ASRModel, ExportableEncDecModel):
    """Preprocessor -> (SpecAugment) -> encoder -> ``SpeakerDecoder``: ``forward`` returns ``(logits, embs)``.

    Config keys (NeMo's): ``preprocessor``, ``encoder``, ``decoder`` (``num_classes``: the number of training
    speakers; ``feat_in`` is filled from the encoder when unset), optional ``spec_augment`` and ``loss``
    (``AngularSoftmaxLoss`` with ``scale``/``margin``, which also sets ``decoder.angular``; without it a
    cross-entropy). Data configs (``train_ds`` ...) read speaker manifests (``audio_filepath``, ``duration``,
    ``label``) and cut or repeat each utterance to ``time_length`` seconds; ``train_ds.labels: null`` takes the sorted
    labels of the training manifest, and evaluation data use the training labels. ``export`` writes NeMo's graph:
    a spectrogram in, ``logits`` and ``embs`` out (every frame pooled).
    """

    # NeMo's tarred speaker pipeline key; with is_tarred (refused) it would choose how shards are split.
    dataset_config_keys = ASRModel.dataset_config_keys | {"tarred_shard_strategy"}

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """NVIDIA's SpeakerNet and TitaNet checkpoints on NGC (convolutional encoders this package builds)."""
        return [
            ngc_model("speakerverification_speakernet", "1.16.0"),
            ngc_model("titanet_large", "v1", "titanet-l.nemo"),
            ngc_model("titanet_small", "1.19.0", "titanet-s.nemo"),
        ]

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.loss, self.eval_loss = self._build_losses()
        self._build_front_end()
        with open_dict(self._cfg):
            if not self._cfg.decoder.get("feat_in") and hasattr(self.encoder, "_feat_out"):
                self._cfg.decoder.feat_in = self.encoder._feat_out
        self.decoder = self.from_config_dict(self._cfg.decoder)
        self._build_spec_augmentation()
        self.cfg = self._cfg

    def _build_losses(self) -> Tuple[Any, Any]:
        """Training and evaluation losses from ``cfg.loss`` (class ``weight`` only in training, as in NeMo)."""
        loss_cfg = self._cfg.get("loss")
        if loss_cfg is None:
            return CrossEntropyLoss(), CrossEntropyLoss()
        if loss_cfg.get("weight") == "auto":
            raise ValueError("loss.weight: 'auto' (weights from label counts) is not supported; give a list or null")
        if "angular" in str(loss_cfg.get("_target_", "")).lower():
            with open_dict(self._cfg):
                self._cfg.decoder.angular = True
        eval_cfg = copy.deepcopy(loss_cfg)
        if "weight" in eval_cfg:
            with open_dict(eval_cfg):
                eval_cfg.weight = None
        return self.from_config_dict(loss_cfg), self.from_config_dict(eval_cfg)

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        sample_rate = getattr(self.preprocessor, "_sample_rate", None)
        return {
            "input_signal": NeuralType(("B", "T"), AudioSignal(freq=sample_rate)),
            "input_signal_length": NeuralType(("B",), LengthsType()),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "logits": NeuralType(("B", "D"), LogitsType()),
            "embs": NeuralType(("B", "D"), AcousticEncodedRepresentation()),
        }

    @typecheck()
    def forward(self, input_signal: torch.Tensor, input_signal_length: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Speaker logits and embeddings of each utterance."""
        encoded, encoded_len = self._encode(input_signal, input_signal_length, None, None)
        return self.decoder(encoder_output=encoded, length=encoded_len)

    # -------------------------------------------------------------------------------------------- Lightning steps
    def training_step(self, batch: Sequence[torch.Tensor], batch_nb: int) -> Dict[str, Any]:
        signal, signal_len, labels, _ = batch
        logits, _ = self.forward(input_signal=signal, input_signal_length=signal_len)
        loss = self.loss(logits=logits, labels=labels)
        log: Dict[str, Any] = {
            "loss": loss.detach(),
            "training_batch_accuracy_top_1": (logits.argmax(dim=-1) == labels).float().mean(),
        }
        if self._optimizer is not None:
            log["learning_rate"] = self._optimizer.param_groups[0]["lr"]
        return {"loss": loss, "log": log}

    def _evaluation_summary(self, outputs: List[Dict[str, Any]], prefix: str) -> Dict[str, Any]:
        """Mean loss and micro top-1 accuracy over the epoch (NeMo's ``<tag>_acc_micro_top_1``)."""
        if not outputs:
            return {}
        loss = self._mean_over(outputs, f"{prefix}_loss")
        hits, total = (self._sum_over(outputs, f"{prefix}_{kind}_counts") for kind in ("correct", "total"))
        accuracy = hits / total
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_acc_micro_top_1": accuracy}}

    def _speaker_eval_step(self, batch: Sequence[torch.Tensor], tag: str) -> Dict[str, Any]:
        """Loss (without class weights) and top-1 hit counts, summed over the epoch by ``_evaluation_summary``."""
        signal, signal_len, labels, _ = batch
        logits, _ = self.forward(input_signal=signal, input_signal_length=signal_len)
        return {
            f"{tag}_loss": self.eval_loss(logits=logits, labels=labels).detach(),
            f"{tag}_correct_counts": (logits.argmax(dim=-1) == labels).sum(),
            f"{tag}_total_counts": torch.tensor(labels.numel(), device=labels.device),
        }

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._speaker_eval_step(batch, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._speaker_eval_step(batch, "test")

    # ------------------------------------------------------------------------------------------------------ data
    @staticmethod
    def extract_labels(data_layer_config: Any) -> List[str]:
        """The sorted distinct ``label`` values of a data config's manifests (within its duration limits)."""
        from nemo.collections.common.data.manifest import read_manifest

        entries = read_manifest(
            data_layer_config["manifest_filepath"],
            min_duration=data_layer_config.get("min_duration"),
            max_duration=data_layer_config.get("max_duration"),
            what="speaker manifest",
        )
        missing = next((entry for entry in entries if entry.label is None), None)
        if missing is not None:
            raise missing.error("missing key 'label': speaker manifests need the speaker's label on every line")
        labels = sorted({entry.label for entry in entries})
        logging.info(f"{len(labels)} speaker labels found in {data_layer_config['manifest_filepath']}")
        return labels

    @property
    def labels(self) -> Optional[List[str]]:
        """The training speakers, in the order of the decoder's classes (None before training data were set)."""
        train_ds = self._cfg.get("train_ds")
        labels = train_ds.get("labels") if train_ds is not None else None
        return [str(label) for label in labels] if labels else None

    def setup_training_data(self, train_data_config: Union[DictConfig, Dict]) -> None:
        """As ModelPT's, after filling a null ``labels`` from the manifest; ``decoder.num_classes`` must match."""
        config = OmegaConf.create(OmegaConf.to_container(OmegaConf.create(train_data_config)))
        if config.get("manifest_filepath") is not None and not config.get("labels"):
            config.labels = self.extract_labels(config)
        if config.get("labels") and len(config.labels) != self.decoder.num_classes:
            raise ValueError(
                f"train_ds.labels has {len(config.labels)} speakers but decoder.num_classes is "
                f"{self.decoder.num_classes}: set decoder.num_classes to the number of training speakers"
            )
        super().setup_training_data(config)

    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data.audio_to_label_dataset import get_speech_label_dataset
        from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer

        if not config.get("labels"):
            if self.labels is None:
                raise ValueError(
                    "speaker data config has no `labels` and the model has no training labels (train_ds.labels): "
                    "set up the training data first or give the labels"
                )
            config = OmegaConf.merge(config, {"labels": self.labels})
        featurizer = WaveformFeaturizer(
            sample_rate=config["sample_rate"],
            int_values=config.get("int_values", False),
            augmentor=self._augmentor(config),
        )
        return get_speech_label_dataset(featurizer=featurizer, config=config)

    # ------------------------------------------------------------------------------------------------ inference
    def _infer_files(self, paths2audio_files: Sequence[str], batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(logits, embs)`` of whole files (no cropping), batched with padding, on the CPU."""
        from nemo.collections.common.data.audio import load_audio

        if batch_size < 1:
            raise ValueError(f"{type(self).__name__}: batch_size must be >= 1, got {batch_size}")
        device = next(self.parameters()).device
        logits: List[torch.Tensor] = []
        embs: List[torch.Tensor] = []
        with self._inference_state():
            for start in range(0, len(paths2audio_files), batch_size):
                audio = [
                    torch.from_numpy(load_audio(path, self.preprocessor._sample_rate))
                    for path in paths2audio_files[start : start + batch_size]
                ]
                lengths = torch.tensor([len(a) for a in audio], device=device)
                signal = torch.nn.utils.rnn.pad_sequence(audio, batch_first=True).to(device)
                batch_logits, batch_embs = self.forward(input_signal=signal, input_signal_length=lengths)
                logits.append(batch_logits.cpu())
                embs.append(batch_embs.cpu())
        return torch.cat(logits), torch.cat(embs)

    def get_embedding(self, path2audio_file: str) -> torch.Tensor:
        """The speaker embedding ``(1, emb_size)`` of one audio file (whole file, resampled to the model's rate)."""
        return self._infer_files([path2audio_file], batch_size=1)[1]

    def get_embeddings(self, paths2audio_files: Sequence[str], batch_size: int = 8) -> torch.Tensor:
        """Speaker embeddings ``(N, emb_size)`` of many files, in order (batched; equal to ``get_embedding``'s)."""
        return self._infer_files(list(paths2audio_files), batch_size)[1]

    def verify_speakers(self, path2audio_file1: str, path2audio_file2: str, threshold: float = 0.7) -> bool:
        """Whether two files are from the same speaker: NeMo's score ``(cos(e1, e2) + 1) / 2`` >= ``threshold``."""
        embs = self.get_embeddings([path2audio_file1, path2audio_file2], batch_size=1)
        score = (torch.nn.functional.cosine_similarity(embs[0], embs[1], dim=0) + 1) / 2
        same = bool(score >= threshold)
        logging.info(f"two audio files are from {'the same speaker' if same else 'different speakers'}")
        return same

    def transcribe(self, paths2audio_files: List[str], batch_size: int = 4) -> List[str]:
        """The most likely training speaker of each file, in order."""
        if not paths2audio_files:
            return []
        labels = self.labels
        if labels is None:
            raise ValueError(f"{type(self).__name__}.transcribe: the model has no speaker labels (train_ds.labels)")
        logits, _ = self._infer_files(list(paths2audio_files), batch_size)
        return [labels[i] for i in logits.argmax(dim=-1).tolist()]

    def get_label(self, path2audio_file: str) -> str:
        """The most likely training speaker of one file (NeMo's ``get_label`` over the whole file)."""
        return self.transcribe([path2audio_file], batch_size=1)[0]
