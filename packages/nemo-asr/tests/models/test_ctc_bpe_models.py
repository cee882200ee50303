import pytest
import torch
from asr_models_testing import TEXTS, ctc_config, manifest_paths
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecCTCModel, EncDecCTCModelBPE
from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model


def _tokenizer_dir(tmp_path, name, vocab_size, texts=TEXTS):
    corpus = tmp_path / f"{name}.txt"
    corpus.write_text("\n".join(list(texts) * 20) + "\n", encoding="utf-8")
    model_path, _ = create_spt_model(
        str(corpus),
        vocab_size=vocab_size,
        sample_size=-1,
        do_lower_case=True,
        tokenizer_type="bpe",
        output_dir=str(tmp_path / name),
    )
    return tmp_path / name


def _bpe_config(tokenizer_dir, manifest=None):
    cfg = ctc_config()
    cfg.pop("labels")
    cfg["tokenizer"] = {"dir": str(tokenizer_dir), "type": "bpe"}
    cfg["decoder"] = {"_target_": "nemo.collections.asr.modules.ConvASRDecoder", "feat_in": None, "num_classes": -1}
    if manifest is not None:
        cfg["train_ds"] = {"manifest_filepath": str(manifest), "sample_rate": 16000, "batch_size": 3}
    return cfg


@pytest.fixture
def tokenizer_dir(tmp_path):
    return _tokenizer_dir(tmp_path, "spe", vocab_size=28)


def test_vocabulary_and_artifacts_come_from_the_tokenizer(tokenizer_dir):
    model = EncDecCTCModelBPE(cfg=_bpe_config(tokenizer_dir))
    assert model.tokenizer.vocab_size == 28
    assert model.decoder.num_classes_with_blank == 29 and model.cfg.decoder.num_classes == 28
    assert list(model.cfg.decoder.vocabulary) == model.tokenizer.vocab
    assert set(model.artifacts) == {"tokenizer.model_path", "tokenizer.vocab_path", "tokenizer.spe_tokenizer_vocab"}
    assert model.cfg.tokenizer.model_path == str(tokenizer_dir / "tokenizer.model")
    assert model._wer.decode_tokens_to_str(model.tokenizer.text_to_ids("hello world")) == "hello world"


def test_bad_tokenizer_configs_are_reported(tokenizer_dir, tmp_path):
    cfg = _bpe_config(tokenizer_dir)
    cfg["tokenizer"]["type"] = "chars"
    with pytest.raises(ValueError, match="tokenizer.type"):
        EncDecCTCModelBPE(cfg=cfg)
    cfg["tokenizer"] = {"dir": str(tmp_path / "missing"), "type": "bpe"}
    with pytest.raises(FileNotFoundError, match="tokenizer.model_path"):
        EncDecCTCModelBPE(cfg=cfg)
    del cfg["tokenizer"]
    with pytest.raises(ValueError, match="tokenizer"):
        EncDecCTCModelBPE(cfg=cfg)


def test_trains_and_survives_save_restore_without_the_tokenizer_dir(tmp_path, tokenizer_dir, text_corpus):
    torch.manual_seed(0)
    model = EncDecCTCModelBPE(cfg=_bpe_config(tokenizer_dir, text_corpus))
    batch = next(iter(model._train_dl))
    loss = model.training_step(batch, 0)["loss"]
    assert torch.isfinite(loss) and loss.requires_grad
    files = manifest_paths(text_corpus)
    expected = model.transcribe(files, batch_size=3)
    assert len(expected) == len(files) and all(isinstance(t, str) for t in expected)
    path = tmp_path / "bpe.nemo"
    model.save_to(str(path))
    for item in tokenizer_dir.iterdir():
        item.unlink()
    tokenizer_dir.rmdir()
    restored = EncDecCTCModelBPE.restore_from(str(path))
    assert restored.transcribe(files, batch_size=3) == expected
    assert restored.tokenizer.vocab == model.tokenizer.vocab
    again = tmp_path / "again.nemo"
    restored.save_to(str(again))  # the restored artifacts are packed again
    config = EncDecCTCModel.restore_from(str(again), return_config=True)
    assert config.tokenizer.model_path.startswith("nemo:")


def test_change_vocabulary_switches_tokenizer(tmp_path, tokenizer_dir):
    model = EncDecCTCModelBPE(cfg=_bpe_config(tokenizer_dir))
    new_dir = _tokenizer_dir(tmp_path, "other", vocab_size=32, texts=["a quick brown fox", "jumps over the dog"])
    model.change_vocabulary(str(new_dir), "bpe")
    assert model.tokenizer.vocab_size == 32 and model.decoder.num_classes_with_blank == 33
    assert model.loss._blank == 32
    assert model.cfg.tokenizer.dir == str(new_dir) and model.cfg.decoder.num_classes == 32
    assert model.artifacts["tokenizer.model_path"].path == str(new_dir / "tokenizer.model")
    with pytest.raises(NotADirectoryError):
        model.change_vocabulary(str(tmp_path / "nowhere"), "bpe")
    with pytest.raises(ValueError, match="bpe"):
        model.change_vocabulary(str(new_dir), "chars")


def test_wordpiece_tokenizer_from_vocab_txt(tmp_path):
    directory = tmp_path / "wpe"
    directory.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "yes", "no", "##s", "stop", "go", "up"]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    cfg = _bpe_config(directory)
    cfg["tokenizer"]["type"] = "wpe"
    model = EncDecCTCModelBPE(cfg=cfg)
    assert model.decoder.num_classes_with_blank == len(vocab) + 1
    assert OmegaConf.select(model.cfg, "tokenizer.vocab_path") == str(directory / "vocab.txt")
    assert model._wer.decode_tokens_to_str(model.tokenizer.text_to_ids("hello world")) == "hello world"


def test_list_available_models():
    names = EncDecCTCModelBPE.get_available_model_names()
    assert {
        "stt_en_citrinet_256",
        "stt_en_citrinet_1024",
        "stt_es_citrinet_512",
        "stt_en_conformer_ctc_large_ls",
    } <= set(names)
    assert "stt_en_quartznet15x5" not in names
