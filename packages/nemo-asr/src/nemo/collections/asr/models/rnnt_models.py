"""``EncDecRNNTModel``: preprocessor -> (SpecAugment) -> encoder -> transducer (prediction network + joint) over
characters, trained with the RNN-T loss and decoded greedily or by beam search (NeMo's config keys)."""

import copy
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nemo.collections.asr.losses.rnnt import RNNTLoss
from nemo.collections.asr.metrics.rnnt_wer import RNNTWER
from nemo.collections.asr.models.asr_model import ASRModel
from nemo.collections.asr.modules.rnnt import RNNTDecoderJoint
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTDecoding, resolve_decoding_config
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.neural_types import AcousticEncodedRepresentation, LengthsType, NeuralType
from nemo.utils import logging

__all__ = ["EncDecRNNTModel"]


class EncDecRNNTModel(ASRModel):
    """Encoder-decoder transducer (RNN-T) model over characters, built from NeMo's config.

    Config keys: ``labels``; ``preprocessor``, ``encoder``, optional ``spec_augment``; ``decoder``
    (``RNNTDecoder``: ``prednet``; ``vocab_size`` is set from ``labels``); ``joint`` (``RNNTJoint``: ``jointnet``;
    ``num_classes``, ``vocabulary`` and ``jointnet.encoder_hidden``/``pred_hidden`` are set from ``labels`` and
    ``model_defaults.enc_hidden``/``pred_hidden``, which default to the encoder's output width and
    ``decoder.prednet.pred_hidden``); ``decoding`` (see ``parts.submodules.rnnt_decoding``; default greedy_batch);
    ``loss`` (``loss_name: default``; the numba loss's ``fastemit_lambda``/``clamp`` are not implemented and warned
    about); ``rnnt_reduction`` (``mean_batch``); ``compute_eval_loss`` (True); ``use_cer``, ``log_prediction``;
    ``variational_noise`` (``std``, ``start_step``) and ``normalize_joint_txu``/``normalize_encoder_norm``/
    ``normalize_decoder_norm``/``normalize_joint_norm``; the data configs ``train_ds``/``validation_ds``/``test_ds``
    (as ``EncDecCTCModel``'s) and ``optim``.
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """NeMo 1.x publishes its transducers as sub-word models (``EncDecRNNTBPEModel``); none are character ones."""
        return []

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self._build_front_end()
        self._complete_transducer_config()
        self.decoder = EncDecRNNTModel.from_config_dict(self._cfg.decoder)
        self.joint = EncDecRNNTModel.from_config_dict(self._cfg.joint)
        self.loss = self._make_loss()
        self._build_spec_augmentation()
        with open_dict(self._cfg):
            self._cfg.decoding = resolve_decoding_config(self._cfg.get("decoding"))
        self.decoding = self._make_decoding(self._cfg.decoding)
        self.joint.temperature = float(self._cfg.decoding.get("temperature", 1.0))
        self._wer = self._make_wer(
            use_cer=self._cfg.get("use_cer", False), log_prediction=self._cfg.get("log_prediction", True)
        )
        self.compute_eval_loss = bool(self._cfg.get("compute_eval_loss", True))
        self._setup_optim_normalization()
        self.cfg = self._cfg  # keep the Lightning hyper-parameters in step with the completed config

    # ------------------------------------------------------------------------------------------------- building
    def _vocabulary(self) -> List[str]:
        labels = self._cfg.get("labels")
        if labels is None:
            raise ValueError(f"{type(self).__name__}: the model config needs `labels` (the character vocabulary)")
        return list(labels)

    def _complete_transducer_config(self) -> None:
        """Fill the decoder's and joint's sizes from ``labels``, ``model_defaults`` and the encoder (as NeMo does)."""
        vocabulary = self._vocabulary()
        defaults = self._cfg.get("model_defaults") or {}
        with open_dict(self._cfg):
            self._cfg.decoder.vocab_size = len(vocabulary)
            self._cfg.joint.num_classes = len(vocabulary)
            self._cfg.joint.vocabulary = ListConfig(vocabulary)
            jointnet = self._cfg.joint.jointnet
            enc_hidden = defaults.get("enc_hidden") or jointnet.get("encoder_hidden")
            enc_hidden = enc_hidden or getattr(self.encoder, "_feat_out", None)
            if not enc_hidden:
                raise ValueError("Set model_defaults.enc_hidden (the encoder's output width) in the model config")
            jointnet.encoder_hidden = int(enc_hidden)
            pred_hidden = defaults.get("pred_hidden") or jointnet.get("pred_hidden")
            jointnet.pred_hidden = int(pred_hidden or self._cfg.decoder.prednet.pred_hidden)

    def _make_loss(self) -> RNNTLoss:
        loss_cfg = self._cfg.get("loss") or {}
        loss_name = loss_cfg.get("loss_name", "default")
        kwargs = loss_cfg.get(f"{'warprnnt_numba' if loss_name == 'default' else loss_name}_kwargs") or {}
        ignored = {key: kwargs[key] for key in ("fastemit_lambda", "clamp") if (kwargs.get(key) or 0) > 0}
        if ignored:
            logging.warning(f"{type(self).__name__}: loss options {ignored} are not implemented and are ignored")
        return RNNTLoss(
            num_classes=self.joint.num_classes_with_blank - 1 - self.joint.num_extra_outputs,
            loss_name=loss_name,
            reduction=self._cfg.get("rnnt_reduction", "mean_batch"),
        )

    def _make_decoding(self, decoding_cfg: DictConfig) -> Any:
        return RNNTDecoding(
            decoding_cfg=decoding_cfg, decoder=self.decoder, joint=self.joint, vocabulary=self.joint.vocabulary
        )

    def _make_wer(self, use_cer: bool, log_prediction: bool) -> RNNTWER:
        return RNNTWER(
            decoding=self.decoding,
            batch_dim_index=0,
            use_cer=use_cer,
            log_prediction=log_prediction,
            dist_sync_on_step=True,
        )

    @property
    def wer(self) -> RNNTWER:
        """The WER metric (its ``decoding`` is the model's)."""
        return self._wer

    def _setup_optim_normalization(self) -> None:
        noise = self._cfg.get("variational_noise") or {}
        self._optim_variational_noise_std = float(noise.get("std", 0) or 0)
        self._optim_variational_noise_start = int(noise.get("start_step", 0) or 0)
        self._optim_normalize_joint_txu = bool(self._cfg.get("normalize_joint_txu", False))
        self._optim_normalize_txu: Optional[Tuple[int, int]] = None
        self._optim_normalize_encoder_norm = bool(self._cfg.get("normalize_encoder_norm", False))
        self._optim_normalize_decoder_norm = bool(self._cfg.get("normalize_decoder_norm", False))
        self._optim_normalize_joint_norm = bool(self._cfg.get("normalize_joint_norm", False))

    # --------------------------------------------------------------------------------------------------- forward
    # ``forward`` (ASRModel's) returns ``(encoded [B, D, T], encoded_len)``: the encoder only, as the prediction
    # network and joint need the transcripts or a decoding loop.
    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "outputs": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
            "encoded_lengths": NeuralType(("B",), LengthsType()),
        }

    def _transducer_loss(
        self, encoded: torch.Tensor, encoded_len: torch.Tensor, transcript: torch.Tensor, transcript_len: torch.Tensor
    ) -> torch.Tensor:
        decoder, target_length, _ = self.decoder(targets=transcript, target_length=transcript_len)
        joint = self.joint(encoder_outputs=encoded, decoder_outputs=decoder)
        return self.loss(log_probs=joint, targets=transcript, input_lengths=encoded_len, target_lengths=target_length)

    # -------------------------------------------------------------------------------------------- Lightning steps
    def training_step(self, batch: Sequence[torch.Tensor], batch_nb: int) -> Dict[str, Any]:
        signal, signal_len, transcript, transcript_len = batch[:4]
        encoded, encoded_len = self.forward(input_signal=signal, input_signal_length=signal_len)
        loss = self._transducer_loss(encoded, encoded_len, transcript, transcript_len)
        log = self._training_log(loss)
        if self._logs_batch_wer(batch_nb):
            log["training_batch_wer"] = self._compute_batch_wer(encoded, encoded_len, transcript, transcript_len)[0]
        if self._optim_normalize_joint_txu:
            self._optim_normalize_txu = (int(encoded_len.max()), int(transcript_len.max()))
        return {"loss": loss, "log": log}

    def _evaluation_step(self, batch: Sequence[torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
        signal, signal_len, transcript, transcript_len = batch[:4]
        encoded, encoded_len = self.forward(input_signal=signal, input_signal_length=signal_len)
        out: Dict[str, torch.Tensor] = {}
        if self.compute_eval_loss:
            out[f"{prefix}_loss"] = self._transducer_loss(encoded, encoded_len, transcript, transcript_len).detach()
        out.update(
            self._wer_outputs(prefix, *self._compute_batch_wer(encoded, encoded_len, transcript, transcript_len))
        )
        return out

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "test")

    def on_after_backward(self) -> None:
        """NeMo's optional gradient treatments: variational noise on the prediction network and the normalizations."""
        super().on_after_backward()
        if self._optim_variational_noise_std > 0 and self.global_step >= self._optim_variational_noise_start:
            for param in self.decoder.parameters():
                if param.grad is not None:
                    param.grad.add_(torch.randn_like(param.grad) * self._optim_variational_noise_std)
        if self._optim_normalize_joint_txu and self._optim_normalize_txu is not None:
            frames, labels = self._optim_normalize_txu
            for module, factor in ((self.encoder, labels), (self.decoder, frames)):
                for param in module.parameters():
                    if param.grad is not None:
                        param.grad.div_(max(1, factor))
        for flag, module in (
            (self._optim_normalize_encoder_norm, self.encoder),
            (self._optim_normalize_decoder_norm, self.decoder),
            (self._optim_normalize_joint_norm, self.joint),
        ):
            if flag:
                for param in module.parameters():
                    if param.grad is not None:
                        param.grad.div_(param.grad.norm())

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data import audio_to_text_dataset

        return audio_to_text_dataset.get_char_dataset(config=config, augmentor=self._augmentor(config))

    def _output_vocabulary(self) -> List[str]:
        """The labels the joint emits."""
        return list(self.joint.vocabulary or [])

    # ------------------------------------------------------------------------------------------------ inference
    def transcribe(
        self,
        paths2audio_files: List[str],
        batch_size: int = 4,
        return_hypotheses: bool = False,
        partial_hypothesis: Optional[List[Hypothesis]] = None,
        verbose: bool = True,
        chunk_len_in_secs: Optional[float] = None,
        long_audio_threshold_in_secs: Optional[float] = None,
    ) -> Union[List[str], List[Hypothesis], Dict]:
        """Transcripts of audio files, in order, with the model's ``decoding`` strategy (greedy_batch by default).

        One result per file: its text, or with ``return_hypotheses`` its ``Hypothesis`` (label ids in ``y_sequence``,
        frames in ``timestep``, ``score``, ``text``). With beam search and ``return_best_hypothesis: false`` this is
        still the best hypothesis; ``decoding.rnnt_decoder_predictions_tensor`` gives them all. (NeMo 1.0 returned
        such a list; NeMo 1.4-1.23 returned a ``(best, all)`` tuple.) Modes, dither, pad_to, gradients and logging
        are restored afterwards; ``verbose=False`` hides the progress bars.

        Files longer than ``long_audio_threshold_in_secs`` (default: the model attribute
        ``transcribe_long_audio_threshold_in_secs``, else 120 s; ``inf`` turns this off) are streamed from disk in
        overlapping windows of ``chunk_len_in_secs`` (default: ``transcribe_chunk_len_in_secs``, else 30 s) plus
        ``transcribe_chunk_context_in_secs`` (else 5 s) each side and decoded greedily with the prediction network's
        state carried across windows, with flat memory (``parts.buffered_transcription``); shorter files are batched
        longest first (files of similar length pad little) and returned in the order given.
        """
        if paths2audio_files is None or len(paths2audio_files) == 0:
            return {}
        if partial_hypothesis is not None:
            raise NotImplementedError(f"{type(self).__name__}.transcribe: partial_hypothesis is not supported")
        from nemo.collections.asr.parts import buffered_transcription as buffered

        def decode_batch(signal: torch.Tensor, signal_len: torch.Tensor) -> List[Any]:
            encoded, encoded_len = self.forward(input_signal=signal, input_signal_length=signal_len)
            best, _ = self.decoding.rnnt_decoder_predictions_tensor(
                encoded, encoded_len, return_hypotheses=return_hypotheses
            )
            return best

        options = dict(
            batch_size=batch_size,
            return_hypotheses=return_hypotheses,
            verbose=verbose,
            chunk_len_in_secs=chunk_len_in_secs,
        )
        with self._inference_state(), self.joint.as_frozen():
            return buffered.transcribe_files(
                self,
                paths2audio_files,
                decode_batch,
                buffered.BufferedRNNTTranscriber,
                options,
                long_audio_threshold_in_secs,
            )

    # ------------------------------------------------------------------------------------------ decoding / vocabulary
    def change_decoding_strategy(self, decoding_cfg: Optional[DictConfig] = None, verbose: bool = True) -> None:
        """Decode with ``decoding_cfg`` from now on (None: the current ``cfg.decoding``); the WER metric follows."""
        if decoding_cfg is None:
            logging.info("No `decoding_cfg` passed when changing decoding strategy, using internal config")
            decoding_cfg = self._cfg.decoding
        decoding_cfg = resolve_decoding_config(decoding_cfg)
        self.decoding = self._make_decoding(decoding_cfg)
        self._wer = self._make_wer(use_cer=self._wer.use_cer, log_prediction=self._wer.log_prediction)
        self.joint.temperature = float(decoding_cfg.get("temperature", 1.0))
        with open_dict(self._cfg):
            self._cfg.decoding = decoding_cfg
        self.cfg = self._cfg
        if verbose:
            logging.info(f"Changed decoding strategy to \n{OmegaConf.to_yaml(self._cfg.decoding)}")

    def change_vocabulary(self, new_vocabulary: List[str], decoding_cfg: Optional[DictConfig] = None) -> None:
        """New prediction network and joint (fresh weights), loss, decoding and WER for ``new_vocabulary``.

        The preprocessor and encoder stay, so a trained encoder can be fine-tuned on another alphabet. ``labels``,
        ``decoder``, ``joint``, ``decoding`` and the data configs' ``labels`` are updated (so a saved model restores
        with the new vocabulary); nothing changes when the vocabulary is the same.
        """
        if not self._is_new_vocabulary(new_vocabulary):
            return
        new_vocabulary = list(new_vocabulary)
        self._replace_transducer(new_vocabulary, decoding_cfg)
        self._write_labels(new_vocabulary)
        logging.info(f"Changed decoder to output to {self.joint.vocabulary} vocabulary.")

    def _replace_transducer(self, vocabulary: List[str], decoding_cfg: Optional[DictConfig]) -> None:
        """Rebuild decoder, joint, loss, decoding and WER for ``vocabulary`` (on the model's device)."""
        device = next(self.joint.parameters()).device
        joint_cfg = copy.deepcopy(self.joint.to_config_dict())
        decoder_cfg = copy.deepcopy(self.decoder.to_config_dict())
        with open_dict(joint_cfg), open_dict(decoder_cfg):
            joint_cfg.vocabulary = ListConfig(vocabulary)
            joint_cfg.num_classes = len(vocabulary)
            decoder_cfg.vocab_size = len(vocabulary)
        del self.joint, self.decoder, self.loss
        self.joint = EncDecRNNTModel.from_config_dict(joint_cfg).to(device)
        self.decoder = EncDecRNNTModel.from_config_dict(decoder_cfg).to(device)
        self.loss = self._make_loss()
        with open_dict(self._cfg):
            self._cfg.joint = OmegaConf.create(OmegaConf.to_container(joint_cfg, resolve=True))
            self._cfg.decoder = OmegaConf.create(OmegaConf.to_container(decoder_cfg, resolve=True))
        self.change_decoding_strategy(decoding_cfg if decoding_cfg is not None else self._cfg.decoding, verbose=False)

    # ----------------------------------------------------------------------------------------------------- export
    def list_export_subnets(self) -> List[str]:
        """The parts ``export`` writes: the encoder and the prediction network with the joint."""
        return ["encoder", "decoder_joint"]

    @property
    def decoder_joint(self) -> RNNTDecoderJoint:
        """The prediction network and joint as one exportable module (sharing this model's weights)."""
        return RNNTDecoderJoint(self.decoder, self.joint)

    def export(self, output: str, **kwargs: Any) -> Tuple[List[str], List[str]]:
        """Export each of ``list_export_subnets()`` to ``<dir>/<subnet>-<name>`` (NeMo's naming); ``kwargs`` go to
        each part's ``export`` (ONNX for ``.onnx``, TorchScript for ``.ts``/``.pt``)."""
        folder, name = os.path.split(output)
        outputs: List[str] = []
        descriptions: List[str] = []
        for subnet in self.list_export_subnets():
            files, described = getattr(self, subnet).export(os.path.join(folder, f"{subnet}-{name}"), **kwargs)
            outputs += files
            descriptions += described
        return outputs, descriptions
