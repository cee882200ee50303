"""Every NLP model class, built from its example config and saved, refuses every tampered config node on restore."""

import importlib.util
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nemo.core.testing.archive_safety import assert_saved_model_safe, concrete_model_classes

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "nlp"


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


def _machine_translation(tmp_path: Path, vocab_file: str, bert_config: dict):
    spec = importlib.util.spec_from_file_location("enc_dec_nmt", EXAMPLES / "machine_translation" / "enc_dec_nmt.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for side, text in (("src", "one two three\nforty two\n"), ("tgt", "1 2 3\n4 2\n")):
        (tmp_path / f"train.{side}").write_text(text * 20, encoding="utf-8")
    cfg = OmegaConf.load(EXAMPLES / "machine_translation" / "conf" / "aayn_toy.yaml")
    cfg.model.preproc_out_dir = str(tmp_path / "preproc")
    cfg.model.train_ds.src_file_name = str(tmp_path / "train.src")
    cfg.model.train_ds.tgt_file_name = str(tmp_path / "train.tgt")
    for split in ("validation_ds", "test_ds"):
        cfg.model.pop(split, None)
    cfg = script.update_model_config(script.MTEncDecConfig(), cfg)
    script.prepare_tokenizers(cfg.model)
    return cfg.model


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
def test_tampered_config_nodes_are_refused(model_class, tmp_path, vocab_file, bert_config):
    build = EXAMPLE_CONFIGS.get(model_class.__name__) or pytest.fail(f"{model_class.__name__} has no example config")
    covered = assert_saved_model_safe(model_class, build(tmp_path, vocab_file, bert_config), tmp_path)
    assert "optim" in covered
