import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import TokenClassificationModel  # noqa: E402
from nemo.core.testing import quiet_cpu_trainer  # noqa: E402


def test_train_predict_evaluate_save_restore(tmp_path, toy_rows, punctuation_task, token_classification_cfg):
    punctuation_task(tmp_path, "train", toy_rows(48, seed=0))
    dev_texts, dev_labels = punctuation_task(tmp_path, "dev", toy_rows(8, seed=1))
    torch.manual_seed(0)
    model = TokenClassificationModel(token_classification_cfg(tmp_path))
    assert dict(model.cfg.label_ids) == {"O": 0, "COMMA": 1, "O-U": 2, "PERIOD": 3}
    trainer = quiet_cpu_trainer(max_epochs=5, check_val_every_n_epoch=5)
    trainer.fit(model)
    assert trainer.callback_metrics["val_f1"] > 60.0

    # v1's validation_step: per-class counts over the first sub-token of each word, the report accumulates
    model.eval()
    batch = next(iter(model.val_dataloader()))
    step = model.validation_step(batch, 0)
    assert set(step) == {"val_loss", "tp", "fn", "fp"}
    words = batch[3] > 0.5
    assert (step["tp"] + step["fn"]).tolist() == torch.bincount(batch[5][words], minlength=4).tolist()
    assert int(model.classification_report.tp.sum()) == int(step["tp"].sum())
    model.classification_report.reset()

    predictions = model.add_predictions(dev_texts[:3], batch_size=2)
    assert len(predictions) == 3
    for query, marked in zip(dev_texts, predictions):
        assert [w.split("[")[0] for w in marked.split()] == query.split()
    assert predictions[0].split()[0].endswith("[O-U]")

    metrics = model.evaluate_from_file(
        str(tmp_path / "out"),
        str(tmp_path / "text_dev.txt"),
        str(tmp_path / "labels_dev.txt"),
        add_confusion_matrix=True,
    )
    assert set(metrics) == {"precision", "recall", "f1"} and metrics["f1"] > 60.0
    written = (tmp_path / "out" / "infer_text_dev.txt").read_text().splitlines()
    assert [len(line.split()) for line in written] == [len(t.split()) for t in dev_texts]
    matrix = (tmp_path / "out" / "confusion_matrix_text_dev.csv").read_text().splitlines()
    assert matrix[0] == "true\\predicted,O,COMMA,O-U,PERIOD" and len(matrix) == 5

    model.save_to(str(tmp_path / "tok.nemo"))
    restored = TokenClassificationModel.restore_from(str(tmp_path / "tok.nemo"), map_location="cpu")
    assert restored.add_predictions(dev_texts[:3], batch_size=3) == predictions


def test_label_count_mismatch_names_both_files(tmp_path, token_classification_cfg):
    (tmp_path / "text_train.txt").write_text("good film\n", encoding="utf-8")
    (tmp_path / "labels_train.txt").write_text("O\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels_train.txt:1: 1 labels for the 2 words of .*text_train.txt:1"):
        TokenClassificationModel(token_classification_cfg(tmp_path))


def test_data_config_typo_is_refused_and_weighted_loss_counts_word_labels(
    tmp_path, toy_rows, punctuation_task, token_classification_cfg
):
    punctuation_task(tmp_path, "train", toy_rows(8, seed=0))
    punctuation_task(tmp_path, "dev", toy_rows(4, seed=1))
    cfg = token_classification_cfg(tmp_path)
    cfg.validation_ds.label_file = cfg.validation_ds.pop("labels_file")
    with pytest.raises(ValueError, match=r"validation_ds: unknown key 'label_file'.*did you mean 'labels_file'"):
        TokenClassificationModel(cfg)
    cfg = token_classification_cfg(tmp_path, class_balancing="weighted_loss")
    cfg.validation_ds.text_file = None  # no validation loader
    model = TokenClassificationModel(cfg)
    assert model.val_dataloader() == []
    labels = [t for line in (tmp_path / "labels_train.txt").read_text().split("\n") for t in line.split()]
    counts = {label: labels.count(label) for label in model.cfg.label_ids}
    expected = [len(labels) / (len(counts) * counts[label]) for label in model.cfg.label_ids]
    assert model.class_weights == pytest.approx(expected) and torch.allclose(model.loss.weight, torch.tensor(expected))
    with pytest.raises(ValueError, match=r"class_balancing='weighted'; expected null or 'weighted_loss'"):
        TokenClassificationModel(token_classification_cfg(tmp_path, class_balancing="weighted"))
