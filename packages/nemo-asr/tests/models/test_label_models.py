"""EncDecSpeakerLabelModel: building from NeMo's config keys, speaker-label data, training from the small TitaNet
YAML, embeddings and verification, save/restore in a fresh process."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from asr_models_testing import manifest_paths, preprocessor, tiny_encoder, write_corpus
from omegaconf import OmegaConf

from nemo.collections.asr.losses.angularloss import AngularSoftmaxLoss
from nemo.collections.asr.models import ASRModel, EncDecSpeakerLabelModel
from nemo.collections.common.losses import CrossEntropyLoss
from nemo.core.neural_types import AcousticEncodedRepresentation, LogitsType
from nemo.core.testing import examples_dir, quiet_cpu_trainer

SPEAKERS = ["anna", "bob", "carl"]
ANGULAR = {"_target_": "nemo.collections.asr.losses.angularloss.AngularSoftmaxLoss", "scale": 30, "margin": 0.2}


def _data(manifest, **extra):
    return {"manifest_filepath": str(manifest), "sample_rate": 16000, "labels": None, "batch_size": 3,
            "time_length": 0.5, **extra}  # fmt: skip


def _config(train=None, val=None, loss=ANGULAR, pool_mode="attention", num_classes=3):
    cfg = {
        "preprocessor": preprocessor(),
        "encoder": tiny_encoder(),
        "decoder": {
            "_target_": "nemo.collections.asr.modules.SpeakerDecoder",
            "num_classes": num_classes,
            "emb_sizes": 8,
            "pool_mode": pool_mode,
        },
        "optim": {"name": "adam", "lr": 0.01},
    }
    if loss is not None:
        cfg["loss"] = loss
    if train is not None:
        cfg["train_ds"] = _data(train, shuffle=True)
    if val is not None:
        cfg["validation_ds"] = _data(val, shuffle=False, random_crop=False)
    return cfg


@pytest.fixture
def speakers(tmp_path):
    """Nine tone clips, three per speaker (speaker order in the manifest is not sorted)."""
    return write_corpus(tmp_path / "speakers", [{"label": SPEAKERS[(i + 1) % 3]} for i in range(9)])


def test_forward_returns_typed_logits_and_embeddings():
    model = EncDecSpeakerLabelModel(cfg=_config())
    model.eval()
    logits, embs = model(input_signal=torch.randn(2, 8000), input_signal_length=torch.tensor([8000, 5000]))
    assert logits.shape == (2, 3) and embs.shape == (2, 8)
    assert isinstance(logits.neural_type.elements_type, LogitsType)
    assert isinstance(embs.neural_type.elements_type, AcousticEncodedRepresentation)
    assert model.cfg.decoder.feat_in == 32  # filled from the encoder
    assert isinstance(model, ASRModel)


def test_angular_loss_sets_the_decoder_angular_and_cross_entropy_is_the_default():
    model = EncDecSpeakerLabelModel(cfg=_config())
    assert isinstance(model.loss, AngularSoftmaxLoss) and model.loss.scale == 30 and model.loss.margin == 0.2
    assert model.cfg.decoder.angular is True and model.decoder.final.bias is None
    plain = EncDecSpeakerLabelModel(cfg=_config(loss=None, pool_mode="xvector"))
    assert isinstance(plain.loss, CrossEntropyLoss) and plain.decoder.final.bias is not None
    assert not plain.cfg.decoder.get("angular", False)
    weighted = {"_target_": "nemo.collections.common.losses.CrossEntropyLoss", "weight": [1.0, 2.0, 1.0]}
    model = EncDecSpeakerLabelModel(cfg=_config(loss=weighted))
    assert model.loss.weight.tolist() == [1.0, 2.0, 1.0] and model.eval_loss.weight is None
    with pytest.raises(ValueError, match="loss.weight: 'auto'"):
        EncDecSpeakerLabelModel(cfg=_config(loss={**weighted, "weight": "auto"}))


def test_training_labels_come_from_the_manifest_and_evaluation_uses_them(speakers, tmp_path):
    model = EncDecSpeakerLabelModel(cfg=_config(train=speakers, val=speakers))
    assert model.labels == SPEAKERS and list(model.cfg.train_ds.labels) == SPEAKERS  # sorted, saved in the config
    signal, lengths, labels, _ = next(iter(model.train_dataloader()))
    assert signal.shape == (3, 8000) and lengths.tolist() == [8000] * 3  # 0.5 s windows
    assert model.val_dataloader().dataset.labels == SPEAKERS
    with pytest.raises(ValueError, match="train_ds.labels has 3 speakers but decoder.num_classes is 4"):
        EncDecSpeakerLabelModel(cfg=_config(train=speakers, num_classes=4))
    other = write_corpus(tmp_path / "other", [{"label": "dora"}])
    with pytest.raises(ValueError, match=r"manifest.json:1: label 'dora' is not one of \['anna', 'bob', 'carl'\]"):
        model.setup_validation_data(_data(other))
    unlabelled = write_corpus(tmp_path / "unlabelled", [{"text": "x"}])
    with pytest.raises(ValueError, match="manifest.json:1: missing key 'label'"):
        EncDecSpeakerLabelModel.extract_labels(_data(unlabelled))
    with pytest.raises(ValueError, match="time_lenght.*did you mean.*time_length"):
        model.setup_training_data({**_data(speakers), "time_lenght": 2.0})


def test_evaluation_needs_training_labels(speakers):
    model = EncDecSpeakerLabelModel(cfg=_config())
    with pytest.raises(ValueError, match="no `labels` and the model has no training labels"):
        model.setup_validation_data(_data(speakers))
    model.setup_validation_data({**_data(speakers), "labels": SPEAKERS})
    assert model.labels is None and model.val_dataloader().dataset.labels == SPEAKERS


def test_trains_from_the_small_titanet_yaml_with_falling_loss(tmp_path, speakers):
    cfg = OmegaConf.load(examples_dir("asr", "conf", "speaker", "titanet-cpu.yaml")).model
    cfg.train_ds = OmegaConf.merge(cfg.train_ds, _data(speakers, time_length=1.0))
    cfg.validation_ds = OmegaConf.merge(cfg.validation_ds, _data(speakers, time_length=1.0))
    cfg.decoder.num_classes = 3
    torch.manual_seed(0)
    trainer = quiet_cpu_trainer(max_epochs=10, check_val_every_n_epoch=10, default_root_dir=str(tmp_path))
    model = EncDecSpeakerLabelModel(cfg=cfg, trainer=trainer)
    assert isinstance(model.loss, AngularSoftmaxLoss) and model.decoder.pool_mode == "attention"
    losses = []
    record = pl.callbacks.LambdaCallback(on_train_batch_end=lambda *args: losses.append(float(args[2]["loss"])))
    trainer.callbacks.append(record)
    trainer.fit(model)
    assert len(losses) == 30
    assert np.mean(losses[-6:]) < 0.5 * np.mean(losses[:6])
    metrics = trainer.callback_metrics
    assert {"val_loss", "val_acc_micro_top_1"} <= set(metrics) and 0.0 <= float(metrics["val_acc_micro_top_1"]) <= 1
    step = model.training_step(next(iter(model.train_dataloader())), 0)
    assert {"loss", "training_batch_accuracy_top_1", "learning_rate"} <= set(step["log"])


def test_embeddings_verification_and_labels(speakers):
    torch.manual_seed(0)
    model = EncDecSpeakerLabelModel(cfg=_config(train=speakers))
    files = manifest_paths(speakers)
    one = torch.cat([model.get_embedding(path) for path in files[:4]])
    assert one.shape == (4, 8)
    torch.testing.assert_close(model.get_embeddings(files[:4], batch_size=4), one, atol=1e-5, rtol=1e-5)
    assert model.verify_speakers(files[0], files[0]) is True  # score 1.0
    a, b = model.get_embeddings(files[:2])
    score = float((torch.nn.functional.cosine_similarity(a, b, dim=0) + 1) / 2)
    assert model.verify_speakers(files[0], files[1], threshold=score - 1e-4) is True
    assert model.verify_speakers(files[0], files[1], threshold=score + 1e-4) is False
    assert set(model.transcribe(files)) <= set(SPEAKERS) and model.get_label(files[0]) in SPEAKERS
    assert model.transcribe([]) == []
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model.get_embeddings(files, batch_size=0)
    with pytest.raises(ValueError, match="no speaker labels"):
        EncDecSpeakerLabelModel(cfg=_config()).transcribe(files)


def test_save_to_and_restore_give_identical_embeddings_and_labels(tmp_path, speakers):
    torch.manual_seed(0)
    model = EncDecSpeakerLabelModel(cfg=_config(train=speakers, loss=None, pool_mode="xvector"))
    files = manifest_paths(speakers)
    model.save_to(str(tmp_path / "speaker.nemo"))
    restored = EncDecSpeakerLabelModel.restore_from(str(tmp_path / "speaker.nemo"), strict=True, map_location="cpu")
    assert restored.labels == SPEAKERS and restored.transcribe(files) == model.transcribe(files)
    assert torch.equal(restored.get_embeddings(files), model.get_embeddings(files))


@pytest.mark.slow(reason="a fresh interpreter imports torch, Lightning and the ASR collection")
def test_save_to_and_restore_in_a_fresh_process_give_identical_embeddings(tmp_path, speakers):
    torch.manual_seed(0)
    model = EncDecSpeakerLabelModel(cfg=_config(train=speakers))
    files = manifest_paths(speakers)
    path = tmp_path / "speaker.nemo"
    model.save_to(str(path))
    expected = model.get_embeddings(files)
    script = textwrap.dedent(
        f"""
        import torch
        from nemo.collections.asr.models import EncDecSpeakerLabelModel
        torch.set_num_threads({torch.get_num_threads()})  # as here: pooling sums in another order on more threads
        model = EncDecSpeakerLabelModel.restore_from({str(path)!r}, map_location="cpu")
        assert model.labels == {SPEAKERS!r}, model.labels
        torch.save(model.get_embeddings({files!r}), {str(tmp_path / "embs.pt")!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=300)
    assert torch.equal(torch.load(tmp_path / "embs.pt", weights_only=True), expected)


def test_list_available_models_names_speakernet_and_titanet():
    models = {m.pretrained_model_name: m for m in EncDecSpeakerLabelModel.list_available_models()}
    assert set(models) == {"speakerverification_speakernet", "titanet_large", "titanet_small"}
    assert models["titanet_large"].location.endswith("/titanet_large/versions/v1/files/titanet-l.nemo")
    everything = {m.pretrained_model_name: m for m in ASRModel.list_available_models()}
    assert everything["titanet_small"].class_ is EncDecSpeakerLabelModel
