"""HifiGanModel: adversarial training lowers the mel L1, inference and export, a .nemo restored in a new process."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from nemo.collections.tts.models import HifiGanModel, Vocoder
from nemo.collections.tts.models._common import masked_mel_l1

CONF = Path(__file__).resolve().parents[4] / "examples" / "tts" / "conf" / "hifigan"

RESTORE_AND_VOCODE = """
import sys, numpy, torch
torch.set_num_threads(1)
from nemo.collections.tts.models import HifiGanModel
model = HifiGanModel.restore_from(sys.argv[1], map_location="cpu").eval()
spec = torch.from_numpy(numpy.load(sys.argv[2]))
with torch.no_grad():
    numpy.save(sys.argv[3], model.convert_spectrogram_to_audio(spec=spec).numpy())
"""


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small convolutions run faster on one thread; restored-vs-original comparisons need the same thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_config(train: str, val: str, *overrides: str):
    """hifigan_small.yaml composed by Hydra (generator "small", debug discriminators), with 2048-sample segments."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        return compose(
            "hifigan_small",
            overrides=[
                f"train_dataset={train}",
                f"validation_datasets={val}",
                "train_min_duration=null",
                "train_n_segments=2048",
                "model.train_ds.dataloader_params.batch_size=2",
                "model.validation_ds.dataloader_params.batch_size=4",
                "model.optim.lr=0.002",
                "~model.optim.sched",
                *overrides,
            ],
        )


def generator_mel_l1(model: HifiGanModel, audio: torch.Tensor, audio_len: torch.Tensor) -> float:
    with torch.no_grad():
        _, mel_len, generated = model._generate(audio, audio_len)
        target, _ = model.trg_melspec_fn(audio, audio_len)
        predicted, _ = model.trg_melspec_fn(generated.squeeze(1), audio_len)
    return masked_mel_l1(predicted, target, mel_len).item()


def test_adversarial_training_lowers_the_mel_l1(tone_corpus):
    torch.manual_seed(0)
    model = HifiGanModel(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model)
    audio, audio_len = next(iter(model.val_dataloader()))
    before = generator_mel_l1(model, audio, audio_len)
    trainer = pl.Trainer(
        max_steps=20, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0,
    )  # fmt: skip
    trainer.fit(model)
    assert trainer.global_step == 20  # Lightning counts both optimizers' steps: 10 generator updates
    after = generator_mel_l1(model, audio, audio_len)
    assert after < 0.8 * before, (before, after)
    logged = trainer.callback_metrics
    assert {"g_l1_loss", "g_loss", "d_loss", "g_loss_fm_mpd", "d_loss_msd"} <= set(logged)
    assert all(torch.isfinite(logged[key]) for key in ("g_loss", "d_loss"))
    validator = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    validator.validate(model)
    assert validator.callback_metrics["val_loss"].item() == pytest.approx(
        masked_mel_l1(*_val_mels(model, audio, audio_len)).item(), rel=1e-4
    )


def _val_mels(model: HifiGanModel, audio: torch.Tensor, audio_len: torch.Tensor):
    with torch.no_grad():
        mel, mel_len, generated = model._generate(audio, audio_len)
        predicted, _ = model.audio_to_melspec_precessor(generated.squeeze(1), audio_len)
    return predicted, mel, mel_len


def test_schedulers_step_once_per_generator_update(tone_corpus):
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"], "+model.optim.sched.name=CosineAnnealing",
                      "+model.optim.sched.min_lr=0.0")  # fmt: skip
    model = HifiGanModel(cfg=cfg.model)
    trainer = pl.Trainer(
        max_steps=4, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0,
    )  # fmt: skip
    trainer.fit(model)
    generator_schedule, discriminator_schedule = model.lr_schedulers()
    assert generator_schedule.max_steps == 2 and discriminator_schedule.last_epoch == 2
    assert model.optimizers()[0].param_groups[0]["lr"] == pytest.approx(0.0)  # the cosine ran its whole course


def test_inference_export_and_config_errors(tone_corpus, tmp_path):
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"])
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


def test_save_restore_in_a_fresh_process_gives_the_same_audio(tone_corpus, tmp_path):
    torch.manual_seed(0)
    model = HifiGanModel(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model).eval()
    spec = torch.randn(1, 80, 20)
    with torch.no_grad():
        expected = model.convert_spectrogram_to_audio(spec=spec).numpy()
    path, spec_file, out = tmp_path / "hifigan.nemo", tmp_path / "spec.npy", tmp_path / "audio.npy"
    model.save_to(str(path))
    np.save(spec_file, spec.numpy())
    subprocess.run(
        [sys.executable, "-c", RESTORE_AND_VOCODE, str(path), str(spec_file), str(out)], check=True, timeout=180
    )
    assert np.array_equal(np.load(out), expected)
