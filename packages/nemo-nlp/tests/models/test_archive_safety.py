"""Every NLP model class, built from its example config and saved, refuses every tampered config node on restore."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir
from nemo.core.testing.archive_safety import assert_saved_model_safe, concrete_model_classes

EXAMPLES = examples_dir("nlp")


def _bert_example(conf: Path, vocab_file: str, bert_config: dict):
    """An example's ``model`` node over a tiny random BERT (no download) and the tests' vocabulary."""
    model = OmegaConf.load(conf).model
    model.language_model.config = bert_config
    model.tokenizer.vocab_file = vocab_file
    return model


def _text_classification(tmp_path: Path, vocab_file: str, bert_config: dict):
    conf = EXAMPLES / "text_classification" / "conf" / "text_classification_config.yaml"
    model = _bert_example(conf, vocab_file, bert_config)
    for split in ("train_ds", "validation_ds", "test_ds"):
        model[split].file_path = None
    return model


def _token_classification(tmp_path: Path, vocab_file: str, bert_config: dict):
    model = _bert_example(
        EXAMPLES / "token_classification" / "conf" / "token_classification_config.yaml", vocab_file, bert_config
    )
    for split in ("train", "dev"):
        (tmp_path / f"text_{split}.txt").write_text("the movie is good\nbad plot\n", encoding="utf-8")
        (tmp_path / f"labels_{split}.txt").write_text("O-U O O PERIOD\nO-U PERIOD\n", encoding="utf-8")
    model.dataset.data_dir = str(tmp_path)
    return model


def _machine_translation(tmp_path: Path, toy_nmt_cfg) -> dict:
    for side, text in (("src", "one two three\nforty two\n"), ("tgt", "1 2 3\n4 2\n")):
        (tmp_path / f"train.{side}").write_text(text * 20, encoding="utf-8")
    return toy_nmt_cfg((tmp_path / "train.src", tmp_path / "train.tgt")).model


# Model class name -> the example config it is built from (a new model class adds its example here).
EXAMPLE_CONFIGS = {
    "TextClassificationModel": _text_classification,
    "TokenClassificationModel": _token_classification,
    "MTEncDecModel": _machine_translation,
}
MODEL_CLASSES = concrete_model_classes("nemo.collections.nlp", ["nemo.collections.nlp.models"])


def test_every_model_class_is_covered():
    assert {klass.__name__ for klass in MODEL_CLASSES} == set(EXAMPLE_CONFIGS)


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda klass: klass.__name__)
def test_tampered_config_nodes_are_refused(model_class, tmp_path, vocab_file, bert_config, toy_nmt_cfg):
    build = EXAMPLE_CONFIGS.get(model_class.__name__) or pytest.fail(f"{model_class.__name__} has no example config")
    config = build(tmp_path, toy_nmt_cfg) if build is _machine_translation else build(tmp_path, vocab_file, bert_config)
    covered = assert_saved_model_safe(model_class, config, tmp_path)
    assert "optim" in covered
