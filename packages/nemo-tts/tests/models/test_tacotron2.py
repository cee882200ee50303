"""Tacotron2Model: training lowers the loss and logs images, inference API, a .nemo restored in a new process."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf

from nemo.collections.tts.models import SpectrogramGenerator, Tacotron2Model

CONF = Path(__file__).resolve().parents[4] / "examples" / "tts" / "conf"

RESTORE_AND_GENERATE = """
import sys, numpy, torch
torch.set_num_threads(1)
from nemo.collections.tts.models import Tacotron2Model
model = Tacotron2Model.restore_from(sys.argv[1], map_location="cpu").eval()
torch.manual_seed(1234)
numpy.save(sys.argv[3], model.generate_spectrogram(tokens=model.parse(sys.argv[2])).numpy())
"""


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny recurrent steps run faster on one thread, and restored-vs-original comparisons need the same count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_config(train: str, val: str):
    """tacotron2_small.yaml at a test size (the shipped layout and keys, smaller widths)."""
    cfg = OmegaConf.load(CONF / "tacotron2_small.yaml")
    cfg.train_dataset, cfg.validation_datasets = train, val
    model = cfg.model
    model.encoder.encoder_embedding_dim = 32
    model.encoder.encoder_n_convolutions = 2
    model.decoder.update(
        decoder_rnn_dim=64, attention_rnn_dim=64, prenet_dim=32, attention_dim=32, attention_location_n_filters=8,
        max_decoder_steps=60,
    )  # fmt: skip
    model.postnet.postnet_embedding_dim = 32
    model.postnet.postnet_n_convolutions = 3
    model.optim.lr = 3e-3
    model.optim.pop("sched")  # a constant rate: the few steps of a test should all count
    return cfg


def teacher_forced_loss(model: Tacotron2Model, batch) -> float:
    training = model.training
    model.eval()
    torch.manual_seed(0)  # the prenet's dropout stays on
    with torch.no_grad():
        tokens, token_len, spec, spec_len = model._unpack(batch)
        dec, post, gate, _ = model._teacher_forced(tokens, token_len, spec)
        loss, _ = model.loss(
            spec_pred_dec=dec, spec_pred_postnet=post, gate_pred=gate, spec_target=spec, spec_target_len=spec_len,
            pad_value=model.pad_value,
        )  # fmt: skip
    model.train(training)
    return loss.item()


def image_tags(folder: Path) -> set:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = set()
    for events in folder.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        tags |= set(accumulator.Tags()["images"])
    return tags


def test_training_lowers_the_loss_and_validation_logs_images(tone_corpus, tmp_path):
    torch.manual_seed(0)
    model = Tacotron2Model(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model)
    batch = next(iter(model.val_dataloader()))
    before = teacher_forced_loss(model, batch)
    logger = pl.loggers.TensorBoardLogger(str(tmp_path), name="tb")
    trainer = pl.Trainer(
        max_steps=20, accelerator="cpu", logger=logger, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, check_val_every_n_epoch=1000, num_sanity_val_steps=0, gradient_clip_val=1.0,
    )  # fmt: skip
    trainer.fit(model)
    after = teacher_forced_loss(model, batch)
    assert after < 0.5 * before, (before, after)

    trainer.validate(model)
    metrics = trainer.callback_metrics
    assert torch.isfinite(metrics["val_loss"]) and 0 < metrics["val_mel_loss"] < before
    assert {"val_mel_target", "val_mel_predicted", "val_alignment", "val_alignment_teacher_forced"} <= image_tags(
        tmp_path / "tb"
    )


def test_inference_api(tone_corpus):
    model = Tacotron2Model(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model)
    assert isinstance(model, SpectrogramGenerator) and model.cfg.text_tokenizer._target_.endswith(
        "EnglishCharsTokenizer"
    )
    tokens = model.parse("Go, on!")
    assert tokens.shape == (1, 7) and tokens.dtype == torch.long
    with pytest.raises(TypeError):
        model.generate_spectrogram(tokens)  # keyword-only, as in NeMo 1
    batch = torch.nn.utils.rnn.pad_sequence([model.parse("go on")[0], model.parse("go")[0]], batch_first=True)
    with torch.no_grad():
        model.decoder.gate_layer.linear_layer.bias.fill_(-50.0)  # never stops: max_decoder_steps frames
    torch.manual_seed(0)
    spec = model.generate_spectrogram(tokens=batch)
    assert spec.shape == (2, 80, 60) and model.training  # the model's mode is restored
    torch.manual_seed(0)
    assert torch.equal(model.generate_spectrogram(tokens=batch), spec)  # same seed, same spectrogram
    assert not torch.equal(model.generate_spectrogram(tokens=batch), spec)  # the prenet's dropout is on


def test_nemo1_forward_outputs(tone_corpus):
    model = Tacotron2Model(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model)
    batch = next(iter(model.val_dataloader()))
    args = dict(tokens=batch["text"], token_len=batch["text_lens"], audio=batch["audio"], audio_len=batch["audio_lens"])
    dec, post, gate, spec, spec_len, alignments = model(**args)  # training: teacher-forced on the audio's mel
    assert dec.shape == spec.shape and gate.shape == spec.shape[::2] and torch.equal(spec_len, batch["log_mel_lens"])
    model.eval()
    model.calculate_loss = False
    outputs = model(tokens=batch["text"], token_len=batch["text_lens"])
    assert len(outputs) == 5 and outputs[4].shape == (batch["text"].shape[0],)
    model.calculate_loss = True
    with pytest.raises(ValueError, match="audio"):
        model(tokens=batch["text"], token_len=batch["text_lens"])


def test_save_restore_in_a_fresh_process_gives_the_same_spectrogram(tone_corpus, tmp_path):
    """Reproducible with the same seed: the prenet's dropout draws from torch's RNG in both processes."""
    torch.manual_seed(0)
    model = Tacotron2Model(cfg=tiny_config(tone_corpus["train"], tone_corpus["val"]).model).eval()
    torch.manual_seed(1234)
    expected = model.generate_spectrogram(tokens=model.parse("see ten"))
    path, out = tmp_path / "tacotron2.nemo", tmp_path / "spec.npy"
    model.save_to(str(path))
    subprocess.run(
        [sys.executable, "-c", RESTORE_AND_GENERATE, str(path), "see ten", str(out)], check=True, timeout=180
    )
    assert np.array_equal(np.load(out), expected.numpy())


def test_config_errors_name_the_keys(tone_corpus):
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"])
    cfg.model.postnet.n_mel_channels = 40
    with pytest.raises(ValueError, match=r"`postnet.n_mel_channels` \(40\) must equal `preprocessor.n_mels` \(80\)"):
        Tacotron2Model(cfg=cfg.model)
    cfg = tiny_config(tone_corpus["train"], tone_corpus["val"])
    cfg.model.train_ds.dataset = None
    with pytest.raises(ValueError, match="train_ds.dataset"):
        Tacotron2Model(cfg=cfg.model)
