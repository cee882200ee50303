"""``EncDecCTCModel``: preprocessor -> (SpecAugment) -> encoder -> CTC decoder over a character vocabulary."""

import copy
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nemo.collections.asr.losses.ctc import CTCLoss
from nemo.collections.asr.metrics.wer import WER
from nemo.collections.asr.models.asr_model import ASRModel, ExportableEncDecModel, ngc_model
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.neural_types import LabelsType, LengthsType, LogprobsType, NeuralType
from nemo.utils import logging

__all__ = ["EncDecCTCModel"]

_QUARTZNET_BASE_DESCRIPTION = (
    "QuartzNet15x5 model trained on six datasets: LibriSpeech, Mozilla Common Voice (validated clips from "
    "en_1488h_2019-12-10), WSJ, Fisher, Switchboard, and NSC Singapore English. It was trained with Apex/Amp "
    "optimization level O1 for 600 epochs. The model achieves a WER of 3.79% on LibriSpeech dev-clean, and a WER of "
    "10.05% on dev-other. Please visit https://ngc.nvidia.com/catalog/models/nvidia:nemospeechmodels for further details."
)


class EncDecCTCModel(ASRModel, ExportableEncDecModel):
    """Encoder-decoder CTC model (QuartzNet, Jasper, Citrinet with characters) built from a config.

    Config keys: ``preprocessor``, ``encoder``, ``decoder`` (``feat_in`` defaults to the encoder's output width),
    optional ``spec_augment``, ``ctc_reduction`` (``mean_batch``), ``use_cer``, ``log_prediction``, and the data
    configs ``train_ds``/``validation_ds``/``test_ds`` plus ``optim``.
    """

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """The character CTC checkpoints NVIDIA published on NGC for NeMo 1.0."""
        models = [
            PretrainedModelInfo(
                pretrained_model_name="QuartzNet15x5Base-En",
                description=_QUARTZNET_BASE_DESCRIPTION,
                location="https://api.ngc.nvidia.com/v2/models/nvidia/nemospeechmodels/versions/1.0.0a5/files/"
                "QuartzNet15x5Base-En.nemo",
            )
        ]
        names = ["stt_en_quartznet15x5", "stt_zh_quartznet15x5", "stt_en_jasper10x5dr"]
        names += [f"stt_{lang}_quartznet15x5" for lang in ("ca", "it", "fr", "es", "de", "pl", "ru")]
        names += ["stt_zh_citrinet_512"]
        models += [ngc_model(name, "1.0.0rc1") for name in names]
        models.append(ngc_model("asr_talknet_aligner", "1.0.0rc1", "qn5x5_libri_tts_phonemes.nemo"))
        return models

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self._build_front_end()
        with open_dict(self._cfg):
            if not self._cfg.decoder.get("feat_in") and hasattr(self.encoder, "_feat_out"):
                self._cfg.decoder.feat_in = self.encoder._feat_out
            if not self._cfg.decoder.get("feat_in"):
                raise ValueError("param feat_in of the decoder's config is not set!")
        self.decoder = EncDecCTCModel.from_config_dict(self._cfg.decoder)
        self.loss = self._make_loss()
        self._build_spec_augmentation()
        self._wer = self._make_wer()
        self.cfg = self._cfg  # keep the Lightning hyper-parameters in step with the completed config

    def _make_loss(self) -> CTCLoss:
        return CTCLoss(
            num_classes=self.decoder.num_classes_with_blank - 1,
            zero_infinity=True,
            reduction=self._cfg.get("ctc_reduction", "mean_batch"),
        )

    def _make_wer(self) -> WER:
        return WER(
            vocabulary=self.decoder.vocabulary,
            batch_dim_index=0,
            use_cer=self._cfg.get("use_cer", False),
            ctc_decode=True,
            dist_sync_on_step=True,
            log_prediction=self._cfg.get("log_prediction", False),
        )

    # ------------------------------------------------------------------------------------------------ forward
    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "outputs": NeuralType(("B", "T", "D"), LogprobsType()),
                "encoded_lengths": NeuralType(("B",), LengthsType()),
                "greedy_predictions": NeuralType(("B", "T"), LabelsType()),
            }
        )

    def _outputs(self, encoded: torch.Tensor, encoded_len: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``forward`` returns ``(log_probs, encoded_len, greedy_predictions)``."""
        log_probs = self.decoder(encoder_output=encoded)
        greedy_predictions = log_probs.argmax(dim=-1, keepdim=False)
        return log_probs, encoded_len, greedy_predictions

    # -------------------------------------------------------------------------------------------- Lightning steps
    def _loss_and_predictions(self, batch: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        signal, signal_len, transcript, transcript_len = batch
        log_probs, encoded_len, predictions = self.forward(input_signal=signal, input_signal_length=signal_len)
        loss = self.loss(
            log_probs=log_probs, targets=transcript, input_lengths=encoded_len, target_lengths=transcript_len
        )
        return loss, predictions, encoded_len, transcript, transcript_len

    def _batch_wer(self, predictions, encoded_len, transcript, transcript_len) -> Tuple[torch.Tensor, ...]:
        """``(wer, scores, words)`` of one batch of greedy predictions."""
        return self._compute_batch_wer(predictions, transcript, transcript_len, predictions_lengths=encoded_len)

    def training_step(self, batch: Sequence[torch.Tensor], batch_nb: int) -> Dict[str, Any]:
        loss, predictions, encoded_len, transcript, transcript_len = self._loss_and_predictions(batch)
        log = self._training_log(loss)
        if self._logs_batch_wer(batch_nb):
            log["training_batch_wer"] = self._batch_wer(predictions, encoded_len, transcript, transcript_len)[0]
        return {"loss": loss, "log": log}

    def _evaluation_step(self, batch: Sequence[torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
        loss, predictions, encoded_len, transcript, transcript_len = self._loss_and_predictions(batch)
        wer_outputs = self._wer_outputs(prefix, *self._batch_wer(predictions, encoded_len, transcript, transcript_len))
        return {f"{prefix}_loss": loss.detach(), **wer_outputs}

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> Dict:
        return self._evaluation_step(batch, "test")

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        from nemo.collections.asr.data import audio_to_text_dataset

        return audio_to_text_dataset.get_char_dataset(config=config, augmentor=self._augmentor(config))

    # ------------------------------------------------------------------------------------------------ inference
    def transcribe(
        self,
        paths2audio_files: List[str],
        batch_size: int = 4,
        logprobs: bool = False,
        return_hypotheses: bool = False,
        verbose: bool = True,
        chunk_len_in_secs: Optional[float] = None,
        long_audio_threshold_in_secs: Optional[float] = None,
    ) -> Union[List[str], List[np.ndarray], List[Hypothesis], Dict]:
        """Greedy CTC transcripts of audio files, in order.

        Files longer than ``long_audio_threshold_in_secs`` (default: the model attribute
        ``transcribe_long_audio_threshold_in_secs``, else 120 s; ``inf`` turns this off) are streamed from disk and
        decoded in overlapping windows of ``chunk_len_in_secs`` (default: ``transcribe_chunk_len_in_secs``, else 30 s)
        plus ``transcribe_chunk_context_in_secs`` (else 5 s) each side, with flat memory
        (``parts.buffered_transcription``); shorter files are decoded whole, batched longest first (files of similar
        length pad little) and returned in the order given. ``verbose=False`` hides the progress bars.

        ``logprobs=True`` returns each file's ``(T, V+1)`` log-probabilities as numpy arrays instead;
        ``return_hypotheses=True`` returns ``Hypothesis`` objects whose ``y_sequence`` holds those log-probabilities.
        The model's train/eval modes, the preprocessor's dither and pad_to, gradients and logging are restored.
        """
        if paths2audio_files is None or len(paths2audio_files) == 0:
            return {}
        if logprobs and return_hypotheses:
            raise ValueError(
                "Either `return_hypotheses` or `logprobs` can be True at any given time. "
                "Returned hypotheses will contain the logprobs."
            )
        from nemo.collections.asr.parts import buffered_transcription as buffered

        def decode_batch(signal: torch.Tensor, signal_len: torch.Tensor) -> List[Any]:
            log_probs, encoded_len, predictions = self.forward(input_signal=signal, input_signal_length=signal_len)
            if logprobs:
                return [log_probs[i, : encoded_len[i]].cpu().numpy() for i in range(log_probs.shape[0])]
            decoded = self._wer.ctc_decoder_predictions_tensor(
                predictions, predictions_len=encoded_len, return_hypotheses=return_hypotheses
            )
            if return_hypotheses:
                for i, hypothesis in enumerate(decoded):
                    hypothesis.y_sequence = log_probs[i, : encoded_len[i]].cpu().clone()
            return decoded

        options = dict(batch_size=batch_size, verbose=verbose, chunk_len_in_secs=chunk_len_in_secs)
        options.update(logprobs=logprobs, return_hypotheses=return_hypotheses)
        with self._inference_state():
            return buffered.transcribe_files(
                self,
                paths2audio_files,
                decode_batch,
                buffered.BufferedCTCTranscriber,
                options,
                long_audio_threshold_in_secs,
            )

    # ---------------------------------------------------------------------------------------------- vocabulary
    def change_vocabulary(self, new_vocabulary: List[str]) -> None:
        """Replace the decoder (fresh weights), loss and WER for ``new_vocabulary``; the encoder stays.

        Use it to fine-tune a pretrained encoder on another alphabet. The config (``decoder``, ``labels`` and the data
        configs' ``labels``) is updated; nothing changes when the vocabulary is the same.
        """
        if not self._is_new_vocabulary(new_vocabulary):
            return
        new_vocabulary = list(new_vocabulary)
        self._replace_decoder(new_vocabulary)
        self._write_labels(new_vocabulary)
        logging.info(f"Changed decoder to output to {self.decoder.vocabulary} vocabulary.")

    def _replace_decoder(self, vocabulary: List[str]) -> None:
        """A decoder (fresh weights), loss and WER for ``vocabulary``, on the model's device; ``cfg.decoder`` follows."""
        decoder_config = copy.deepcopy(self.decoder.to_config_dict())
        with open_dict(decoder_config):
            decoder_config.vocabulary = ListConfig(vocabulary)
            decoder_config.num_classes = len(vocabulary)
        device = next(self.decoder.parameters()).device
        del self.decoder
        self.decoder = EncDecCTCModel.from_config_dict(decoder_config).to(device)
        del self.loss
        self.loss = self._make_loss()
        self._wer = self._make_wer()
        with open_dict(self._cfg):
            self._cfg.decoder = OmegaConf.create(OmegaConf.to_container(decoder_config, resolve=True))
