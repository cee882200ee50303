import numpy as np
import pytest

from nemo.collections.common.tokenizers import CharTokenizer


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "chars.txt"
    path.write_text(" \na\nb\nc\n'\nж\n", encoding="utf-8")
    return str(path)


def test_ids_follow_file_order_then_special_tokens(vocab_file):
    tok = CharTokenizer(vocab_file, pad_token="<pad>", unk_token="<unk>", bos_token="<s>")
    assert tok.vocab == {" ": 0, "a": 1, "b": 2, "c": 3, "'": 4, "ж": 5, "<s>": 6, "<pad>": 7, "<unk>": 8}
    assert tok.vocab_size == 9
    assert (tok.bos_id, tok.pad_id, tok.unk_id) == (6, 7, 8)
    assert tok.eos_id is None and tok.mask_id is None


def test_round_trip_unknown_and_special_tokens(vocab_file):
    tok = CharTokenizer(vocab_file, unk_token="<unk>", eos_token="</s>")
    assert tok.text_to_tokens("ab cж!") == ["a", "b", " ", "c", "ж", "<unk>"]
    ids = tok.text_to_ids("cab 'a")
    assert ids == [3, 1, 2, 0, 4, 1]
    assert tok.ids_to_text(ids + [tok.eos_id]) == "cab 'a"  # special tokens are dropped when decoding
    assert tok.ids_to_text(np.array(ids)) == "cab 'a"
    assert tok.tokens_to_text(["a", "</s>", "b"]) == "ab"
    assert tok.ids_to_tokens([1, 2]) == ["a", "b"] and tok.tokens_to_ids("c") == [3]


def test_unknown_characters_without_unk_are_dropped(vocab_file, caplog):
    tok = CharTokenizer(vocab_file)
    assert tok.text_to_ids("a?b") == [1, 2]
    assert "'?' at position 1" in caplog.text


def test_add_special_tokens(vocab_file):
    tok = CharTokenizer(vocab_file)
    tok.add_special_tokens({"mask_token": "<m>"})
    tok.add_special_tokens(["<x>", "a"])
    assert tok.mask_id == 6 and tok.tokens_to_ids(["<x>"]) == [7] and tok.vocab_size == 8


def test_errors_name_file_line_and_token(tmp_path, vocab_file):
    bad = tmp_path / "bad.txt"
    bad.write_text("a\nbc\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected exactly one character per line, got 'bc'"):
        CharTokenizer(str(bad))
    with pytest.raises(ValueError, match="cannot read vocab_file"):
        CharTokenizer(str(tmp_path / "missing.txt"))
    tok = CharTokenizer(vocab_file)
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        tok.tokens_to_ids(["z"])
    with pytest.raises(IndexError, match="id 42 is outside"):
        tok.ids_to_tokens([42])
    with pytest.raises(ValueError, match="non-empty str"):
        tok.add_special_tokens({"pad_token": ""})
