import pytest

from nemo.collections.common.tokenizers import WordTokenizer


def _words(tmp_path, text: str) -> str:
    (tmp_path / "words.txt").write_text(text, encoding="utf-8")
    return str(tmp_path / "words.txt")


def test_words_round_trip_with_unk(tmp_path):
    tok = WordTokenizer(_words(tmp_path, "hello\nworld\n  spaced  \nhello\n"), unk_token="<unk>", pad_token="<pad>")
    assert tok.vocab == {"hello": 0, "world": 1, "spaced": 2, "<pad>": 3, "<unk>": 4}
    assert tok.text_to_tokens(" hello  there\tworld ") == ["hello", "<unk>", "world"]
    ids = tok.text_to_ids("world spaced hello")
    assert ids == [1, 2, 0]
    assert tok.ids_to_text(ids + [tok.pad_id]) == "world spaced hello"


def test_one_word_per_line_and_known_special_tokens(tmp_path):
    with pytest.raises(ValueError, match=r"words.txt:2: expected exactly one word per line"):
        WordTokenizer(_words(tmp_path, "hello\ntwo words\n"))
    with pytest.raises(ValueError, match="WordTokenizer: unknown key 'unk_tokn'.*did you mean 'unk_token'"):
        WordTokenizer(_words(tmp_path, "hello\n"), unk_tokn="<unk>")
