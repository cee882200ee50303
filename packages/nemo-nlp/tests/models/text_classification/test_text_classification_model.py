import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import TextClassificationModel  # noqa: E402
from nemo.core.classes.data_setup import DataConfigError  # noqa: E402
from nemo.core.testing import quiet_cpu_trainer  # noqa: E402


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


# The walkthrough calls the steps by hand, with no Trainer: Lightning then warns that their self.log() goes nowhere.
@pytest.mark.filterwarnings(
    "ignore:You are trying to `self.log\\(\\)` but the `self.trainer` reference is not registered"
)
@pytest.mark.parametrize("model_class", [TextClassificationModel, SeedValidationStep])
def test_seed_walkthrough_init_forward_training_and_validation_step(
    model_class, text_classification_cfg, sentiment_files
):
    model = model_class(text_classification_cfg(sentiment_files))
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


def test_fine_tune_save_and_restore_in_a_fresh_process(
    tmp_path, bert_checkpoint_dir, sentiment_files, toy_rows, text_classification_cfg
):
    torch.manual_seed(0)
    cfg = text_classification_cfg(
        sentiment_files,
        tokenizer_name=bert_checkpoint_dir,
        language_model={"pretrained_model_name": bert_checkpoint_dir},
    )
    model = TextClassificationModel(cfg)
    t = quiet_cpu_trainer(max_epochs=8, check_val_every_n_epoch=8)  # 4 batches an epoch
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


def test_weighted_loss_balances_the_classes(tmp_path, text_classification_cfg):
    train = tmp_path / "train.tsv"
    train.write_text("good film\t1\nbad film\t0\nawful plot\t0\ndull plot\t0\n", encoding="utf-8")
    model = TextClassificationModel(text_classification_cfg({"train": str(train)}, class_balancing="weighted_loss"))
    assert model.class_weights == pytest.approx([4 / (2 * 3), 4 / (2 * 1)])
    assert torch.allclose(model.loss.weight, torch.tensor([2 / 3, 2.0]))
    model.save_to(str(tmp_path / "weighted.nemo"))
    train.unlink()  # the restored model sets up no data, yet keeps the class weights from the archive
    restored = TextClassificationModel.restore_from(str(tmp_path / "weighted.nemo"), map_location="cpu")
    assert torch.allclose(restored.loss.weight, torch.tensor([2 / 3, 2.0]))


def test_out_of_range_label_names_the_file(tmp_path, text_classification_cfg):
    train = tmp_path / "train.tsv"
    train.write_text("good film\t1\nbad film\t2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="train.tsv.*num_classes=2"):
        TextClassificationModel(text_classification_cfg({"train": str(train)}))


def test_list_available_models_is_none():
    assert TextClassificationModel.list_available_models() is None
    assert Path(__file__).name  # the module imports without a device or data set


def test_restored_model_exports_to_torchscript_without_a_trainer(tmp_path, text_classification_cfg):
    TextClassificationModel(text_classification_cfg()).save_to(str(tmp_path / "tc.nemo"))
    restored = TextClassificationModel.restore_from(str(tmp_path / "tc.nemo"), map_location="cpu").eval()
    assert restored._trainer is None
    # By keyword: forward's parameter order differs from the order of input_types and input_example().
    example = dict(zip(restored.input_module.input_types, restored.input_module.input_example()))
    path = str(tmp_path / "tc.ts")
    restored.export(path, input_example=(example,))  # used to fail: "... is not attached to a `Trainer`"
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(path)(**example), restored(**example))


def test_a_typo_in_a_data_config_key_is_refused_with_a_did_you_mean(text_classification_cfg, sentiment_files):
    cfg = text_classification_cfg(sentiment_files)
    cfg.train_ds.batchsize = cfg.train_ds.pop("batch_size")
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'batchsize' \(value 16\); did you mean 'batch_size'"):
        TextClassificationModel(cfg)
    cfg = text_classification_cfg(sentiment_files)
    cfg.validation_ds.file_pth = cfg.validation_ds.pop("file_path")  # not "no file_path, so no loader"
    with pytest.raises(ValueError, match=r"validation_ds: unknown key 'file_pth'.*did you mean 'file_path'"):
        TextClassificationModel(cfg)
    cfg.validation_ds.file_path = cfg.validation_ds.pop("file_pth")
    cfg.validation_ds.file_path = None  # null: no loader, as in NeMo v1
    assert TextClassificationModel(cfg).val_dataloader() == []


def test_a_never_set_data_file_is_named(text_classification_cfg):
    cfg = text_classification_cfg()
    cfg.train_ds.file_path = "???"  # as in the example config
    with pytest.raises(DataConfigError, match=r"train_ds.file_path is '\?\?\?' \(mandatory\)"):
        TextClassificationModel(cfg)


class V1DataSetup(TextClassificationModel):
    """NeMo v1's ``setup_*_data`` overrides, which call ``_setup_dataloader_from_config(cfg=...)``."""

    def setup_training_data(self, train_data_config):
        if not train_data_config or not train_data_config.file_path:
            self._train_dl = None
            return
        self._train_dl = self._setup_dataloader_from_config(cfg=train_data_config)
        self.v1_calls = getattr(self, "v1_calls", 0) + 1

    def setup_validation_data(self, val_data_config):
        self._validation_dl = self._setup_dataloader_from_config(cfg=val_data_config)


def test_v1_setup_data_overrides_keep_working(text_classification_cfg, sentiment_files):
    model = V1DataSetup(text_classification_cfg(sentiment_files))
    assert model.v1_calls == 1  # called once, after the whole constructor
    input_ids, _, _, labels = next(iter(model.train_dataloader()))
    assert input_ids.shape[0] == 16 and len(model.val_dataloader().dataset) == 16
    model.setup_training_data(model.cfg.train_ds)  # called again by the user: still the v1 path
    assert model.v1_calls == 2 and len(model.train_dataloader().dataset) == 64
