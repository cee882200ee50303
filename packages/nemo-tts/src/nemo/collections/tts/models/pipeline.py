"""``SpectrogramVocoderPipeline``: a spectrogram generator and a vocoder chained into one text-to-waveform model.

NeMo v1 only has end-to-end ``TextToWaveform`` models; pairing separately trained models (FastPitch + HiFi-GAN,
Tacotron 2 + Griffin-Lim) took glue code in every script. This model holds both as sub-modules, so the pair synthesizes
with one call and saves to one ``.nemo``: the config nests each part's full model config (its ``target`` class path
included) under ``spectrogram_generator`` and ``vocoder``, the weights are the parts' weights under those prefixes,
and the parts' artifacts travel in the same archive. Restoring builds each part only from classes of the matching
base (``SpectrogramGenerator`` / ``Vocoder``) that live in ``nemo``. The pipeline is for inference: train the parts
separately.
"""

from contextvars import ContextVar
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.tts.models.base import SpectrogramGenerator, TextToWaveform, Vocoder
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.restore import resolve_restore_target

__all__ = ["SpectrogramVocoderPipeline", "mel_settings"]

_PARTS: Tuple[Tuple[str, type], ...] = (("spectrogram_generator", SpectrogramGenerator), ("vocoder", Vocoder))
_DATA_KEYS = ("train_ds", "validation_ds", "test_ds")
PAD_ID = 0  # this collection's own tokenizers pad with id 0 (NeMo's put <pad> after the symbols)
MEL_SETTINGS = ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "fmin", "fmax", "mag_power")

# Set by ``from_models`` so that the constructor adopts already-built parts instead of building fresh ones.
_PREBUILT_PARTS: ContextVar[Optional[Dict[str, torch.nn.Module]]] = ContextVar("_PREBUILT_PARTS", default=None)


# Config spellings of the mel settings, MelSpectrogram's own names first, then NeMo's (n_mel_channels, lowfreq, ...).
_MEL_CONFIG_ALIASES = {
    "sample_rate": ("sample_rate",),
    "n_fft": ("n_fft",),
    "win_length": ("win_length", "n_window_size"),
    "hop_length": ("hop_length", "n_window_stride"),
    "n_mels": ("n_mels", "n_mel_channels", "nfilt", "features"),
    "fmin": ("fmin", "lowfreq"),
    "fmax": ("fmax", "highfreq"),
    "mag_power": ("mag_power",),
}


def mel_settings(model: torch.nn.Module) -> Optional[Dict[str, Any]]:
    """The mel settings (``MEL_SETTINGS`` keys) a model's spectrograms are made of; None if it declares none.

    Read from its mel front end (``audio_to_melspec_precessor``, else the first ``MelSpectrogram`` sub-module), else
    from its config's ``preprocessor`` node and top-level keys (``n_mel_channels``, ``n_window_stride``, ``lowfreq``
    ...); from a config, only the keys it sets are returned (the rest are ``MelSpectrogram``'s defaults).
    """
    front_end = getattr(model, "audio_to_melspec_precessor", None)
    if not isinstance(front_end, MelSpectrogram):
        front_end = next((m for m in model.modules() if isinstance(m, MelSpectrogram)), None)
    if front_end is not None:
        return {key: getattr(front_end, key) for key in MEL_SETTINGS}
    cfg = getattr(model, "cfg", None)
    if not isinstance(cfg, DictConfig):
        return None
    found: Dict[str, Any] = {}
    for node in (cfg.get("preprocessor"), cfg):
        if not isinstance(node, DictConfig):
            continue
        for key, aliases in _MEL_CONFIG_ALIASES.items():
            value = next((node.get(alias) for alias in aliases if node.get(alias) is not None), None)
            if key not in found and value is not None:
                found[key] = float(value) if key in ("fmin", "fmax", "mag_power") else int(value)
    return found or None


def _part_config(model: Any) -> DictConfig:
    """A part's resolved config without data-set keys (an inference pipeline sets up no data loaders)."""
    config = OmegaConf.create(OmegaConf.to_container(model.cfg, resolve=True))
    for key in _DATA_KEYS:
        config.pop(key, None)
    return config


def _build_part(owner: str, name: str, base: type, config: Any) -> torch.nn.Module:
    """Build part ``name`` from its config: only ``base`` or a concrete subclass of it that lives in ``nemo``."""
    if not isinstance(config, DictConfig) or not config.get("target"):
        raise ValueError(
            f"{owner}: config key '{name}' must be a model config with a 'target' class path (a subclass of "
            f"{base.__name__}), got {type(config).__name__}: {config!r}"
        )
    config = OmegaConf.create(OmegaConf.to_container(config, resolve=True))
    for key in _DATA_KEYS:
        config.pop(key, None)
    try:
        klass = resolve_restore_target(base, config)
    except ValueError as err:
        raise ValueError(f"{owner}: config key '{name}.target': {err}") from err
    if getattr(klass, "__abstractmethods__", None):
        raise ValueError(f"{owner}: config key '{name}.target' names the abstract class {config.target!r}")
    return klass(cfg=config)


class SpectrogramVocoderPipeline(TextToWaveform):
    """Text -> ``spectrogram_generator`` -> mel spectrogram -> ``vocoder`` -> waveform.

    Build it with :meth:`from_models` (``from_models(FastPitchModel.restore_from(a), GriffinLimModel(cfg))``) or
    from a config ``{spectrogram_generator: <model cfg with target>, vocoder: <model cfg with target>}``.
    """

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        owner = type(self).__name__
        prebuilt = _PREBUILT_PARTS.get()
        parts = {}
        for name, base in _PARTS:
            part = prebuilt[name] if prebuilt is not None else _build_part(owner, name, base, self._cfg.get(name))
            if not isinstance(part, base):
                raise TypeError(f"{owner}: '{name}' must be a {base.__name__}, got {type(part).__name__}")
            parts[name] = part
        self.spectrogram_generator: SpectrogramGenerator = parts["spectrogram_generator"]
        self.vocoder: Vocoder = parts["vocoder"]
        self._check_features()
        self._adopt_parts()

    @classmethod
    def from_models(
        cls, spectrogram_generator: SpectrogramGenerator, vocoder: Vocoder, trainer: Any = None
    ) -> "SpectrogramVocoderPipeline":
        """Chain two built (trained or restored) models; they become this pipeline's sub-modules, not copies."""
        for name, base in _PARTS:
            part = spectrogram_generator if name == "spectrogram_generator" else vocoder
            if not isinstance(part, base):
                raise TypeError(
                    f"{cls.__name__}.from_models: {name} must be a {base.__name__}, got {type(part).__name__}"
                )
        config = OmegaConf.create(
            {"spectrogram_generator": _part_config(spectrogram_generator), "vocoder": _part_config(vocoder)}
        )
        token = _PREBUILT_PARTS.set({"spectrogram_generator": spectrogram_generator, "vocoder": vocoder})
        try:
            return cls(cfg=config, trainer=trainer)
        finally:
            _PREBUILT_PARTS.reset(token)

    @classmethod
    def with_griffin_lim(
        cls, spectrogram_generator: SpectrogramGenerator, **griffin_lim_config: Any
    ) -> "SpectrogramVocoderPipeline":
        """The generator chained with a ``GriffinLimModel`` (no training needed) of the generator's mel settings;
        ``griffin_lim_config`` adds or overrides GriffinLimModel config keys (``n_iters``, ``power``, ...)."""
        from nemo.collections.tts.models.griffin_lim import GriffinLimModel

        settings = mel_settings(spectrogram_generator)
        if settings is None:
            raise ValueError(
                f"{cls.__name__}.with_griffin_lim: {type(spectrogram_generator).__name__} declares no mel settings "
                "(no MelSpectrogram front end, no mel config keys); build a GriffinLimModel and call from_models"
            )
        vocoder = GriffinLimModel(cfg=OmegaConf.create({**settings, **griffin_lim_config}))
        return cls.from_models(spectrogram_generator, vocoder.to(spectrogram_generator.device))

    def _check_features(self) -> None:
        """The parts must agree on every mel setting both declare (front ends or config keys: see mel_settings)."""
        settings = {name: mel_settings(getattr(self, name)) for name, _ in _PARTS}
        if None not in settings.values():
            generator, vocoder = settings["spectrogram_generator"], settings["vocoder"]
            common = [key for key in MEL_SETTINGS if key in generator and key in vocoder]
            differ = [f"{k}: {generator[k]} vs {vocoder[k]}" for k in common if generator[k] != vocoder[k]]
            if differ:
                raise ValueError(
                    f"{type(self).__name__}: the spectrogram generator's and the vocoder's mel settings differ "
                    f"(generator vs vocoder): {'; '.join(differ)}"
                )

    def _adopt_parts(self) -> None:
        """Mirror each part's config (paths its artifacts resolved to included) and artifacts under its key."""
        with open_dict(self._cfg):
            for name, _ in _PARTS:
                self._cfg[name] = _part_config(getattr(self, name))
        self.cfg = self._cfg
        self.artifacts = {
            f"{name}.{key}": item
            for name, _ in _PARTS
            for key, item in (getattr(getattr(self, name), "artifacts", None) or {}).items()
        }

    @property
    def sample_rate(self) -> int:
        """Sample rate of the waveforms: the vocoder's (see mel_settings), else the generator's."""
        for name in ("vocoder", "spectrogram_generator"):
            part = getattr(self, name)
            rate = (mel_settings(part) or {}).get("sample_rate")
            if rate is not None:
                return int(rate)
        raise ValueError(f"{type(self).__name__}: neither part declares a sample rate (mel front end or config key)")

    def parse(self, str_input: str, **kwargs: Any) -> torch.Tensor:
        """Token ids ``[1, T]`` of ``str_input`` from the spectrogram generator's text pipeline."""
        return self.spectrogram_generator.parse(str_input, **kwargs)

    def convert_text_to_waveform(
        self,
        *,
        tokens: torch.Tensor,
        token_lengths: Optional[torch.Tensor] = None,
        vocoder_kwargs: Optional[Dict[str, Any]] = None,
        **generator_kwargs: Any,
    ) -> List[torch.Tensor]:
        """One waveform ``[T_audio_i]`` per row of ``tokens`` ``[B, T]`` (or ``[T]``), each of its own length.

        Rows are synthesized one at a time, cut to ``token_lengths`` (default: up to the last id that is not the
        generator's tokenizer's ``pad``), so no waveform carries another row's padding. ``generator_kwargs`` (e.g.
        FastPitch's ``pace``, ``speaker``) go to ``generate_spectrogram``, ``vocoder_kwargs`` to
        ``convert_spectrogram_to_audio``. Runs in eval mode without gradients and restores the previous mode.
        """
        if tokens.dim() == 1:
            tokens = tokens.unsqueeze(0)
        if tokens.dim() != 2:
            raise ValueError(f"tokens must be [B, T] or [T], got shape {tuple(tokens.shape)}")
        lengths = self._lengths(tokens, token_lengths, self._pad_id())
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                waveforms = []
                for row, length in zip(tokens, lengths):
                    spec = self.spectrogram_generator.generate_spectrogram(
                        tokens=row[:length].unsqueeze(0), **generator_kwargs
                    )
                    if spec.shape[-1] == 0:  # nothing to say (e.g. all durations rounded to 0): no vocoder call
                        waveforms.append(spec.new_zeros(0))
                        continue
                    audio = self.vocoder.convert_spectrogram_to_audio(spec=spec, **(vocoder_kwargs or {}))
                    waveforms.append(audio.reshape(-1))
        finally:
            self.train(was_training)
        return waveforms

    def _pad_id(self) -> int:
        """The spectrogram generator's padding id: its tokenizer's ``pad``, else ``PAD_ID``."""
        pad = getattr(getattr(self.spectrogram_generator, "tokenizer", None), "pad", None)
        return PAD_ID if pad is None else int(pad)

    @staticmethod
    def _lengths(tokens: torch.Tensor, token_lengths: Optional[torch.Tensor], pad_id: int) -> List[int]:
        if token_lengths is not None:
            lengths = [int(n) for n in torch.as_tensor(token_lengths).reshape(-1).tolist()]
            if len(lengths) != tokens.shape[0]:
                raise ValueError(f"token_lengths has {len(lengths)} entries for {tokens.shape[0]} rows of tokens")
        else:
            lengths = []
            for row in tokens:
                used = torch.nonzero(row != pad_id)
                lengths.append(int(used[-1]) + 1 if used.numel() else 0)
        for index, length in enumerate(lengths):
            if not 0 < length <= tokens.shape[1]:
                raise ValueError(f"row {index} of tokens has length {length}, expected 1..{tokens.shape[1]}")
        return lengths

    def setup_training_data(self, train_data_config: Union[DictConfig, Dict[str, Any]]) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} is an inference pipeline: train its spectrogram generator and vocoder separately"
        )

    def setup_validation_data(self, val_data_config: Union[DictConfig, Dict[str, Any]]) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} is an inference pipeline: validate its spectrogram generator and vocoder separately"
        )

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """No pretrained pipelines are published; pair pretrained parts with :meth:`from_models`."""
        return []
