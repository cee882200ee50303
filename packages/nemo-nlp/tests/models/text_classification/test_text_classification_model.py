import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import TextClassificationModel  # noqa: E402


def make_cfg(tokenizer_name, language_model, files=None, num_classes=2, **dataset):
    files = files or {}
    return OmegaConf.create(
        {
            "tokenizer": {
                "tokenizer_name": tokenizer_name,
                "vocab_file": None,
                "tokenizer_model": None,
                "special_tokens": None,
            },
            "language_model": {
                "pretrained_model_name": "bert-base-uncased",
                "lm_checkpoint": None,
                "config_file": None,
                "config": None,
                **language_model,
            },
            "classifier_head": {"num_output_layers": 2, "fc_dropout": 0.0},
            "class_labels": {"class_labels_file": None},
            "dataset": {
                "num_classes": num_classes,
                "do_lower_case": True,
                "max_seq_length": 32,
                "class_balancing": None,
                "use_cache": False,
                **dataset,
            },
            "train_ds": {
                "file_path": files.get("train"),
                "batch_size": 16,
                "shuffle": True,
                "num_samples": -1,
                "num_workers": 0,
            },
            "validation_ds": {
                "file_path": files.get("dev"),
                "batch_size": 16,
                "shuffle": False,
                "num_samples": -1,
                "num_workers": 0,
            },
            "optim": {"name": "adam", "lr": 3e-3},
        }
    )


def trainer(max_epochs):
    return pl.Trainer(
        max_epochs=max_epochs,
        check_val_every_n_epoch=max_epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )


# fmt: off
class SeedValidationStep(TextClassificationModel):
    """``validation_step`` copied verbatim from the seed walk-through (NeMo v1 core docs)."""

    def validation_step(self, batch, batch_idx):
        """
        Lightning calls this inside the validation loop with the data from the validation dataloader
        passed in as `batch`.
        """
        if self.testing:
            prefix = 'test'
        else:
            prefix = 'val'  # noqa: F841 (unused in the seed too)

        input_ids, input_type_ids, input_mask, labels = batch
        logits = self.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)

        val_loss = self.loss(logits=logits, labels=labels)

        preds = torch.argmax(logits, axis=-1)

        tp, fn, fp, _ = self.classification_report(preds, labels)

        return {'val_loss': val_loss, 'tp': tp, 'fn': fn, 'fp': fp}
# fmt: on


@pytest.mark.parametrize("model_class", [TextClassificationModel, SeedValidationStep])
def test_seed_walkthrough_init_forward_training_and_validation_step(
    model_class, vocab_file, bert_config, sentiment_files
):
    cfg = make_cfg("bert-base-uncased", {"config": bert_config}, sentiment_files)
    cfg.tokenizer.vocab_file = vocab_file
    model = model_class(cfg.copy())
    assert model.bert_model.config.hidden_size == 32
    assert model.classifier.mlp.layers[-1].out_features == 2
    batch = next(iter(model.train_dataloader()))
    input_ids, input_type_ids, input_mask, labels = batch
    logits = model.forward(input_ids=input_ids, token_type_ids=input_type_ids, attention_mask=input_mask)
    assert logits.shape == (input_ids.shape[0], 2)
    model.setup_optimization()
    out = model.training_step(batch, 0)
    assert out["lr"] == pytest.approx(3e-3) and out["loss"].requires_grad
    model.eval()  # as Lightning does for validation: both steps then see the same predictions
    outputs = [model.validation_step(batch, 0), model.validation_step(batch, 1)]
    val = outputs[0]
    assert set(val) == {"val_loss", "tp", "fn", "fp"} and torch.isfinite(val["val_loss"])
    # the step's counts are per class: tp + fn is the support of each class in the batch
    assert (val["tp"] + val["fn"]).tolist() == torch.bincount(labels, minlength=2).tolist()
    assert int(val["tp"].sum() + val["fp"].sum()) == len(labels)
    report = model.classification_report
    assert report.tp.tolist() == (2 * val["tp"]).tolist()  # both steps accumulated for the epoch end
    result = model.multi_validation_epoch_end(outputs)
    assert set(result["log"]) == {"val_loss", "val_precision", "val_recall", "val_f1"}
    accuracy = 100.0 * float(val["tp"].sum()) / len(labels)  # micro precision is the accuracy
    assert float(result["log"]["val_precision"]) == pytest.approx(accuracy, abs=1e-3)
    assert 0.0 <= float(result["log"]["val_f1"]) <= 100.0
    assert report.tp.sum() == 0  # reset for the next epoch


def test_fine_tune_save_and_restore_in_a_fresh_process(tmp_path, bert_checkpoint_dir, sentiment_files, toy_rows):
    torch.manual_seed(0)
    cfg = make_cfg(bert_checkpoint_dir, {"pretrained_model_name": bert_checkpoint_dir}, sentiment_files)
    model = TextClassificationModel(cfg)
    t = trainer(8)  # 4 batches an epoch
    t.fit(model)
    accuracy = t.callback_metrics["val_precision"]
    assert accuracy > 75.0, f"micro precision (accuracy) {accuracy} after 32 steps on separable data"
    rows = toy_rows(6, seed=7)
    queries = [sentence for sentence, _ in rows]
    before = model.classifytext(queries, batch_size=4)
    assert before == [label for _, label in rows]
    nemo_file = tmp_path / "clf.nemo"
    model.save_to(str(nemo_file))
    shutil.rmtree(bert_checkpoint_dir)  # the archive must carry the vocabulary and the encoder config

    script = (
        "import json, sys, torch\n"
        "from nemo.collections.nlp.models import TextClassificationModel\n"
        "m = TextClassificationModel.restore_from(sys.argv[1], map_location='cpu').eval()\n"
        "q = json.loads(sys.argv[2])\n"
        "print(json.dumps({'preds': m.classifytext(q, batch_size=3),"
        " 'logits': m.forward(**dict(zip(['input_ids','token_type_ids','attention_mask'],"
        " (torch.tensor([[2, 5, 3]]), torch.zeros(1, 3, dtype=torch.long), torch.ones(1, 3, dtype=torch.long)))))"
        ".tolist()}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(nemo_file), json.dumps(queries)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    restored = json.loads(proc.stdout.strip().splitlines()[-1])
    assert restored["preds"] == before
    model.eval()
    with torch.no_grad():
        expected = model.forward(
            input_ids=torch.tensor([[2, 5, 3]]),
            token_type_ids=torch.zeros(1, 3, dtype=torch.long),
            attention_mask=torch.ones(1, 3, dtype=torch.long),
        )
    assert torch.allclose(torch.tensor(restored["logits"]), expected, atol=1e-5)


def test_weighted_loss_balances_the_classes(tmp_path, vocab_file, bert_config):
    train = tmp_path / "train.tsv"
    train.write_text("good film\t1\nbad film\t0\nawful plot\t0\ndull plot\t0\n", encoding="utf-8")
    cfg = make_cfg("bert-base-uncased", {"config": bert_config}, {"train": str(train)}, class_balancing="weighted_loss")
    cfg.tokenizer.vocab_file = vocab_file
    model = TextClassificationModel(cfg)
    assert model.class_weights == pytest.approx([4 / (2 * 3), 4 / (2 * 1)])
    assert torch.allclose(model.loss.weight, torch.tensor([2 / 3, 2.0]))
    model.save_to(str(tmp_path / "weighted.nemo"))
    train.unlink()  # the restored model sets up no data, yet keeps the class weights from the archive
    restored = TextClassificationModel.restore_from(str(tmp_path / "weighted.nemo"), map_location="cpu")
    assert torch.allclose(restored.loss.weight, torch.tensor([2 / 3, 2.0]))


def test_out_of_range_label_names_the_file(tmp_path, vocab_file, bert_config):
    train = tmp_path / "train.tsv"
    train.write_text("good film\t1\nbad film\t2\n", encoding="utf-8")
    cfg = make_cfg("bert-base-uncased", {"config": bert_config}, {"train": str(train)})
    cfg.tokenizer.vocab_file = vocab_file
    with pytest.raises(ValueError, match="train.tsv.*num_classes=2"):
        TextClassificationModel(cfg)


def test_list_available_models_is_none():
    assert TextClassificationModel.list_available_models() is None
    assert Path(__file__).name  # the module imports without a device or data set


def test_restored_model_exports_to_torchscript_without_a_trainer(tmp_path, vocab_file, bert_config):
    cfg = make_cfg("bert-base-uncased", {"config": bert_config})
    cfg.tokenizer.vocab_file = vocab_file
    TextClassificationModel(cfg).save_to(str(tmp_path / "tc.nemo"))
    restored = TextClassificationModel.restore_from(str(tmp_path / "tc.nemo"), map_location="cpu").eval()
    assert restored._trainer is None
    # By keyword: forward's parameter order differs from the order of input_types and input_example().
    example = dict(zip(restored.input_module.input_types, restored.input_module.input_example()))
    path = str(tmp_path / "tc.ts")
    restored.export(path, input_example=(example,))  # used to fail: "... is not attached to a `Trainer`"
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(path)(**example), restored(**example))
