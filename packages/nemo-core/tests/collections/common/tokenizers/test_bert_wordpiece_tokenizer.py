import os

import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer

SMALL_VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "hello",
    "world",
    ",",
    "!",
    "un",
    "##aff",
    "##able",
    "cafe",
    "中",
    "文",
    "the",
    "##s",
    "dog",
    "'",
    "t",
    "don",
]


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(SMALL_VOCAB) + "\n", encoding="utf-8")
    return str(path)


def test_uncased_ids_by_hand(vocab_file):
    tok = BertWordPieceTokenizer(vocab_file)
    text = "Hello, World!  unaffable CAFÉ 中文 don't xyz"
    ids = [5, 7, 6, 8, 9, 10, 11, 12, 13, 14, 20, 18, 19, 1]  # hello , world ! un ##aff ##able cafe 中 文 don ' t [UNK]
    assert tok.text_to_ids(text) == ids
    assert tok.text_to_tokens(text) == [SMALL_VOCAB[i] for i in ids]
    assert tok.text_to_ids("dogs\tthe\n") == [17, 16, 15]
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
    assert tok.bos_id is None and tok.eos_id is None
    assert tok.vocab_size == len(SMALL_VOCAB) and tok.vocab == SMALL_VOCAB


def test_cased_keeps_case_and_accents(vocab_file):
    tok = BertWordPieceTokenizer(vocab_file, do_lower_case=False)
    assert tok.text_to_ids("Hello hello café cafe") == [1, 5, 1, 12]


def test_special_tokens_in_text_are_not_split_or_lowered(vocab_file):
    tok = BertWordPieceTokenizer(vocab_file)
    assert tok.text_to_ids("[CLS]hello[SEP] [MASK] [cls]") == [2, 5, 3, 4, 1, 1, 1]  # "[", "cls", "]"


def test_pairs_and_longest_first_truncation(vocab_file):
    tok = BertWordPieceTokenizer(vocab_file)
    encoded = tok.encode("hello world", "the dogs")
    assert encoded["input_ids"] == [2, 5, 6, 3, 15, 17, 16, 3]
    assert encoded["token_type_ids"] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert encoded["attention_mask"] == [1] * 8
    # 2 + 3 tokens, room for 3: the longer second text loses one, then ties cost the second text first
    assert tok.encode("hello world", "the dogs", max_length=6)["input_ids"] == [2, 5, 6, 3, 15, 3]
    assert tok.encode("hello world", "the dogs", max_length=5)["input_ids"] == [2, 5, 3, 15, 3]
    assert tok.encode("hello world dog", max_length=4)["input_ids"] == [2, 5, 6, 3]
    assert tok.encode("hello world", add_special_tokens=False)["input_ids"] == [5, 6]
    with pytest.raises(ValueError, match="max_length=2"):
        tok.encode("hello", "world", max_length=2)


def test_decoding_and_lookup(vocab_file):
    tok = BertWordPieceTokenizer(vocab_file)
    ids = tok.encode("Hello unaffable dogs")["input_ids"]
    assert tok.ids_to_tokens(ids) == ["[CLS]", "hello", "un", "##aff", "##able", "dog", "##s", "[SEP]"]
    assert tok.ids_to_text(ids) == "hello unaffable dogs"
    assert tok.tokens_to_ids(["dog", "cat"]) == [17, 1]  # unknown tokens map to [UNK]
    assert tok.token_to_id("the") == 15
    with pytest.raises(IndexError, match="outside the vocabulary"):
        tok.ids_to_tokens([len(SMALL_VOCAB)])


def test_add_special_tokens_and_save_vocabulary(vocab_file, tmp_path):
    tok = BertWordPieceTokenizer(vocab_file)
    assert tok.add_special_tokens({"bos_token": "<s>", "additional_special_tokens": ["<x>", "[SEP]"]}) == 2
    assert tok.vocab_size == len(SMALL_VOCAB) + 2
    assert tok.bos_id == len(SMALL_VOCAB) and tok.bos_token == "<s>"
    assert tok.text_to_tokens("hello<x>world") == ["hello", "<x>", "world"]
    assert tok.ids_to_text(tok.text_to_ids("<s> hello <x>")) == "hello"
    (saved,) = tok.save_vocabulary(str(tmp_path / "out"), filename_prefix="p")
    assert os.path.basename(saved) == "p-vocab.txt"
    assert open(saved, encoding="utf-8").read().splitlines() == SMALL_VOCAB + ["<s>", "<x>"]
    assert BertWordPieceTokenizer(saved).tokens_to_ids(["hello", "<x>"]) == [5, len(SMALL_VOCAB) + 1]


def test_bad_vocabularies(tmp_path):
    with pytest.raises(ValueError, match="not an existing file"):
        BertWordPieceTokenizer(str(tmp_path / "missing.txt"))
    path = tmp_path / "vocab.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(ValueError, match=r"unknown token '\[UNK\]'"):
        BertWordPieceTokenizer(str(path))
