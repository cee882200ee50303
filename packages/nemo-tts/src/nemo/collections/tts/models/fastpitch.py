"""``FastPitchModel``: parallel text-to-mel with explicit durations and pitch, trained with a learned aligner.

The network is NVIDIA NeMo 3's (``modules.transformer``, ``modules.fastpitch``, ``modules.aligner``), built from the
config's ``_target_`` nodes through ``build_from_config`` as NeMo's configs name them: ``input_fft``
(``FFTransformerEncoder``; the model adds ``n_embed`` and ``padding_idx`` from its tokenizer), ``output_fft``
(``FFTransformerDecoder``), ``duration_predictor`` and ``pitch_predictor`` (``TemporalPredictor``),
``alignment_module`` (``AlignmentEncoder``) and ``preprocessor`` (NeMo's ASR ``AudioToMelSpectrogramPreprocessor`` is
built as ``nemo.collections.tts.parts.preprocessor.AudioToMelSpectrogramPreprocessor``). So NeMo's FastPitch archives
restore here with ``strict=True`` and give NeMo's mels, durations and pitch, and ours restore in NeMo.

Other config keys (``model:`` node of ``examples/tts/conf/fastpitch.yaml``): ``symbols_embedding_dim``,
``pitch_embedding_kernel_size``, ``n_speakers`` (> 1: a speaker table added to the encoder input, as NeMo),
``speaker_emb_condition_prosody``/``_decoder``/``_aligner``, ``min_token_duration``/``max_token_duration``, mel
settings (``sample_rate``, ``n_mel_channels``, ``n_fft``, ``n_window_size``, ``n_window_stride``, ``lowfreq``,
``highfreq``; the datasets get them), ``pitch_mean``/``pitch_std`` (Hz over voiced frames; null = computed from the
training set, also kept in the ``fastpitch.pitch_mean``/``pitch_std`` buffers), ``text_tokenizer`` (a ``_target_``
node), loss settings (``mel_loss``: l2 or l1, ``dur_loss_scale``, ``pitch_loss_scale``, ``aligner_loss_scale``,
``bin_loss_scale``, ``bin_loss_start_step``, ``bin_loss_warmup_steps``), ``log_audio`` (Griffin-Lim audio in
TensorBoard), and ``train_ds``/``validation_ds`` as ``{dataset: {_target_: ...TTSDataset, ...}, dataloader_params:
{...}}`` plus ``optim``. Training reads the datasets' cached log-mels when they have them (``sup_data_types``
``log_mel``), else computes them with ``preprocessor``. Keys of NeMo's configs that only its data pipeline or logging
read (``learn_alignment`` must be true, ``bin_loss_warmup_epochs``, ``text_normalizer``...) are accepted; ``energy_predictor``
and ``speaker_encoder`` are refused.
"""

import contextlib
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.tts.models.base import SpectrogramGenerator, ngc_model
from nemo.collections.tts.modules.aligner import AlignmentEncoder, BinLoss, ForwardSumLoss, beta_binomial_prior
from nemo.collections.tts.modules.fastpitch import FastPitchModule, TemporalPredictor, lengths_to_mask
from nemo.collections.tts.modules.transformer import FFTransformerDecoder, FFTransformerEncoder
from nemo.collections.tts.parts.preprocessor import NEMO_PREPROCESSOR_PATHS, AudioToMelSpectrogramPreprocessor
from nemo.collections.tts.parts.text import nemo_chars  # noqa: F401  (registers NeMo's character tokenizer path)
from nemo.core.classes.construction import build_from_config, register_renamed_target, scoped_renames
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType
from nemo.core.neural_types.elements import (
    Index,
    LengthsType,
    LogprobsType,
    MelSpectrogramType,
    ProbabilityDistributionSamplesType,
    RegressionValuesType,
    SequenceToSequenceAlignmentType,
    TokenDurationType,
    TokenIndex,
    TokenLogDurationType,
    VoidType,
)
from nemo.utils import logging

__all__ = ["FastPitchModel"]

# dataset/mel argument -> model config key (NeMo's FastPitch config names)
_MEL_KEYS = {"sample_rate": "sample_rate", "n_fft": "n_fft", "win_length": "n_window_size",
             "hop_length": "n_window_stride", "n_mels": "n_mel_channels", "fmin": "lowfreq", "fmax": "highfreq"}  # fmt: skip
_DEFAULT_TOKENIZER = {"_target_": "nemo.collections.tts.parts.text.tokenizers.EnglishPhonemesTokenizer"}
# the network's nodes: config key -> the class it must build
_NODES = {"input_fft": FFTransformerEncoder, "output_fft": FFTransformerDecoder, "duration_predictor": TemporalPredictor,
          "pitch_predictor": TemporalPredictor, "alignment_module": AlignmentEncoder}  # fmt: skip
# NeMo's FastPitch datasets (NeMo 1.8-3: ``...data.dataset``; 1.5-1.7: ``...torch.data``), named in its archives
for _old in ("nemo.collections.tts.data.dataset.TTSDataset", "nemo.collections.tts.torch.data.TTSDataset"):
    register_renamed_target(_old, "nemo.collections.tts.data.tts_dataset.TTSDataset")


class FastPitchModel(SpectrogramGenerator):
    """FastPitch (Łańcucki, 2021) with the unsupervised alignment of Badlani et al. (2021), in NeMo 3's layout."""

    nested_data_config = True  # NeMo TTS data configs: {dataset: {_target_: ...}, dataloader_params: {...}}
    archive_target_renames = NEMO_PREPROCESSOR_PATHS

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self._tokenizer: Any = None
        cfg = self._cfg
        refused = [key for key in ("energy_predictor", "speaker_encoder") if cfg.get(key) is not None]
        if refused or not cfg.get("learn_alignment", True):
            raise ValueError(
                f"FastPitchModel: {refused or ['learn_alignment: false']} not supported here; this FastPitch learns "
                "its durations with `alignment_module` and has no energy predictor or speaker encoder"
            )
        missing = [key for key in (*_NODES, "preprocessor") if cfg.get(key) is None]
        if missing:
            old = " (an `alignment` node: nemo-tts 0.1's layout, whose archives do not restore here)" * (
                cfg.get("alignment") is not None
            )
            raise ValueError(
                f"FastPitchModel: config keys {missing} are missing{old}; see examples/tts/conf/fastpitch.yaml"
            )
        tokenizer = self.tokenizer
        nodes = {key: self._build_node(key, base) for key, base in _NODES.items() if key != "input_fft"}
        encoder = self._build_node("input_fft", FFTransformerEncoder, n_embed=len(tokenizer), padding_idx=tokenizer.pad)
        self.aligner = nodes["alignment_module"]  # registered at the top too, as NeMo does (both names are saved)
        self.preprocessor = self._build_preprocessor(cfg.preprocessor)
        n_speakers = int(cfg.get("n_speakers", 1) or 1)
        conditioned = (  # NeMo's way of conditioning parts on the speaker table: "add" it to their inputs
            ([encoder], n_speakers > 1),
            ([nodes["duration_predictor"], nodes["pitch_predictor"]], cfg.get("speaker_emb_condition_prosody", False)),
            ([nodes["output_fft"]], cfg.get("speaker_emb_condition_decoder", False)),
            ([self.aligner], cfg.get("speaker_emb_condition_aligner", False)),
        )
        for modules, wanted in conditioned:
            for module in modules if wanted else ():
                if "add" not in module.cond_input.condition_types:
                    module.cond_input.condition_types.append("add")
        self.fastpitch = FastPitchModule(
            encoder,
            nodes["output_fft"],
            nodes["duration_predictor"],
            nodes["pitch_predictor"],
            self.aligner,
            n_speakers=n_speakers,
            symbols_embedding_dim=int(cfg.get("symbols_embedding_dim", encoder.d_model)),
            pitch_embedding_kernel_size=int(cfg.get("pitch_embedding_kernel_size", 3)),
            n_mel_channels=int(cfg.get("n_mel_channels", 80)),
            min_token_duration=int(cfg.get("min_token_duration", 0)),
            max_token_duration=int(cfg.get("max_token_duration", 75)),
        )
        self._store_pitch_stats()
        self.forward_sum_loss = ForwardSumLoss()
        self.bin_loss = BinLoss()
        self._validation_images: Optional[Dict[str, torch.Tensor]] = None
        self._vocoder: Any = None

    def _build_node(self, key: str, base: type, **extra: Any) -> torch.nn.Module:
        return build_from_config(self._cfg[key], base, key, **extra)

    @staticmethod
    def _build_preprocessor(node: DictConfig) -> AudioToMelSpectrogramPreprocessor:
        """NeMo's ASR class path is read as the TTS front end for this model only (see ``parts.preprocessor`` for
        why not through the process-wide rename table); ``restore_from`` applies the same renames."""
        with scoped_renames(NEMO_PREPROCESSOR_PATHS):
            return build_from_config(node, AudioToMelSpectrogramPreprocessor, "preprocessor")

    def _store_pitch_stats(self) -> None:
        mean, std = self._cfg.get("pitch_mean"), self._cfg.get("pitch_std")
        if mean is not None and std is not None:
            self.fastpitch.pitch_mean.fill_(float(mean))
            self.fastpitch.pitch_std.fill_(float(std))

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """NeMo 1.0's published FastPitch checkpoint (LJSpeech, 22050 Hz)."""
        description = (
            "This model is trained on LJSpeech sampled at 22050Hz, and can be used to generate female English voices "
            "with an American accent."
        )
        return [ngc_model("tts_en_fastpitch", "1.0.0", description)]

    # ------------------------------------------------------------------------------------------------- tokenizer
    @property
    def tokenizer(self) -> Any:
        """The text tokenizer the config's ``text_tokenizer`` node names (English phonemes by default)."""
        if self._tokenizer is None:
            from nemo.collections.tts.data.tts_dataset import build_text_tokenizer

            self._tokenizer = build_text_tokenizer(self._cfg.get("text_tokenizer") or _DEFAULT_TOKENIZER)
        return self._tokenizer

    def parse(self, str_input: str, normalize: bool = True, **kwargs: Any) -> torch.Tensor:
        """Token ids ``[1, T]`` of ``str_input`` on the model's device."""
        tokenizer = self.tokenizer
        saved, tokenizer.normalize = getattr(tokenizer, "normalize", True), normalize
        try:
            ids = tokenizer.encode(str_input)
        finally:
            tokenizer.normalize = saved
        if not ids:
            raise ValueError(f"FastPitchModel.parse: {str_input!r} has no speakable tokens")
        return torch.tensor([ids], dtype=torch.long, device=self.device)

    # ------------------------------------------------------------------------------------------------- forward
    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "text": NeuralType(("B", "T"), TokenIndex()),
            "text_lens": NeuralType(("B",), LengthsType(), optional=True),
            "durs": NeuralType(("B", "T"), TokenDurationType(), optional=True),
            "speaker": NeuralType(("B",), Index(), optional=True),
            "pace": NeuralType(None, VoidType(), optional=True),
            "spec": NeuralType(("B", "D", "T"), MelSpectrogramType(), optional=True),
            "mel_lens": NeuralType(("B",), LengthsType(), optional=True),
            "pitch": NeuralType(("B", "T"), RegressionValuesType(), optional=True),
            "attn_prior": NeuralType(("B", "T", "T"), ProbabilityDistributionSamplesType(), optional=True),
        }

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "spect": NeuralType(("B", "D", "T"), MelSpectrogramType()),
            "num_frames": NeuralType(("B",), LengthsType()),
            "durs_predicted": NeuralType(("B", "T"), TokenDurationType()),
            "log_durs_predicted": NeuralType(("B", "T"), TokenLogDurationType()),
            "pitch_predicted": NeuralType(("B", "T"), RegressionValuesType()),
            "attn_soft": NeuralType(("B", "S", "T", "D"), SequenceToSequenceAlignmentType(), optional=True),
            "attn_logprob": NeuralType(("B", "S", "T", "D"), LogprobsType(), optional=True),
            "attn_hard": NeuralType(("B", "S", "T", "D"), SequenceToSequenceAlignmentType(), optional=True),
            "attn_hard_dur": NeuralType(("B", "T"), TokenDurationType(), optional=True),
            "pitch": NeuralType(("B", "T"), RegressionValuesType(), optional=True),
        }

    @typecheck()
    def forward(
        self,
        *,
        text: torch.Tensor,
        text_lens: Optional[torch.Tensor] = None,
        durs: Optional[torch.Tensor] = None,
        speaker: Optional[torch.Tensor] = None,
        pace: float = 1.0,
        spec: Optional[torch.Tensor] = None,
        mel_lens: Optional[torch.Tensor] = None,
        pitch: Optional[torch.Tensor] = None,
        attn_prior: Optional[torch.Tensor] = None,
    ) -> tuple:
        """With ``spec``, ``mel_lens`` and ``pitch`` (Hz): teacher-forced training pass (durations from the aligner,
        ``pitch`` the per-token normalized target); without them: inference from the predicted pitch and the given
        ``durs`` (frames per token) or the predicted durations, the attention outputs and ``pitch`` None. Padding is the tokenizer's pad id (``text_lens`` by default from it)."""
        if pace <= 0:
            raise ValueError(f"FastPitchModel: pace must be > 0, got {pace}")
        if text_lens is None:
            text_lens = (text != self.fastpitch.encoder.padding_idx).sum(dim=1)
        if spec is not None:
            if mel_lens is None or pitch is None:
                raise ValueError("FastPitchModel.forward: training needs `spec`, `mel_lens` and `pitch` together")
            if attn_prior is None:
                attn_prior = beta_binomial_prior(text_lens, mel_lens, max_text=text.shape[1], max_mel=spec.shape[2])
                attn_prior = attn_prior.to(spec.device)
            pitch = self._normalize_pitch(pitch)
        out = self.fastpitch(text=text, durs=durs, speaker=speaker, pace=pace, spec=spec, mel_lens=mel_lens,
                             input_lens=text_lens, pitch=pitch, attn_prior=attn_prior)  # fmt: skip
        return tuple(out[key] for key in ("spect", "dec_lens", "durs_predicted", "log_durs_predicted",
                                          "pitch_predicted", "attn_soft", "attn_logprob", "attn_hard",
                                          "attn_hard_dur", "pitch"))  # fmt: skip

    def _normalize_pitch(self, pitch: torch.Tensor) -> torch.Tensor:
        mean, std = self._cfg.get("pitch_mean"), self._cfg.get("pitch_std")
        if mean is None or std is None:
            raise ValueError(
                "FastPitchModel: config keys `pitch_mean` and `pitch_std` are null; set them or set up `train_ds` so "
                "they are computed from the training set"
            )
        return torch.where(pitch > 0, (pitch - float(mean)) / float(std), torch.zeros_like(pitch))

    @contextlib.contextmanager
    def _eval_mode(self) -> Iterator[None]:
        training = self.training
        self.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            self.train(training)

    def generate_spectrogram(
        self, tokens: torch.Tensor, speaker: Union[int, torch.Tensor, None] = None, pace: float = 1.0, **kwargs: Any
    ) -> torch.Tensor:
        """Log-mels ``[B, n_mels, T]`` of token ids ``[B, T_text]`` (padded with the tokenizer's pad id); ``pace`` > 1
        speaks faster; ``speaker`` (multi-speaker models) an id or ``[B]`` ids.

        Frames past an item's own length (shorter items in a batch) hold the decoder's output for padding.
        """
        with self._eval_mode():
            tokens = tokens.to(self.device)
            speakers = None
            if speaker is not None:
                speakers = torch.as_tensor(speaker, device=self.device).long().expand(tokens.shape[0]).contiguous()
            spect, *_ = self(text=tokens, speaker=speakers, pace=pace)
        return spect

    # -------------------------------------------------------------------------------------------------- losses
    def _losses(self, batch: Mapping[str, Any]) -> Dict[str, torch.Tensor]:
        text, text_lens = batch["text"], batch["text_lens"]
        if batch.get("pitch") is None:
            raise ValueError("FastPitchModel needs `pitch` in the dataset's sup_data_types")
        spec, mel_lens = batch.get("log_mel"), batch.get("log_mel_lens")
        if spec is None:  # NeMo's way: mels of the audio by the model's front end
            spec, mel_lens = self.preprocessor(input_signal=batch["audio"], length=batch["audio_lens"])
        frames = min(spec.shape[2], batch["pitch"].shape[1])
        spec, pitch, mel_lens = spec[..., :frames], batch["pitch"][:, :frames], mel_lens.clamp(max=frames)
        (spect, _, _, log_durs_pred, pitch_pred, attn_soft, attn_logprob, attn_hard, durs, pitch_avg) = self(
            text=text, text_lens=text_lens, speaker=batch.get("speaker"), spec=spec, mel_lens=mel_lens, pitch=pitch,
        )  # fmt: skip
        spect = spect[..., : spec.shape[2]]
        frame_mask = lengths_to_mask(mel_lens, spec.shape[2])[:, None, :].float()
        diff = spect - spec
        mel_error = diff.abs() if self._cfg.get("mel_loss", "l2") == "l1" else diff.pow(2)
        mel_loss = (mel_error * frame_mask).sum() / (frame_mask.sum() * spec.shape[1])
        token_mask = lengths_to_mask(text_lens, text.shape[1]).float()
        dur_loss = ((log_durs_pred - torch.log(durs.float() + 1)).pow(2) * token_mask).sum() / token_mask.sum()
        pitch_loss = ((pitch_pred - pitch_avg).pow(2) * token_mask).sum() / token_mask.sum()
        ctc_loss = self.forward_sum_loss(attn_logprob, text_lens, mel_lens)
        bin_loss = self.bin_loss(attn_hard, attn_soft)
        cfg = self._cfg
        loss = (
            mel_loss
            + float(cfg.get("dur_loss_scale", 0.1)) * dur_loss
            + float(cfg.get("pitch_loss_scale", 0.1)) * pitch_loss
            + float(cfg.get("aligner_loss_scale", 1.0)) * ctc_loss
            + self._bin_loss_weight() * bin_loss
        )
        return {"loss": loss, "mel_loss": mel_loss, "dur_loss": dur_loss, "pitch_loss": pitch_loss,
                "ctc_loss": ctc_loss, "bin_loss": bin_loss, "spect": spect.detach(), "attn_soft": attn_soft.detach(),
                "attn_hard": attn_hard.detach(), "log_mel": spec, "log_mel_lens": mel_lens}  # fmt: skip

    def _bin_loss_weight(self) -> float:
        """0 until ``bin_loss_start_step``, then a linear ramp over ``bin_loss_warmup_steps`` to ``bin_loss_scale``."""
        start = int(self._cfg.get("bin_loss_start_step", 500))
        warmup = max(int(self._cfg.get("bin_loss_warmup_steps", 500)), 1)
        step = int(self.global_step) if self._trainer is not None else 0
        if step < start:
            return 0.0
        return float(self._cfg.get("bin_loss_scale", 1.0)) * min(1.0, (step - start + 1) / warmup)

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        losses = self._losses(batch)
        batch_size = int(batch["text"].shape[0])
        for key in ("loss", "mel_loss", "dur_loss", "pitch_loss", "ctc_loss", "bin_loss"):
            name = "train_loss" if key == "loss" else key
            self.log(name, losses[key].detach(), on_step=True, prog_bar=key in ("loss", "mel_loss"),
                     batch_size=batch_size)  # fmt: skip
        self.log("bin_loss_weight", self._bin_loss_weight(), on_step=True, batch_size=batch_size)
        return losses["loss"]

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int, dataloader_idx: int = 0) -> Dict[str, Any]:
        losses = self._losses(batch)
        if batch_idx == 0 and dataloader_idx == 0:
            length, tokens = int(losses["log_mel_lens"][0]), int(batch["text_lens"][0])
            self._validation_images = {
                "target": losses["log_mel"][0, :, :length].detach().cpu(),
                "predicted": losses["spect"][0, :, :length].cpu(),
                "attn_soft": losses["attn_soft"][0, 0, :length, :tokens].t().cpu(),
                "attn_hard": losses["attn_hard"][0, 0, :length, :tokens].t().cpu(),
            }
        keys = ("loss", "mel_loss", "dur_loss", "pitch_loss", "ctc_loss", "bin_loss")
        return {f"val_{key}" if key != "loss" else "val_loss": losses[key].detach() for key in keys}

    def multi_validation_epoch_end(self, outputs: List[Any], dataloader_idx: int = 0) -> Optional[Dict[str, Any]]:
        if not outputs:
            return None
        means = {key: torch.stack([o[key] for o in outputs]).mean() for key in outputs[0]}
        if dataloader_idx == 0:
            self._log_validation_media()
        return {"val_loss": means["val_loss"], "log": means}

    def _log_validation_media(self) -> None:
        """Spectrogram and alignment images (and Griffin-Lim audio with ``log_audio``) for TensorBoard."""
        images, self._validation_images = self._validation_images, None
        experiment = getattr(self.logger, "experiment", None) if self._trainer is not None else None
        if images is None or not hasattr(experiment, "add_image"):
            return
        from nemo.collections.tts.parts.plotting import plot_alignment_to_numpy, plot_spectrogram_to_numpy

        step = int(self.global_step)
        for key in ("target", "predicted"):
            experiment.add_image(f"val_mel_{key}", plot_spectrogram_to_numpy(images[key]), step, dataformats="HWC")
        for key in ("attn_soft", "attn_hard"):
            experiment.add_image(f"val_{key}", plot_alignment_to_numpy(images[key]), step, dataformats="HWC")
        if self._cfg.get("log_audio", False) and hasattr(experiment, "add_audio"):
            audio = self._griffin_lim().convert_spectrogram_to_audio(spec=images["predicted"][None])
            rate = int(self._cfg.get("sample_rate", 22050))
            experiment.add_audio("val_audio_griffin_lim", audio[0].clamp(-1, 1), step, sample_rate=rate)

    def _griffin_lim(self) -> Any:
        if self._vocoder is None:
            from nemo.collections.tts.models.griffin_lim import GriffinLimModel

            cfg = self._cfg
            settings = {key: cfg.get(cfg_key) for key, cfg_key in _MEL_KEYS.items() if cfg.get(cfg_key) is not None}
            self._vocoder = GriffinLimModel(cfg=settings)
        return self._vocoder

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        """The ``dataset`` node of a TTS data config, featurized like the model; None without a manifest."""
        if config.get("manifest_filepath") is None:
            logging.warning("FastPitchModel: the data config's `dataset.manifest_filepath` is null; no data loader")
            return None
        dataset_cfg = OmegaConf.to_container(config, resolve=True)
        for key, cfg_key in _MEL_KEYS.items():
            ours = self._cfg.get(cfg_key)
            if ours is None:
                continue
            if key in dataset_cfg and dataset_cfg[key] != ours:
                raise ValueError(
                    f"FastPitchModel: dataset config `{key}` is {dataset_cfg[key]!r} but the model's `{cfg_key}` is "
                    f"{ours!r}; the data must be featurized like the model"
                )
            dataset_cfg[key] = ours
        dataset_cfg.pop("text_tokenizer", None)  # the model's own tokenizer, so ids match its embedding
        dataset_cfg.setdefault("sup_data_types", ["log_mel", "pitch"])
        if int(self._cfg.get("n_speakers", 1)) > 1 and "speaker_id" not in dataset_cfg["sup_data_types"]:
            dataset_cfg["sup_data_types"] = [*dataset_cfg["sup_data_types"], "speaker_id"]
        dataset_cfg.setdefault("_target_", "nemo.collections.tts.data.tts_dataset.TTSDataset")
        return build_from_config(dataset_cfg, torch.utils.data.Dataset, "dataset", text_tokenizer=self.tokenizer)

    def setup_training_data(self, train_data_config: Any) -> None:
        """Training loader; computes ``pitch_mean``/``pitch_std`` from the training set when the config has none."""
        super().setup_training_data(train_data_config)
        if self._train_dl is not None and (self._cfg.get("pitch_mean") is None or self._cfg.get("pitch_std") is None):
            from nemo.collections.tts.data.tts_dataset import compute_pitch_stats

            mean, std = compute_pitch_stats(self._train_dl.dataset)
            logging.info(f"FastPitchModel: pitch statistics of the training set: mean {mean:.2f} Hz, std {std:.2f} Hz")
            with open_dict(self._cfg):
                self._cfg.pitch_mean, self._cfg.pitch_std = mean, std
            self.cfg = self._cfg  # keep the Lightning hyper-parameters in step
            self._store_pitch_stats()


def _plain(node: Any) -> Optional[Dict[str, Any]]:
    return None if node is None else OmegaConf.to_container(node, resolve=True)
