import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from tiny_tts_models import tiny_fastpitch_config

from nemo.collections.tts.models import FastPitchModel, SpectrogramGenerator
from nemo.collections.tts.modules.aligner import durations_from_alignment
from nemo.core.classes.construction import ConfigTargetError
from nemo.core.classes.typecheck import typecheck
from nemo.core.testing import quiet_cpu_trainer

_DATASET = "nemo.collections.tts.data.tts_dataset.TTSDataset"


def tiny_config(train: str, val: str, sup: str) -> dict:
    def data(manifest: str, batch_size: int) -> dict:
        return {
            "dataset": {"_target_": _DATASET, "manifest_filepath": manifest, "sup_data_path": sup},
            "dataloader_params": {"batch_size": batch_size, "num_workers": 0},
        }

    config = tiny_fastpitch_config(width=32, heads=2)
    for key in ("pitch_mean", "pitch_std", "max_token_duration"):
        del config[key]
    return {**config, "bin_loss_start_step": 30, "bin_loss_warmup_steps": 10, "train_ds": data(train, 8),
            "validation_ds": data(val, 4), "optim": {"name": "adam", "lr": 3e-3}}  # fmt: skip


@pytest.fixture(scope="module")
def trained(tone_corpus, tmp_path_factory):
    """A tiny FastPitch trained for 60 steps on the letter-tone corpus, with TensorBoard logs; and its losses."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("fastpitch")
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"], str(folder / "sup"))
    model = FastPitchModel(cfg=cfg)
    batch = next(iter(model.train_dataloader()))
    losses_before = _eval_losses(model, batch)
    logger = pl.loggers.TensorBoardLogger(str(folder), name="tb", version=0)
    trainer = quiet_cpu_trainer(max_steps=60, logger=logger, log_every_n_steps=5, check_val_every_n_epoch=15)
    trainer.fit(model)
    return {"model": model, "batch": batch, "before": losses_before, "after": _eval_losses(model, batch),
            "logdir": str(folder / "tb" / "version_0"), "folder": folder}  # fmt: skip


def _eval_losses(model, batch):
    model.eval()
    with torch.no_grad():
        losses = {k: float(v) for k, v in model._losses(batch).items() if v.dim() == 0}
    model.train()
    return losses


def test_pitch_statistics_come_from_the_training_set(trained):
    cfg = trained["model"].cfg
    assert 110 < cfg.pitch_mean < 450 and cfg.pitch_std > 5


def test_losses_fall(trained):
    before, after = trained["before"], trained["after"]
    assert after["mel_loss"] < 0.3 * before["mel_loss"], (before, after)
    assert after["dur_loss"] < before["dur_loss"] and after["ctc_loss"] < before["ctc_loss"]
    assert all(np.isfinite(v) for v in after.values())


def test_trained_hard_alignment_is_monotonic_and_covers_every_frame(trained):
    model, batch = trained["model"], trained["batch"]
    model.eval()
    with torch.no_grad():
        outputs = model(
            text=batch["text"], text_lens=batch["text_lens"], spec=batch["log_mel"], mel_lens=batch["log_mel_lens"],
            pitch=batch["pitch"],
        )  # fmt: skip
    attn_hard, durs = outputs[7][:, 0], outputs[8]
    assert torch.equal(durs, durations_from_alignment(attn_hard))
    assert durs.sum(dim=1).tolist() == batch["log_mel_lens"].tolist()
    for b in range(durs.shape[0]):
        text_len, mel_len = int(batch["text_lens"][b]), int(batch["log_mel_lens"][b])
        assert torch.all(durs[b, :text_len] >= 1) and torch.all(durs[b, text_len:] == 0)
        tokens = attn_hard[b, :mel_len].argmax(dim=1)
        assert set((tokens[1:] - tokens[:-1]).tolist()) <= {0, 1}
        assert int(tokens[0]) == 0 and int(tokens[-1]) == text_len - 1
    assert outputs[0].neural_type is not None  # typecheck attached output types


def test_inference_interface_and_pace(trained):
    model = trained["model"]
    assert isinstance(model, SpectrogramGenerator)
    tokens = model.parse("we see ten")
    assert tokens.shape[0] == 1 and tokens.dtype == torch.long
    spec = model.generate_spectrogram(tokens=tokens)
    fast = model.generate_spectrogram(tokens=tokens, pace=2.0)
    assert spec.shape[:2] == (1, 80) and spec.shape[2] > 10
    assert abs(fast.shape[2] - spec.shape[2] / 2) <= tokens.shape[1] / 2 + 1
    with pytest.raises(TypeError):
        model.forward(tokens)  # typed methods take keyword arguments only
    with typecheck.disable_checks():
        assert model.forward(text=tokens)[0].shape == spec.shape


def test_validation_logs_images_to_tensorboard(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(trained["logdir"], size_guidance={"images": 0})
    events.Reload()
    tags = set(events.Tags()["images"])
    assert {"val_mel_target", "val_mel_predicted", "val_attn_soft", "val_attn_hard"} <= tags
    assert "val_loss" in events.Tags()["scalars"] and "train_loss" in events.Tags()["scalars"]


_RESTORE = """
import sys, numpy, torch
from nemo.collections.tts.models import SpectrogramGenerator
model = SpectrogramGenerator.restore_from(sys.argv[1], map_location="cpu")
spec = model.generate_spectrogram(tokens=torch.tensor([[3, 4, 1, 5, 6, 7]]))
numpy.save(sys.argv[2], spec.numpy())
print(type(model).__name__)
"""


@pytest.mark.slow(reason="a fresh interpreter imports torch and Lightning")
def test_save_restore_in_a_fresh_process_gives_identical_spectrograms(trained, tmp_path):
    model = trained["model"]
    path = str(tmp_path / "fastpitch.nemo")
    model.save_to(path)
    expected = model.generate_spectrogram(tokens=torch.tensor([[3, 4, 1, 5, 6, 7]])).numpy()
    out = str(tmp_path / "spec.npy")
    result = subprocess.run(
        [sys.executable, "-c", _RESTORE, path, out], capture_output=True, text=True, timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("FastPitchModel")
    np.testing.assert_array_equal(np.load(out), expected)


def test_config_errors(tone_corpus, tmp_path):
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"], str(tmp_path / "sup"))
    bad = copy.deepcopy(cfg)
    bad["train_ds"]["dataset"]["n_mels"] = 64
    with pytest.raises(ValueError, match="`n_mels` is 64 but the model's `n_mel_channels` is 80"):
        FastPitchModel(cfg=bad)
    flat = copy.deepcopy(cfg)
    flat["train_ds"] = {"manifest_filepath": tone_corpus["train"], "batch_size": 4}
    with pytest.raises(ValueError, match="train_ds needs `dataset`"):
        FastPitchModel(cfg=flat)
    no_data = {k: v for k, v in cfg.items() if k not in ("train_ds", "validation_ds")}
    old = {k: v for k, v in no_data.items() if k != "alignment_module"}
    with pytest.raises(ValueError, match=r"\['alignment_module'\] are missing \(an `alignment` node: nemo-tts 0.1"):
        FastPitchModel(cfg={**old, "alignment": {"n_att_channels": 16}})
    with pytest.raises(ValueError, match=r"\['energy_predictor'\] not supported"):
        FastPitchModel(cfg={**no_data, "energy_predictor": {"_target_": "x.Y"}})
    with pytest.raises(ConfigTargetError, match="input_fft.*FFTransformerEncoder"):
        FastPitchModel(cfg={**no_data, "input_fft": {**no_data["input_fft"], "_target_": "torch.nn.Linear"}})
    model = FastPitchModel(cfg=no_data)
    with pytest.raises(ValueError, match="pitch_mean"):
        model(text=torch.tensor([[3, 4]]), spec=torch.zeros(1, 80, 6), mel_lens=torch.tensor([6]),
              pitch=torch.zeros(1, 6))  # fmt: skip


def test_pretrained_listing():
    names = {info.pretrained_model_name: info for info in SpectrogramGenerator.list_available_models()}
    assert names["tts_en_fastpitch"].class_ is FastPitchModel
    assert json.dumps(names["tts_en_fastpitch"].location).endswith('tts_en_fastpitch.nemo"')


def test_speaker_table_conditions_the_encoder_and_zero_durations_give_an_empty_spectrogram():
    config = {**tiny_fastpitch_config(), "n_speakers": 3}
    torch.manual_seed(0)
    model = FastPitchModel(cfg=config).eval()
    assert model.fastpitch.encoder.cond_input.condition_types == ["add"]  # as NeMo adds for n_speakers > 1
    tokens = model.parse("hello world.")
    durations = torch.full_like(tokens, 3)
    with torch.no_grad():
        first, second = (model(text=tokens, durs=durations, speaker=torch.tensor([s]))[0] for s in (0, 2))
    assert first.shape == second.shape == (1, 80, 3 * tokens.shape[1]) and not torch.allclose(first, second)
    with pytest.raises(ValueError, match="needs `speaker` ids"):
        model.generate_spectrogram(tokens=tokens)
    with torch.no_grad():
        model.fastpitch.duration_predictor.fc.bias.fill_(-20.0)  # every duration rounds to 0
    assert model.generate_spectrogram(tokens=tokens, speaker=1).shape == (1, 80, 0)
