"""Every ASR model class, built from its example config and saved, restores with one construction and quietly, and
refuses every tampered ``_target_`` on restore."""

from pathlib import Path

import pytest
from asr_models_testing import TEXTS, tiny_encoder
from omegaconf import OmegaConf

from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model
from nemo.core.testing import examples_dir
from nemo.core.testing.archive_safety import assert_saved_model_safe, concrete_model_classes
from nemo.core.testing.restore_once import assert_saved_model_restores_once

CONF = examples_dir("asr", "conf")


def _example(name: str):
    """The ``model`` node of an example config, with a small encoder (the safety test needs no capacity)."""
    model = OmegaConf.load(CONF / name).model
    for split in ("train_ds", "validation_ds", "test_ds"):
        if split in model:
            model[split].manifest_filepath = None  # no data: restoring sets up no loaders anyway
    model.encoder = OmegaConf.merge(model.encoder, tiny_encoder(feat_in=model.encoder.feat_in))
    return model


def _ctc(tmp_path: Path):
    model = _example("config.yaml")
    model.decoder.feat_in = 32
    return model


def _ctc_bpe(tmp_path: Path):
    corpus = tmp_path / "text.txt"
    corpus.write_text("\n".join(TEXTS * 20) + "\n", encoding="utf-8")
    create_spt_model(str(corpus), vocab_size=24, sample_size=-1, do_lower_case=True, output_dir=str(tmp_path / "spe"))
    model = _example("config_bpe.yaml")
    model.tokenizer.dir = str(tmp_path / "spe")
    model.decoder.feat_in = 32
    return model


def _classification(tmp_path: Path):
    model = _example("matchboxnet/matchboxnet_3x1x64_v1.yaml")
    model.decoder.feat_in = 32
    return model


def _rnnt(tmp_path: Path):
    model = _example("contextnet_rnnt/contextnet_rnnt_small.yaml")
    model.model_defaults.enc_hidden = 32  # the small encoder's width
    return model


def _rnnt_bpe(tmp_path: Path):
    model = _rnnt(tmp_path)
    model.tokenizer = _ctc_bpe(tmp_path).tokenizer  # the same SentencePiece tokenizer
    return model


# Model class name -> the example config it is built from (a new model class adds its example here).
EXAMPLE_CONFIGS = {
    "EncDecCTCModel": _ctc,
    "EncDecCTCModelBPE": _ctc_bpe,
    "EncDecClassificationModel": _classification,
    "EncDecRNNTModel": _rnnt,
    "EncDecRNNTBPEModel": _rnnt_bpe,
}
MODEL_CLASSES = concrete_model_classes("nemo.collections.asr", ["nemo.collections.asr.models"])


def test_every_model_class_is_covered():
    assert {klass.__name__ for klass in MODEL_CLASSES} == set(EXAMPLE_CONFIGS)


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda klass: klass.__name__)
def test_tampered_targets_are_refused(model_class, tmp_path):
    build = EXAMPLE_CONFIGS.get(model_class.__name__) or pytest.fail(f"{model_class.__name__} has no example config")
    covered = assert_saved_model_safe(model_class, build(tmp_path), tmp_path)
    assert {"preprocessor", "encoder", "decoder"} <= set(covered)


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda klass: klass.__name__)
def test_restore_builds_once_on_the_meta_device_and_quietly(model_class, tmp_path):
    """No fallback to a second, randomly initialised build; one INFO line; every tensor equal to the saved model's."""
    build = EXAMPLE_CONFIGS.get(model_class.__name__) or pytest.fail(f"{model_class.__name__} has no example config")
    assert_saved_model_restores_once(model_class, build(tmp_path), tmp_path)
