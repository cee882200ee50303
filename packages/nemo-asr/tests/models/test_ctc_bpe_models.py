"""EncDecCTCModelBPE: the decoder's vocabulary from the tokenizer, WordPiece tokenizers and the NGC listing (what both
sub-word models share is tested in tests/parts/mixins/test_mixins.py)."""

from asr_models_testing import ctc_bpe_config, make_tokenizer_dir
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecCTCModelBPE


def test_decoder_vocabulary_comes_from_the_tokenizer(tokenizer_dir):
    model = EncDecCTCModelBPE(cfg=ctc_bpe_config(tokenizer_dir))
    assert list(model.cfg.decoder.vocabulary) == model.tokenizer.vocab


def test_change_vocabulary_to_a_larger_tokenizer(tmp_path, tokenizer_dir):
    model = EncDecCTCModelBPE(cfg=ctc_bpe_config(tokenizer_dir))
    new_dir = make_tokenizer_dir(tmp_path / "other", vocab_size=32, texts=["a quick brown fox", "jumps over the dog"])
    model.change_vocabulary(str(new_dir), "bpe")
    assert model.tokenizer.vocab_size == 32 and model.decoder.num_classes_with_blank == 33
    assert model.loss._blank == 32 and list(model.cfg.decoder.vocabulary) == model.tokenizer.vocab


def test_wordpiece_tokenizer_from_vocab_txt(tmp_path):
    directory = tmp_path / "wpe"
    directory.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "yes", "no", "##s", "stop", "go", "up"]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    cfg = ctc_bpe_config(directory)
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
