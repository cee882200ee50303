"""ASRBPEMixin through both sub-word models (CTC and transducer): the tokenizer's files become artifacts, bad tokenizer
configs are refused, a trained model saves and restores without the tokenizer's folder, and change_vocabulary switches
to another tokenizer (fresh output layer, same encoder) and refuses bad arguments."""

import pytest
import torch
from asr_models_testing import bpe_config, ctc_bpe_config, make_tokenizer_dir, manifest_paths
from rnnt_testing import rnnt_config

from nemo.collections.asr.models import ASRModel, EncDecCTCModelBPE, EncDecRNNTBPEModel
from nemo.collections.asr.parts.mixins import ASRBPEMixin


def _rnnt_bpe_config(tokenizer_dir, manifest=None):
    return bpe_config(rnnt_config(), tokenizer_dir, manifest)


# model class, its config, and its output layer's (classes with blank, vocabulary size in the config)
MODELS = {
    "ctc": (
        EncDecCTCModelBPE,
        ctc_bpe_config,
        lambda m: (m.decoder.num_classes_with_blank, m.cfg.decoder.num_classes),
    ),
    "rnnt": (
        EncDecRNNTBPEModel,
        _rnnt_bpe_config,
        lambda m: (m.joint.num_classes_with_blank, m.cfg.decoder.vocab_size),
    ),
}
ARTIFACTS = {"tokenizer.model_path", "tokenizer.vocab_path", "tokenizer.spe_tokenizer_vocab"}


@pytest.fixture(params=sorted(MODELS))
def kind(request):
    return MODELS[request.param]


def test_the_tokenizer_sets_the_output_layer_and_its_files_become_artifacts(kind, tokenizer_dir):
    model_class, config, output_sizes = kind
    model = model_class(cfg=config(tokenizer_dir))
    assert isinstance(model, ASRBPEMixin) and model.tokenizer.vocab_size == 28
    assert output_sizes(model) == (29, 28)
    assert set(model.artifacts) == ARTIFACTS
    assert model.cfg.tokenizer.model_path == str(tokenizer_dir / "tokenizer.model")
    assert model._wer.decode_tokens_to_str(model.tokenizer.text_to_ids("hello world")) == "hello world"


def test_bad_tokenizer_configs_are_reported(kind, tokenizer_dir, tmp_path):
    model_class, config, _ = kind
    cfg = config(tokenizer_dir)
    cfg["tokenizer"]["type"] = "chars"
    with pytest.raises(ValueError, match="tokenizer.type"):
        model_class(cfg=cfg)
    cfg["tokenizer"] = {"dir": str(tmp_path / "missing"), "type": "bpe"}
    with pytest.raises(FileNotFoundError, match="tokenizer.model_path"):
        model_class(cfg=cfg)
    del cfg["tokenizer"]
    with pytest.raises(ValueError, match="tokenizer"):
        model_class(cfg=cfg)


def test_trains_and_survives_save_restore_without_the_tokenizer_dir(kind, tmp_path, tokenizer_dir, text_corpus):
    model_class, config, _ = kind
    torch.manual_seed(0)
    model = model_class(cfg=config(tokenizer_dir, text_corpus))
    out = model.training_step(next(iter(model._train_dl)), 0)
    assert torch.isfinite(out["loss"]) and out["loss"].requires_grad and "training_batch_wer" in out["log"]
    files = manifest_paths(text_corpus)
    expected = model.transcribe(files, batch_size=3)
    assert len(expected) == len(files) and all(isinstance(t, str) for t in expected)
    path = tmp_path / "bpe.nemo"
    model.save_to(str(path))
    for item in tokenizer_dir.iterdir():
        item.unlink()
    tokenizer_dir.rmdir()
    restored = ASRModel.restore_from(str(path), map_location="cpu")
    assert type(restored) is model_class and restored.transcribe(files, batch_size=3) == expected
    assert restored.tokenizer.vocab == model.tokenizer.vocab
    again = tmp_path / "again.nemo"
    restored.save_to(str(again))  # the restored artifacts are packed again
    config = ASRModel.restore_from(str(again), return_config=True)
    assert config.tokenizer.model_path.startswith("nemo:")


def test_change_vocabulary_switches_to_another_tokenizer(kind, tmp_path, tokenizer_dir, text_corpus):
    model_class, config, output_sizes = kind
    model = model_class(cfg=config(tokenizer_dir))
    encoder = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    other = make_tokenizer_dir(tmp_path / "other", vocab_size=20)
    model.change_vocabulary(str(other), "bpe")
    assert model.tokenizer.vocab_size == 20 and output_sizes(model) == (21, 20) and model.loss._blank == 20
    assert model.cfg.tokenizer.dir == str(other)
    assert model.artifacts["tokenizer.model_path"].path == str(other / "tokenizer.model")
    assert all(torch.equal(v, encoder[k]) for k, v in model.encoder.state_dict().items())
    assert len(model.transcribe(manifest_paths(text_corpus)[:2])) == 2
    model.save_to(str(tmp_path / "other.nemo"))
    assert model_class.restore_from(str(tmp_path / "other.nemo"), map_location="cpu").tokenizer.vocab_size == 20
    with pytest.raises(NotADirectoryError):
        model.change_vocabulary(str(tmp_path / "missing"), "bpe")
    with pytest.raises(ValueError, match="bpe"):
        model.change_vocabulary(str(other), "chars")
