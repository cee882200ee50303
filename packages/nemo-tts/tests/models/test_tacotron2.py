"""Tacotron2Model: training lowers the loss and logs images, inference API, a .nemo restored in a new process."""

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from nemo.collections.tts.models import SpectrogramGenerator, Tacotron2Model
from nemo.core.testing import quiet_cpu_trainer


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


def test_training_lowers_the_loss_and_validation_logs_images(tacotron2_config, tmp_path):
    torch.manual_seed(0)
    model = Tacotron2Model(cfg=tacotron2_config().model)
    batch = next(iter(model.val_dataloader()))
    before = teacher_forced_loss(model, batch)
    logger = pl.loggers.TensorBoardLogger(str(tmp_path), name="tb")
    trainer = quiet_cpu_trainer(max_steps=20, logger=logger, check_val_every_n_epoch=1000, gradient_clip_val=1.0)
    trainer.fit(model)
    after = teacher_forced_loss(model, batch)
    assert after < 0.5 * before, (before, after)

    trainer.validate(model)
    metrics = trainer.callback_metrics
    assert torch.isfinite(metrics["val_loss"]) and 0 < metrics["val_mel_loss"] < before
    assert {"val_mel_target", "val_mel_predicted", "val_alignment", "val_alignment_teacher_forced"} <= image_tags(
        tmp_path / "tb"
    )


def test_inference_api(tacotron2_config):
    model = Tacotron2Model(cfg=tacotron2_config().model)
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


def test_nemo1_forward_outputs(tacotron2_config):
    model = Tacotron2Model(cfg=tacotron2_config().model)
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


def test_config_errors_name_the_keys(tacotron2_config):
    cfg = tacotron2_config()
    cfg.model.postnet.n_mel_channels = 40
    with pytest.raises(ValueError, match=r"`postnet.n_mel_channels` \(40\) must equal `preprocessor.n_mels` \(80\)"):
        Tacotron2Model(cfg=cfg.model)
    cfg = tacotron2_config()
    cfg.model.train_ds.dataset = None
    with pytest.raises(ValueError, match="train_ds.dataset"):
        Tacotron2Model(cfg=cfg.model)
