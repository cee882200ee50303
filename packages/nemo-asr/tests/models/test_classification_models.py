import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from asr_models_testing import manifest_paths, preprocessor, tiny_encoder, write_corpus

from nemo.collections.asr.models import EncDecClassificationModel
from nemo.core.testing import quiet_cpu_trainer

COMMANDS = ["yes", "no", "up"]


def _config(train=None, val=None):
    cfg = {
        "labels": list(COMMANDS),
        "preprocessor": preprocessor(),
        "crop_or_pad_augment": {
            "_target_": "nemo.collections.asr.modules.CropOrPadSpectrogramAugmentation",
            "audio_length": 64,
        },
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "time_masks": 1,
            "time_width": 3,
        },
        "encoder": tiny_encoder(),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoderClassification",
            "feat_in": None,
            "num_classes": -1,
        },
        "top_k": [1, 2],
        "optim": {"name": "adam", "lr": 0.01},
    }
    for key, manifest in (("train_ds", train), ("validation_ds", val)):
        if manifest is not None:
            cfg[key] = {
                "manifest_filepath": str(manifest),
                "sample_rate": 16000,
                "labels": list(COMMANDS),
                "batch_size": 3,
                "shuffle": key == "train_ds",
            }
    return cfg


@pytest.fixture
def commands(tmp_path):
    return write_corpus(tmp_path / "commands", [{"label": COMMANDS[i % 3]} for i in range(6)])


def test_builds_and_classifies(commands):
    model = EncDecClassificationModel(cfg=_config())
    assert model.decoder.num_classes == 3 and model.cfg.decoder.feat_in == 32
    model.eval()
    logits = model(input_signal=torch.randn(2, 8000), input_signal_length=torch.tensor([8000, 5000]))
    assert logits.shape == (2, 3)
    labels = model.transcribe(manifest_paths(commands), batch_size=4)
    assert len(labels) == 6 and set(labels) <= set(COMMANDS)
    logits = model.transcribe(manifest_paths(commands)[:2], logprobs=True)
    assert [tuple(row.shape) for row in logits] == [(3,), (3,)]
    assert model.transcribe([]) == []


def test_labels_and_num_classes_must_agree():
    cfg = _config()
    cfg["decoder"]["num_classes"] = 5
    with pytest.raises(ValueError, match="num_classes"):
        EncDecClassificationModel(cfg=cfg)
    cfg = _config()
    cfg["labels"] = []
    with pytest.raises(ValueError, match="labels"):
        EncDecClassificationModel(cfg=cfg)


def test_trains_a_few_steps_and_logs_topk_accuracy(tmp_path, commands):
    torch.manual_seed(0)
    trainer = quiet_cpu_trainer(max_epochs=4, check_val_every_n_epoch=4, default_root_dir=str(tmp_path))
    model = EncDecClassificationModel(cfg=_config(train=commands, val=commands), trainer=trainer)
    losses = []

    class Record(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses.append(float(outputs["loss"]))
            assert {"training_batch_accuracy_top@1", "training_batch_accuracy_top@2"} <= set(outputs["log"])

    trainer.callbacks.append(Record())
    trainer.fit(model)
    assert len(losses) == 8
    assert np.mean(losses[-2:]) < np.mean(losses[:2])
    metrics = trainer.callback_metrics
    assert {"val_loss", "val_epoch_top@1", "val_epoch_top@2"} <= set(metrics)
    assert float(metrics["val_epoch_top@1"]) <= float(metrics["val_epoch_top@2"]) <= 1.0


def test_change_labels_rebuilds_decoder(commands):
    model = EncDecClassificationModel(cfg=_config(train=commands))
    model.change_labels(["left", "right"])
    assert model.decoder.num_classes == 2 and list(model.cfg.labels) == ["left", "right"]
    assert list(model.cfg.train_ds.labels) == ["left", "right"] and model.cfg.decoder.num_classes == 2
    decoder = model.decoder
    model.change_labels(["left", "right"])
    assert model.decoder is decoder
    with pytest.raises(ValueError, match="non-empty"):
        model.change_labels([])


def test_save_restore_and_available_models(tmp_path, commands):
    model = EncDecClassificationModel(cfg=_config())
    files = manifest_paths(commands)
    expected = model.transcribe(files, logprobs=True)
    model.save_to(str(tmp_path / "m.nemo"))
    restored = EncDecClassificationModel.restore_from(str(tmp_path / "m.nemo"), map_location="cpu")
    for a, b in zip(expected, restored.transcribe(files, logprobs=True)):
        torch.testing.assert_close(a, b)
    names = EncDecClassificationModel.get_available_model_names()
    assert "vad_marblenet" in names and "commandrecognition_en_matchboxnet3x2x64_v2_subset_task" in names
    assert len(names) == 8
