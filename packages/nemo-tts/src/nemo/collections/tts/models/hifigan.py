"""``HifiGanModel``: the HiFi-GAN vocoder, trained adversarially with Lightning 2 manual optimization.

Each training step updates the discriminators (multi-period and multi-scale, least-squares loss) on the generator's
detached output, then the generator on ``adversarial + feature matching + l1_loss_factor * mel L1``. The mel
spectrograms are computed here from the audio by the collection's ``MelSpectrogram``: ``preprocessor`` (with its
``fmax``) makes the generator's input, a copy without the ``fmax`` limit makes the loss's targets, as in NeMo.

Lightning 2 counts every optimizer step in ``trainer.global_step``, so ``trainer.max_steps`` is twice the number of
generator updates. The learning-rate schedulers step once per generator update; their horizon is ``optim.sched.
max_steps`` if given, else half of ``trainer.max_steps``, else the epochs times the batches per epoch.
"""

import itertools
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.collections.tts.losses.hifigan_losses import DiscriminatorLoss, FeatureMatchingLoss, GeneratorLoss
from nemo.collections.tts.models._common import masked_mel_l1, tensorboard_experiment
from nemo.collections.tts.models.base import Vocoder, ngc_model
from nemo.collections.tts.modules.hifigan import MultiPeriodDiscriminator, MultiScaleDiscriminator
from nemo.collections.tts.parts.filterbank import FilterbankFeatures
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.construction import build_from_config, register_renamed_target
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.model import PretrainedModelInfo
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import AudioSignal, MelSpectrogramType, NeuralType
from nemo.core.optim.lr_scheduler import prepare_lr_scheduler
from nemo.core.optim.optimizers import build_optimizer

__all__ = ["HifiGanModel"]

# The vocoder datasets NVIDIA NeMo's HiFi-GAN configs name (NeMo 1.8-3: ``...data.dataset``; 1.5-1.7:
# ``...torch.data``); their archives are checked target by target when restored. (Registered here, where HiFi-GAN's
# configs are read, rather than next to VocoderDataset.)
for _old in ("nemo.collections.tts.data.dataset.VocoderDataset", "nemo.collections.tts.torch.data.VocoderDataset"):
    register_renamed_target(_old, "nemo.collections.tts.data.vocoder_dataset.VocoderDataset")


class HifiGanModel(Vocoder, Exportable):
    """HiFi-GAN vocoder. Config keys: ``preprocessor`` (a ``MelSpectrogram``; the ASR ``FilterbankFeatures`` that
    NeMo's configs name is built as ``nemo.collections.tts.parts.filterbank.FilterbankFeatures``), ``generator``
    (``_target_`` and the v1/v2/v3 layout; ``initial_input_size`` defaults to the preprocessor's ``n_mels``),
    ``l1_loss_factor`` (45), ``debug`` (small discriminators), ``train_ds``/``validation_ds`` and ``optim`` (shared
    by both optimizers)."""

    @classmethod
    def list_available_models(cls) -> List[PretrainedModelInfo]:
        """NVIDIA's HiFi-GAN for NeMo 1.0, trained on LJSpeech at 22050 Hz."""
        return [
            ngc_model(
                "tts_hifigan",
                "1.0.0rc1",
                "This model is trained on LJSpeech audio sampled at 22050Hz and mel spectrograms generated from "
                "Tacotron2, TalkNet, and FastPitch. This model has been tested on generating female English voices "
                "with an American accent.",
            )
        ]

    nested_data_config = True  # NeMo TTS data configs: {dataset: {_target_: ...}, dataloader_params: {...}}

    def __init__(self, cfg: Union[DictConfig, Dict[str, Any]], trainer: Optional[Any] = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.audio_to_melspec_precessor = self._build_preprocessor(self._cfg.preprocessor)
        # NeMo: the loss mels reach Nyquist and keep a 1e-5 guard under the magnitude's root (use_grads)
        nyquist = "highfreq" if isinstance(self.audio_to_melspec_precessor, FilterbankFeatures) else "fmax"
        self.trg_melspec_fn = self._build_preprocessor(self._cfg.preprocessor, **{nyquist: None}, use_grads=True)
        self._check_generator_config()
        self.generator = HifiGanModel.from_config_dict(self._cfg.generator)
        debug = bool(self._cfg.get("debug", False))
        self.mpd = MultiPeriodDiscriminator(debug=debug)
        self.msd = MultiScaleDiscriminator(debug=debug)
        self.feature_loss = FeatureMatchingLoss()
        self.discriminator_loss = DiscriminatorLoss()
        self.generator_loss = GeneratorLoss()
        self.l1_factor = float(self._cfg.get("l1_loss_factor", 45))
        self.sample_rate = int(self.audio_to_melspec_precessor.sample_rate)
        self.automatic_optimization = False
        self.cfg = self._cfg  # keep the Lightning hyper-parameters in step with the completed config

    @staticmethod
    def _build_preprocessor(config: DictConfig, **overrides: Any) -> MelSpectrogram:
        return build_from_config(config, MelSpectrogram, "preprocessor", **overrides)

    def _check_generator_config(self) -> None:
        generator, mel = self._cfg.generator, self.audio_to_melspec_precessor
        with open_dict(self._cfg):
            if generator.get("initial_input_size") is None:
                generator.initial_input_size = mel.n_mels
        if generator.initial_input_size != mel.n_mels:
            raise ValueError(
                f"HifiGanModel: `generator.initial_input_size` ({generator.initial_input_size}) must equal "
                f"`preprocessor.n_mels` ({mel.n_mels})"
            )
        rates = list(generator.get("upsample_rates") or [])
        if math.prod(rates) != mel.hop_length:
            raise ValueError(
                f"HifiGanModel: the product of `generator.upsample_rates` {rates} ({math.prod(rates)}) must equal "
                f"`preprocessor.hop_length` ({mel.hop_length}), one mel frame per hop"
            )

    # ---------------------------------------------------------------------------------------------- inference
    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"spec": NeuralType(("B", "C", "T"), MelSpectrogramType())})

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return OrderedDict({"audio": NeuralType(("B", "S", "T"), AudioSignal(self.sample_rate))})

    @typecheck()
    def forward(self, *, spec: torch.Tensor) -> torch.Tensor:
        """Waveforms ``[B, 1, frames * hop]`` of log-mel spectrograms ``[B, n_mels, frames]``."""
        return self.generator(x=spec)

    @typecheck(
        input_types={"spec": NeuralType(("B", "C", "T"), MelSpectrogramType())},
        output_types={"audio": NeuralType(("B", "T"), AudioSignal())},
    )
    def convert_spectrogram_to_audio(self, spec: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        """Waveforms ``[B, frames * hop]``; call ``eval()`` first (the generator has no dropout, so it is optional)."""
        return self(spec=spec).squeeze(1)

    def input_example(self) -> Tuple[torch.Tensor]:
        """A random 40-frame spectrogram on the model's device, for export."""
        parameter = next(self.parameters())
        n_mels = self.audio_to_melspec_precessor.n_mels
        return (torch.randn(1, n_mels, 40, device=parameter.device, dtype=parameter.dtype),)

    def forward_for_export(self, spec: torch.Tensor) -> torch.Tensor:
        return self.generator(x=spec)

    # ------------------------------------------------------------------------------------------- optimization
    def _scheduler_horizon(self, sched: Dict[str, Any]) -> None:
        """Write ``sched['max_steps']`` = generator updates of the run, unless the config gives it."""
        trainer = self._trainer
        if sched.get("max_steps") is not None or trainer is None:
            return
        if trainer.max_steps is not None and trainer.max_steps > 0:
            sched["max_steps"] = max(1, math.ceil(trainer.max_steps / 2))  # global_step counts both optimizers
            return
        estimate = trainer.estimated_stepping_batches
        if math.isfinite(estimate) and estimate > 0:
            sched["max_steps"] = int(estimate)

    def configure_optimizers(self) -> Any:
        optim = OmegaConf.to_container(self._cfg.optim, resolve=True)
        sched = optim.pop("sched", None)
        optim_g = build_optimizer(optim, self.generator.parameters())
        optim_d = build_optimizer(optim, itertools.chain(self.msd.parameters(), self.mpd.parameters()))
        if sched is None:
            return [optim_g, optim_d]
        self._scheduler_horizon(sched)
        schedulers = [
            prepare_lr_scheduler(optimizer=opt, scheduler_config=dict(sched), train_dataloader=self._train_dl)
            for opt in (optim_g, optim_d)
        ]
        if any(s is None for s in schedulers):
            return [optim_g, optim_d]
        for scheduler in schedulers:
            scheduler.pop("monitor", None)  # stepped by hand in training_step: nothing to monitor
        return [optim_g, optim_d], schedulers

    # ------------------------------------------------------------------------------------------------ training
    def _generate(self, audio: torch.Tensor, audio_len: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Input mel, its lengths, and the generated audio ``[B, 1, T]`` cut to the input's length."""
        mel, mel_len = self.audio_to_melspec_precessor(audio, audio_len)
        audio_pred = self.generator(x=mel)[..., : audio.shape[-1]]
        return mel, mel_len, audio_pred

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        audio, audio_len = batch[0], batch[1]
        _, mel_len, audio_pred = self._generate(audio, audio_len)
        target_mel, _ = self.trg_melspec_fn(audio, audio_len)
        audio_real = audio.unsqueeze(1)
        optim_g, optim_d = self.optimizers()

        # Discriminators, on the generator's output without its graph.
        optim_d.zero_grad()
        mpd_real, mpd_fake, _, _ = self.mpd(y=audio_real, y_hat=audio_pred.detach())
        loss_disc_mpd, _, _ = self.discriminator_loss(disc_real_outputs=mpd_real, disc_generated_outputs=mpd_fake)
        msd_real, msd_fake, _, _ = self.msd(y=audio_real, y_hat=audio_pred.detach())
        loss_disc_msd, _, _ = self.discriminator_loss(disc_real_outputs=msd_real, disc_generated_outputs=msd_fake)
        loss_d = loss_disc_msd + loss_disc_mpd
        self.manual_backward(loss_d)
        optim_d.step()

        # Generator; the discriminators' weights need no gradients here (the toggle turns them off meanwhile).
        self.toggle_optimizer(optim_g)
        optim_g.zero_grad()
        pred_mel, _ = self.trg_melspec_fn(audio_pred.squeeze(1), audio_len)
        loss_mel = masked_mel_l1(pred_mel, target_mel, mel_len)
        _, mpd_fake, mpd_real_maps, mpd_fake_maps = self.mpd(y=audio_real, y_hat=audio_pred)
        _, msd_fake, msd_real_maps, msd_fake_maps = self.msd(y=audio_real, y_hat=audio_pred)
        loss_fm_mpd = self.feature_loss(fmap_r=mpd_real_maps, fmap_g=mpd_fake_maps)
        loss_fm_msd = self.feature_loss(fmap_r=msd_real_maps, fmap_g=msd_fake_maps)
        loss_gen_mpd, _ = self.generator_loss(disc_outputs=mpd_fake)
        loss_gen_msd, _ = self.generator_loss(disc_outputs=msd_fake)
        loss_g = loss_gen_msd + loss_gen_mpd + loss_fm_msd + loss_fm_mpd + loss_mel * self.l1_factor
        self.manual_backward(loss_g)
        optim_g.step()
        self.untoggle_optimizer(optim_g)

        schedulers = self.lr_schedulers()
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers] if schedulers else []:
            scheduler.step()

        metrics = {
            "g_loss_fm_mpd": loss_fm_mpd.detach(),
            "g_loss_fm_msd": loss_fm_msd.detach(),
            "g_loss_gen_mpd": loss_gen_mpd.detach(),
            "g_loss_gen_msd": loss_gen_msd.detach(),
            "g_loss": loss_g.detach(),
            "d_loss_mpd": loss_disc_mpd.detach(),
            "d_loss_msd": loss_disc_msd.detach(),
            "d_loss": loss_d.detach(),
            "lr": torch.tensor(float(optim_g.param_groups[0]["lr"])),
        }
        self.log_dict(metrics, on_step=True, batch_size=audio.shape[0])
        self.log("g_l1_loss", loss_mel.detach(), on_step=True, prog_bar=True, batch_size=audio.shape[0])

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> None:
        """``val_loss``: L1 between the input mel and the mel of the generated audio (same front end), per frame."""
        audio, audio_len = batch[0], batch[1]
        mel, mel_len, audio_pred = self._generate(audio, audio_len)
        pred_mel, _ = self.audio_to_melspec_precessor(audio_pred.squeeze(1), audio_len)
        loss_mel = masked_mel_l1(pred_mel, mel, mel_len)
        self.log("val_loss", loss_mel, on_epoch=True, sync_dist=True, batch_size=audio.shape[0])
        if batch_idx == 0 and dataloader_idx == 0:
            self._log_audio(audio[0, : audio_len[0]], audio_pred[0, 0, : audio_len[0]])

    def _log_audio(self, real: torch.Tensor, generated: torch.Tensor) -> None:
        """Put one validation clip and its resynthesis in TensorBoard (when a TensorBoard logger is attached)."""
        experiment = tensorboard_experiment(self)
        if experiment is None:
            return
        step = self.global_step
        experiment.add_audio("val_audio_target", real.detach().float().cpu(), step, sample_rate=self.sample_rate)
        experiment.add_audio("val_audio_pred", generated.detach().float().cpu(), step, sample_rate=self.sample_rate)

    # ------------------------------------------------------------------------------------------------------ data
    def _build_dataset(self, config: DictConfig) -> Any:
        """The ``dataset`` node of a TTS data config (``{dataset: {_target_: ...}, dataloader_params: {...}}``)."""
        return build_from_config(config, torch.utils.data.Dataset, "dataset")
