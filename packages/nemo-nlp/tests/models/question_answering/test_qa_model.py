import json
import subprocess
import sys

import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from nemo.collections.nlp.models import QAModel  # noqa: E402
from nemo.core.testing import examples_dir  # noqa: E402


def test_v1_layout_and_typed_outputs(squad_file, qa_cfg):
    model = QAModel(qa_cfg(squad_file("train.json", 4), squad_file("dev.json", 2, seed=1)))
    assert {k.split(".")[0] for k in model.state_dict()} == {"bert_model", "classifier"}
    assert "classifier.mlp.layer0.weight" in model.state_dict()  # v1's TokenClassifier names
    assert set(model.output_types) == {"logits"} and len(model.val_dataloader().dataset.examples) == 6
    input_ids, token_type_ids, attention_mask, unique_ids, starts, ends = next(iter(model.train_dataloader()))
    logits = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    assert logits.shape == (*input_ids.shape, 2)
    from nemo.collections.nlp.models.question_answering.qa_model import QAModel as V1Path

    assert V1Path is QAModel


def test_bad_config_is_refused(squad_file, qa_cfg):
    train = squad_file("train.json", 2)
    cfg = qa_cfg(train)
    cfg.dataset.doc_strid = cfg.dataset.pop("doc_stride")
    with pytest.raises(ValueError, match=r"model.dataset: unknown key 'doc_strid'.*did you mean 'doc_stride'"):
        QAModel(cfg)
    cfg = qa_cfg(train)
    cfg.train_ds.fil = cfg.train_ds.pop("file")
    with pytest.raises(ValueError, match=r"train_ds: unknown key 'fil'.*did you mean 'file'"):
        QAModel(cfg)
    cfg = qa_cfg(train)
    cfg.token_classifier.num_classes = 3
    with pytest.raises(ValueError, match=r"token_classifier.num_classes=3; expected 2"):
        QAModel(cfg)
    cfg = qa_cfg(train)
    cfg.token_classifier.log_softmax = True
    with pytest.raises(ValueError, match=r"token_classifier.log_softmax=true; expected false"):
        QAModel(cfg)
    with pytest.raises(ValueError, match=r"v2.json: .*is_impossible .*version_2_with_negative: true"):
        QAModel(qa_cfg(squad_file("v2.json", 2, negatives=True)))


@pytest.mark.slow(reason="trains a tiny encoder for 30 epochs of 24 contexts")
def test_training_loss_falls_and_answers_improve(squad_file, qa_cfg, fit_and_validate):
    """From random weights the model first learns where colours stand (one of three per window: loss ln 3, exact
    match about 1/3); matching the question's name to the context's takes far longer than a unit test."""
    torch.manual_seed(0)
    model = QAModel(qa_cfg(squad_file("train.json", 24), squad_file("dev.json", 8, seed=1)))
    before, after = fit_and_validate(model, 30)
    assert after["val_loss"] < 0.5 * before["val_loss"]
    assert before["val_exact_match"] == 0.0 and after["val_exact_match"] >= 25.0
    assert after["val_f1"] > before["val_f1"] + 10


def _questions_only(path):
    content = json.loads(open(path, encoding="utf-8").read())
    for paragraph in content["data"][0]["paragraphs"]:
        for qa in paragraph["qas"]:
            del qa["answers"]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f)
    return path


def test_inference_returns_and_writes_answers(tmp_path, squad_file, qa_cfg):
    model = QAModel(qa_cfg(squad_file("train.json", 2))).train()
    questions = _questions_only(squad_file("questions.json", 3, seed=2))
    files = {"output_prediction_file": str(tmp_path / "pred.json"), "output_nbest_file": str(tmp_path / "nbest.json")}
    predictions, nbest = model.inference(questions, batch_size=4, num_samples=5, **files)
    assert model.training  # the mode it had
    assert len(predictions) == 5 and list(predictions) == list(nbest)
    assert predictions["c0-" + predictions[next(iter(predictions))][0].split()[2]]
    for qid, (question, answer) in predictions.items():
        assert question.startswith("what does ") and answer == nbest[qid][0]["text"]
        assert answer in "anna likes red . ben likes blue . " or answer in json.dumps(json.load(open(questions)))
        assert sum(entry["probability"] for entry in nbest[qid]) == pytest.approx(1.0)
        assert len(nbest[qid]) <= 20 and set(nbest[qid][0]) == {"text", "probability", "start_logit", "end_logit"}
    written = json.loads((tmp_path / "pred.json").read_text(encoding="utf-8"))
    assert written == {qid: list(value) for qid, value in predictions.items()}
    assert json.loads((tmp_path / "nbest.json").read_text(encoding="utf-8")) == nbest


@pytest.mark.slow(reason="restores the model in a new Python process")
def test_restore_in_a_fresh_process_gives_identical_answers(tmp_path, squad_file, qa_cfg, fresh_restore):
    torch.manual_seed(1)
    model = QAModel(qa_cfg(squad_file("train.json", 2)))
    questions = _questions_only(squad_file("questions.json", 3, seed=2))
    predictions, nbest = model.inference(questions, batch_size=4)
    model.save_to(str(tmp_path / "qa.nemo"))
    (tmp_path / "qa_vocab.txt").unlink()  # the archive carries the vocabulary
    restored = fresh_restore("QAModel", tmp_path / "qa.nemo", "m.inference(sys.argv[2], batch_size=4)", questions)
    assert restored == [{qid: list(value) for qid, value in predictions.items()}, nbest]


@pytest.mark.slow(reason="runs the example script in a new Python process")
def test_example_script_trains_tests_and_answers(tmp_path, squad_file, qa_vocab_file):
    train, dev = squad_file("train.json", 8), squad_file("dev.json", 3, seed=1)
    settings = {
        "model.train_ds.file": train,
        "model.validation_ds.file": dev,
        "model.test_ds.file": dev,
        "model.test_ds.output_prediction_file": tmp_path / "pred.json",
        "model.tokenizer.vocab_file": qa_vocab_file,
        "model.nemo_path": tmp_path / "qa.nemo",
        "model.language_model.config.hidden_size": 32,
        "model.language_model.config.intermediate_size": 64,
        "model.language_model.config.num_hidden_layers": 1,
        "trainer.max_epochs": 1,
        "trainer.accelerator": "cpu",
        "exp_manager.exp_dir": tmp_path / "exp",
    }
    overrides = ["--config-name", "question_answering_tiny", *(f"{key}={value}" for key, value in settings.items())]
    script = examples_dir("nlp", "question_answering", "question_answering_squad.py")
    proc = subprocess.run([sys.executable, str(script), *overrides], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "test exact match" in proc.stdout + proc.stderr and "Q: what does" in proc.stdout + proc.stderr
    assert len(json.loads((tmp_path / "pred.json").read_text(encoding="utf-8"))) == 9
    model = QAModel.restore_from(str(tmp_path / "qa.nemo"), map_location="cpu")
    assert model.cfg.dataset.max_seq_length == 192 and model.bert_model.config.hidden_size == 32
