import random

import pytest

from nemo.collections.common.tokenizers import (
    AutoTokenizer,
    ByteLevelTokenizer,
    CharTokenizer,
    SentencePieceTokenizer,
    WordTokenizer,
    create_spt_model,
    get_nmt_tokenizer,
    get_tokenizer,
    get_tokenizer_list,
)


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory):
    rng = random.Random(1)
    root = tmp_path_factory.mktemp("utils")
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    data = root / "data.txt"
    data.write_text("\n".join(" ".join(rng.choice(words) for _ in range(6)) for _ in range(200)) + "\n")
    return create_spt_model(str(data), 40, -1, False, output_dir=str(root / "spm"))[0]


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\n", encoding="utf-8")
    return str(path)


def test_get_tokenizer_builtin_names(spm_model, vocab_file):
    spm = get_tokenizer("sentencepiece", tokenizer_model=spm_model, special_tokens={"sep_token": "[SEP]"})
    assert isinstance(spm, SentencePieceTokenizer) and spm.legacy and spm.sep_id == spm.original_vocab_size
    char = get_tokenizer("char", vocab_file=_chars(vocab_file), special_tokens={"unk_token": "<unk>"})
    assert isinstance(char, CharTokenizer) and char.unk_id == 2
    word = get_tokenizer("word", vocab_file=vocab_file, special_tokens={"unk_token": "[UNK]"})
    assert isinstance(word, WordTokenizer) and word.text_to_ids("a c") == [5, 1]
    assert get_tokenizer_list() == ["sentencepiece", "word", "char"]


def _chars(vocab_file):
    path = vocab_file.replace("vocab.txt", "chars.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("a\nb\n")
    return path


def test_get_tokenizer_falls_back_to_auto_tokenizer(vocab_file, tmp_path, monkeypatch):
    tok = get_tokenizer("bert-base-uncased", vocab_file=vocab_file)
    assert isinstance(tok, AutoTokenizer) and tok.text_to_ids("A b") == [5, 6]
    tok = get_tokenizer("megatron-bert-345m-uncased", vocab_file=vocab_file, special_tokens={"pad_token": "[PAD]"})
    assert tok.pad_id == 0
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(OSError, match="bert-base-uncased'@main .*not in the Hub cache"):
        get_tokenizer("bert-base-uncased")
    with pytest.raises(ValueError, match="must be a mapping"):
        get_tokenizer("char", vocab_file=vocab_file, special_tokens=["<unk>"])


def test_get_nmt_tokenizer_libraries(spm_model, vocab_file):
    spm = get_nmt_tokenizer("sentencepiece", tokenizer_model=spm_model)
    assert isinstance(spm, SentencePieceTokenizer) and not spm.legacy
    assert isinstance(get_nmt_tokenizer("byte-level"), ByteLevelTokenizer)
    hf = get_nmt_tokenizer("huggingface", model_name="bert-base-cased", vocab_file=vocab_file)
    assert isinstance(hf, AutoTokenizer) and hf.text_to_ids("A a") == [1, 5]
    assert isinstance(get_nmt_tokenizer("char", vocab_file=_chars(vocab_file)), CharTokenizer)
    with pytest.raises(FileNotFoundError, match="YouTokenToMe model file model.yttm does not exist"):
        get_nmt_tokenizer("yttm", tokenizer_model="model.yttm")
    with pytest.raises(FileNotFoundError, match="YouTokenToMe model file model.yttm does not exist"):
        get_tokenizer("yttm", tokenizer_model="model.yttm")
    with pytest.raises(ValueError, match="needs tokenizer_model"):
        get_nmt_tokenizer("yttm")
    with pytest.raises(ValueError, match="library='fairseq' is not supported"):
        get_nmt_tokenizer("fairseq")
    with pytest.raises(ValueError, match="needs model_name"):
        get_nmt_tokenizer("huggingface")
