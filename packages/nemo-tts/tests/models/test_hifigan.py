"""HifiGanModel: adversarial training lowers the mel L1, inference and export, a .nemo restored in a new process."""

import numpy as np
import pytest
import torch

from nemo.collections.tts.models import HifiGanModel, Vocoder
from nemo.collections.tts.models._common import masked_mel_l1
from nemo.core.testing import quiet_cpu_trainer


def generator_mel_l1(model: HifiGanModel, audio: torch.Tensor, audio_len: torch.Tensor) -> float:
    with torch.no_grad():
        _, mel_len, generated = model._generate(audio, audio_len)
        target, _ = model.trg_melspec_fn(audio, audio_len)
        predicted, _ = model.trg_melspec_fn(generated.squeeze(1), audio_len)
    return masked_mel_l1(predicted, target, mel_len).item()


def test_adversarial_training_lowers_the_mel_l1(hifigan_config):
    torch.manual_seed(0)
    model = HifiGanModel(cfg=hifigan_config().model)
    audio, audio_len = next(iter(model.val_dataloader()))
    before = generator_mel_l1(model, audio, audio_len)
    trainer = quiet_cpu_trainer(max_steps=20, limit_val_batches=0)
    trainer.fit(model)
    assert trainer.global_step == 20  # Lightning counts both optimizers' steps: 10 generator updates
    after = generator_mel_l1(model, audio, audio_len)
    assert after < 0.8 * before, (before, after)
    logged = trainer.callback_metrics
    assert {"g_l1_loss", "g_loss", "d_loss", "g_loss_fm_mpd", "d_loss_msd"} <= set(logged)
    assert all(torch.isfinite(logged[key]) for key in ("g_loss", "d_loss"))
    validator = quiet_cpu_trainer()
    validator.validate(model)
    assert validator.callback_metrics["val_loss"].item() == pytest.approx(
        masked_mel_l1(*_val_mels(model, audio, audio_len)).item(), rel=1e-4
    )


def _val_mels(model: HifiGanModel, audio: torch.Tensor, audio_len: torch.Tensor):
    with torch.no_grad():
        mel, mel_len, generated = model._generate(audio, audio_len)
        predicted, _ = model.audio_to_melspec_precessor(generated.squeeze(1), audio_len)
    return predicted, mel, mel_len


def test_schedulers_step_once_per_generator_update(hifigan_config):
    cfg = hifigan_config("+model.optim.sched.name=CosineAnnealing",
                      "+model.optim.sched.min_lr=0.0")  # fmt: skip
    model = HifiGanModel(cfg=cfg.model)
    trainer = quiet_cpu_trainer(max_steps=4, limit_val_batches=0)
    trainer.fit(model)
    generator_schedule, discriminator_schedule = model.lr_schedulers()
    assert generator_schedule.max_steps == 2 and discriminator_schedule.last_epoch == 2
    assert model.optimizers()[0].param_groups[0]["lr"] == pytest.approx(0.0)  # the cosine ran its whole course


def test_inference_export_and_config_errors(hifigan_config, tmp_path):
    cfg = hifigan_config()
    model = HifiGanModel(cfg=cfg.model).eval()
    assert isinstance(model, Vocoder) and model.cfg.generator.initial_input_size == 80
    spec = torch.randn(2, 80, 9)
    audio = model.convert_spectrogram_to_audio(spec=spec)
    assert audio.shape == (2, 9 * 256)
    with pytest.raises(TypeError):
        model.convert_spectrogram_to_audio(spec)  # typed methods take keywords

    onnx = pytest.importorskip("onnxruntime")
    model.export(str(tmp_path / "hifigan.onnx"))
    session = onnx.InferenceSession(str(tmp_path / "hifigan.onnx"), providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {session.get_inputs()[0].name: spec.numpy()})
    np.testing.assert_allclose(exported.squeeze(1), audio.detach().numpy(), atol=1e-4)

    cfg.model.generator.upsample_rates = [8, 8, 2]
    with pytest.raises(ValueError, match=r"upsample_rates.*must equal `preprocessor.hop_length` \(256\)"):
        HifiGanModel(cfg=cfg.model)


def test_restored_model_exports_to_torchscript_without_a_trainer(hifigan_config, tmp_path):
    HifiGanModel(cfg=hifigan_config().model).save_to(str(tmp_path / "hifigan.nemo"))
    restored = HifiGanModel.restore_from(str(tmp_path / "hifigan.nemo"), map_location="cpu")
    assert restored._trainer is None
    restored.export(str(tmp_path / "hifigan.ts"))  # used to fail: "HifiGanModel is not attached to a `Trainer`"
    spec = torch.randn(2, 80, 9)
    restored.eval()
    with torch.no_grad():
        expected = restored.convert_spectrogram_to_audio(spec=spec)
        exported = torch.jit.load(str(tmp_path / "hifigan.ts"))(spec)
    torch.testing.assert_close(exported.squeeze(1), expected, atol=1e-4, rtol=1e-4)
