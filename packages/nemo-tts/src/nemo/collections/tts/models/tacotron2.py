"""``Tacotron2Model``: text to mel spectrogram with an autoregressive, attention-based decoder (Shen et al. 2018).

Tokens are embedded, encoded by convolutions and a BiLSTM, and decoded one mel frame at a time through
location-sensitive attention; a postnet refines the frames and a stop gate ends decoding. Training is teacher-forced;
validation decodes freely (as NeMo 1 does), so ``val_loss`` measures what inference produces. A teacher-forced
``val_mel_loss`` (postnet mel MSE on the real frames) is logged next to it: it is the smoother curve to compare runs.

The prenet's dropout is on at inference too (it is part of the model), so ``generate_spectrogram`` draws from torch's
global random generator: seed it (``torch.manual_seed``) for reproducible spectrograms.
"""

import math
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch
from omegaconf import DictConfig, open_dict

from nemo.collections.tts.losses.tacotron2loss import Tacotron2Loss
from nemo.collections.tts.models._common import tensorboard_experiment
from nemo.collections.tts.models.base import SpectrogramGenerator, ngc_model
from nemo.collections.tts.modules.tacotron2 import get_mask_from_lengths
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.construction import build_from_config
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import (
    AudioSignal,
    EmbeddedTextType,
    LengthsType,
    LogitsType,
    MelSpectrogramType,
    NeuralType,
    SequenceToSequenceAlignmentType,
)

__all__ = ["Tacotron2Model"]

_DEFAULT_TOKENIZER = "nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer"

_Outputs = Tuple[torch.Tensor, ...]


class Tacotron2Model(SpectrogramGenerator):
    """Tacotron 2. Config keys: ``text_tokenizer`` (``_target_`` of a tokenizer from
    ``nemo.collections.tts.parts.text.tokenizers``; English characters when absent), ``preprocessor`` (a
    ``MelSpectrogram``, for batches without cached mels and for ``forward(audio=...)``), ``encoder``, ``decoder``,
    ``postnet`` (``_target_`` nodes of ``nemo.collections.tts.modules.tacotron2``), ``pad_value`` (the log-mel of
    silence; the preprocessor's floor by default), ``train_ds``/``validation_ds`` (``dataset`` + ``dataloader_params``)
    and ``optim``."""

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """NVIDIA's Tacotron 2 for NeMo 1.0, trained on LJSpeech at 22050 Hz."""
        return [
            ngc_model(
                "tts_en_tacotron2",
                "1.0.0rc1",
                "This model is trained on LJSpeech sampled at 22050Hz, and can be used to generate female English "
                "voices with an American accent.",
                aliases=["Tacotron2-22050Hz"],
            )
        ]

    nested_data_config = True  # NeMo TTS data configs: {dataset: {_target_: ...}, dataloader_params: {...}}

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        from nemo.collections.tts.data.tts_dataset import build_text_tokenizer

        super().__init__(cfg=cfg, trainer=trainer)
        self.tokenizer = build_text_tokenizer(self._cfg.get("text_tokenizer"))  # fixes the embedding size

        if self._cfg.get("text_tokenizer") is None:  # record the default, so a restored model tokenizes the same way
            with open_dict(self._cfg):
                self._cfg.text_tokenizer = {"_target_": _DEFAULT_TOKENIZER}

        self.audio_to_melspec_precessor = build_from_config(self._cfg.preprocessor, MelSpectrogram, "preprocessor")
        self.pad_value = float(self._cfg.get("pad_value", self.audio_to_melspec_precessor.pad_value))
        self.encoder = Tacotron2Model.from_config_dict(self._cfg.encoder)
        self.decoder = Tacotron2Model.from_config_dict(self._cfg.decoder)
        self.postnet = Tacotron2Model.from_config_dict(self._cfg.postnet)
        self._check_dimensions()
        embedding_dim = self._cfg.encoder.encoder_embedding_dim
        self.text_embedding = torch.nn.Embedding(len(self.tokenizer.tokens), embedding_dim)
        bound = math.sqrt(3.0) * math.sqrt(2.0 / (len(self.tokenizer.tokens) + embedding_dim))
        self.text_embedding.weight.data.uniform_(-bound, bound)
        self.loss = Tacotron2Loss()
        self.calculate_loss = True
        self.cfg = self._cfg  # keep the Lightning hyper-parameters in step with the completed config

    def _check_dimensions(self) -> None:
        n_mels = self.audio_to_melspec_precessor.n_mels
        checks = [
            ("decoder.n_mel_channels", self.decoder.n_mel_channels, "preprocessor.n_mels", n_mels),
            ("postnet.n_mel_channels", self._cfg.postnet.n_mel_channels, "preprocessor.n_mels", n_mels),
            (
                "decoder.encoder_embedding_dim",
                self.decoder.encoder_embedding_dim,
                "encoder.encoder_embedding_dim",
                self._cfg.encoder.encoder_embedding_dim,
            ),
        ]
        for key, value, other_key, other in checks:
            if value != other:
                raise ValueError(f"Tacotron2Model: `{key}` ({value}) must equal `{other_key}` ({other})")

    # ---------------------------------------------------------------------------------------------- forward
    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict(
            {
                "tokens": NeuralType(("B", "T"), EmbeddedTextType()),
                "token_len": NeuralType(("B",), LengthsType()),
                "audio": NeuralType(("B", "T"), AudioSignal(), optional=True),
                "audio_len": NeuralType(("B",), LengthsType(), optional=True),
            }
        )

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        mel = NeuralType(("B", "D", "T"), MelSpectrogramType())
        head = OrderedDict(
            {"spec_pred_dec": mel, "spec_pred_postnet": mel, "gate_pred": NeuralType(("B", "T"), LogitsType())}
        )
        alignments = NeuralType(("B", "T", "T"), SequenceToSequenceAlignmentType())
        if not self.calculate_loss and not self.training:
            return OrderedDict({**head, "alignments": alignments, "pred_length": NeuralType(("B",), LengthsType())})
        return OrderedDict(
            {
                **head,
                "spec_target": mel,
                "spec_target_len": NeuralType(("B",), LengthsType()),
                "alignments": alignments,
            }
        )

    @typecheck()
    def forward(
        self,
        *,
        tokens: torch.Tensor,
        token_len: torch.Tensor,
        audio: Optional[torch.Tensor] = None,
        audio_len: Optional[torch.Tensor] = None,
    ) -> _Outputs:
        """NeMo 1's forward: in training, teacher-forced on the mel of ``audio``; in eval, free-running.

        Returns ``(spec_pred_dec, spec_pred_postnet, gate_pred, spec_target, spec_target_len, alignments)`` while
        ``calculate_loss`` (or training), else ``(spec_pred_dec, spec_pred_postnet, gate_pred, alignments,
        pred_length)``.
        """
        needs_target = self.training or self.calculate_loss
        if needs_target and (audio is None or audio_len is None):
            raise ValueError(
                "Tacotron2Model.forward: `audio` and `audio_len` are needed in training and while calculate_loss is "
                "True (the mel target comes from them)"
            )
        spec_target = spec_target_len = None
        if audio is not None and audio_len is not None:
            spec_target, spec_target_len = self.audio_to_melspec_precessor(audio, audio_len)
        if self.training:
            dec, post, gate, alignments = self._teacher_forced(tokens, token_len, spec_target)
        else:
            dec, post, gate, alignments, pred_length = self._free_running(tokens, token_len)
            if not self.calculate_loss:
                return dec, post, gate, alignments, pred_length
        return dec, post, gate, spec_target, spec_target_len, alignments

    def _encode(self, tokens: torch.Tensor, token_len: torch.Tensor) -> torch.Tensor:
        token_embedding = self.text_embedding(tokens).transpose(1, 2)
        return self.encoder(token_embedding=token_embedding, token_len=token_len)

    def _teacher_forced(self, tokens: torch.Tensor, token_len: torch.Tensor, spec: torch.Tensor) -> _Outputs:
        """``(dec, postnet, gate, alignments)`` predicting each target frame from the previous one."""
        memory = self._encode(tokens, token_len)
        dec, gate, alignments = self.decoder.train_forward(memory=memory, decoder_inputs=spec, memory_lengths=token_len)
        return dec, self.postnet(mel_spec=dec), gate, alignments

    def _free_running(self, tokens: torch.Tensor, token_len: torch.Tensor) -> _Outputs:
        """``(dec, postnet, gate, alignments, lengths)`` decoding until the gate fires or max_decoder_steps."""
        memory = self._encode(tokens, token_len)
        dec, gate, alignments, lengths = self.decoder.infer(memory=memory, memory_lengths=token_len)
        return dec, self.postnet(mel_spec=dec), gate, alignments, lengths

    # --------------------------------------------------------------------------------------------- inference
    def parse(self, str_input: str, **kwargs: Any) -> torch.Tensor:
        """Token ids ``[1, T]`` of ``str_input`` from the model's tokenizer (which normalizes the text)."""
        tokens = self.tokenizer.encode(str_input)
        if not tokens:
            raise ValueError(f"Tacotron2Model.parse: {str_input!r} has no speakable tokens")
        return torch.tensor(tokens, dtype=torch.long, device=self.device).unsqueeze(0)

    @typecheck(
        input_types={"tokens": NeuralType(("B", "T"), EmbeddedTextType())},
        output_types={"spec": NeuralType(("B", "D", "T"), MelSpectrogramType())},
    )
    def generate_spectrogram(self, *, tokens: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Postnet log-mels ``[B, n_mels, T]`` of padded token ids ``[B, T]``; frames after each item's end (its gate)
        hold ``pad_value``. The prenet's dropout draws from torch's RNG: seed it for reproducible output."""
        pad = int(getattr(self.tokenizer, "pad", 0))
        is_token = (tokens != pad).long()
        positions = torch.arange(1, tokens.shape[1] + 1, device=tokens.device)
        token_len = (is_token * positions).max(dim=1).values.clamp_min(1)  # last non-pad position
        training, calculate_loss = self.training, self.calculate_loss
        self.eval()
        self.calculate_loss = False
        try:
            with torch.no_grad():
                _, spec, _, _, lengths = self._free_running(tokens, token_len)
        finally:
            self.calculate_loss = calculate_loss
            self.train(training)
        valid = get_mask_from_lengths(lengths.clamp_min(1).long(), max_len=spec.shape[2])
        return spec.masked_fill(~valid.unsqueeze(1), self.pad_value)

    # -------------------------------------------------------------------------------------------- Lightning
    def _unpack(self, batch: Any) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(tokens, token_len, mel target, mel lengths)`` of a TTSDataset dict batch or an
        ``(audio, audio_len, tokens, token_len)`` tuple (NeMo 1's layout); mels are computed when not cached."""
        if isinstance(batch, Mapping):
            tokens, token_len = batch["text"], batch["text_lens"]
            if batch.get("log_mel") is not None:
                return tokens, token_len, batch["log_mel"], batch["log_mel_lens"]
            audio, audio_len = batch["audio"], batch["audio_lens"]
        else:
            audio, audio_len, tokens, token_len = batch[:4]
        spec, spec_len = self.audio_to_melspec_precessor(audio, audio_len)
        return tokens, token_len, spec, spec_len

    def _mel_and_gate_loss(
        self, dec: torch.Tensor, post: torch.Tensor, gate: torch.Tensor, spec: torch.Tensor, spec_len: torch.Tensor
    ) -> torch.Tensor:
        """``Tacotron2Loss`` of decoder and postnet mels and gate logits against the target mel (padding excluded)."""
        loss, _ = self.loss(
            spec_pred_dec=dec,
            spec_pred_postnet=post,
            gate_pred=gate,
            spec_target=spec,
            spec_target_len=spec_len,
            pad_value=self.pad_value,
        )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> Dict[str, Any]:
        tokens, token_len, spec, spec_len = self._unpack(batch)
        dec, post, gate, _ = self._teacher_forced(tokens, token_len, spec)
        loss = self._mel_and_gate_loss(dec, post, gate, spec, spec_len)
        self.log("train_loss", loss.detach(), on_step=True, prog_bar=True, batch_size=tokens.shape[0])
        if self._optimizer is not None:
            self.log("lr", float(self._optimizer.param_groups[0]["lr"]), on_step=True, batch_size=tokens.shape[0])
        return {"loss": loss}

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> Dict[str, Any]:
        tokens, token_len, spec, spec_len = self._unpack(batch)
        dec, post, gate, alignments, pred_len = self._free_running(tokens, token_len)
        loss = self._mel_and_gate_loss(dec, post, gate, spec, spec_len)
        _, post_tf, _, alignments_tf = self._teacher_forced(tokens, token_len, spec)
        valid = get_mask_from_lengths(spec_len.to(spec.device), max_len=spec.shape[2]).unsqueeze(1)
        squared = ((post_tf - spec) ** 2) * valid
        output: Dict[str, Any] = {
            "val_loss": loss.detach(),
            "mel_sq_sum": squared.sum().detach(),
            "mel_count": valid.sum().detach() * spec.shape[1],
        }
        if batch_idx == 0:
            length, tokens_0 = int(spec_len[0]), int(token_len[0])
            output["images"] = {
                "mel_target": spec[0, :, :length].detach(),
                "mel_predicted": post[0, :, : max(1, int(pred_len[0]))].detach(),
                "alignment": alignments[0, : max(1, int(pred_len[0])), :tokens_0].detach().T,
                "alignment_teacher_forced": alignments_tf[0, :length, :tokens_0].detach().T,
            }
        return output

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Dict[str, Any]:
        """Mean free-running ``val_loss``; ``val_mel_loss`` over all real frames; images to TensorBoard."""
        if not outputs:
            return {}
        val_loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        mel_loss = torch.stack([o["mel_sq_sum"] for o in outputs]).sum() / torch.stack(
            [o["mel_count"] for o in outputs]
        ).sum().clamp_min(1)
        images = next((o["images"] for o in outputs if "images" in o), None)
        if images is not None and dataloader_idx == 0:
            self._log_images(images)
        return {"val_loss": val_loss, "log": {"val_loss": val_loss, "val_mel_loss": mel_loss}}

    def _log_images(self, images: Dict[str, torch.Tensor]) -> None:
        experiment = tensorboard_experiment(self)
        if experiment is None:
            return
        from nemo.collections.tts.parts.plotting import plot_alignment_to_numpy, plot_spectrogram_to_numpy

        step = self.global_step
        for name, value in images.items():
            plot = plot_alignment_to_numpy if name.startswith("alignment") else plot_spectrogram_to_numpy
            experiment.add_image(f"val_{name}", plot(value.float().cpu()), step, dataformats="HWC")

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        """The ``dataset`` node of a TTS data config; it gets the model's tokenizer unless it names its own."""
        extra = {} if config.get("text_tokenizer") is not None else {"text_tokenizer": self.tokenizer}
        return build_from_config(config, torch.utils.data.Dataset, "dataset", **extra)
