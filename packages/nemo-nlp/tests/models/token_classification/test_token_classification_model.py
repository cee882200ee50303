import pytest
import torch
from omegaconf import OmegaConf

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.data.token_classification import punctuation_capitalization_labels  # noqa: E402
from nemo.collections.nlp.models import TokenClassificationModel  # noqa: E402


def _write_task(directory, name, rows):
    """NER-format files for the punctuation/capitalisation task: words lower-cased, labels from the text."""
    texts, labels = [], []
    for sentence, _ in rows:
        words = sentence.split()
        text = " ".join([words[0].capitalize(), *words[1:3]]) + ", " + " ".join(words[3:]) + "."
        w, t = punctuation_capitalization_labels(text)
        texts.append(" ".join(w))
        labels.append(" ".join(t))
    (directory / f"text_{name}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (directory / f"labels_{name}.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return texts, labels


def make_cfg(data_dir, vocab_file, bert_config):
    return OmegaConf.create(
        {
            "label_ids": None,
            "tokenizer": {
                "tokenizer_name": "bert-base-uncased",
                "vocab_file": vocab_file,
                "tokenizer_model": None,
                "special_tokens": None,
            },
            "language_model": {
                "pretrained_model_name": "bert-base-uncased",
                "lm_checkpoint": None,
                "config_file": None,
                "config": bert_config,
            },
            "head": {"num_fc_layers": 1, "fc_dropout": 0.0, "activation": "relu", "use_transformer_init": True},
            "dataset": {
                "data_dir": str(data_dir),
                "class_balancing": None,
                "max_seq_length": 32,
                "pad_label": "O",
                "ignore_extra_tokens": False,
                "ignore_start_end": True,
            },
            "train_ds": {
                "text_file": "text_train.txt",
                "labels_file": "labels_train.txt",
                "batch_size": 16,
                "shuffle": True,
                "num_samples": -1,
            },
            "validation_ds": {
                "text_file": "text_dev.txt",
                "labels_file": "labels_dev.txt",
                "batch_size": 16,
                "shuffle": False,
                "num_samples": -1,
            },
            "optim": {"name": "adam", "lr": 1e-2},
        }
    )


def test_train_predict_evaluate_save_restore(tmp_path, vocab_file, bert_config, toy_rows):
    _write_task(tmp_path, "train", toy_rows(48, seed=0))
    dev_texts, dev_labels = _write_task(tmp_path, "dev", toy_rows(8, seed=1))
    torch.manual_seed(0)
    model = TokenClassificationModel(make_cfg(tmp_path, vocab_file, bert_config))
    assert dict(model.cfg.label_ids) == {"O": 0, "COMMA": 1, "O-U": 2, "PERIOD": 3}
    trainer = pl.Trainer(
        max_epochs=5,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        check_val_every_n_epoch=5,
    )
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


def test_label_count_mismatch_names_both_files(tmp_path, vocab_file, bert_config):
    (tmp_path / "text_train.txt").write_text("good film\n", encoding="utf-8")
    (tmp_path / "labels_train.txt").write_text("O\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels_train.txt:1: 1 labels for the 2 words of .*text_train.txt:1"):
        TokenClassificationModel(make_cfg(tmp_path, vocab_file, bert_config))
