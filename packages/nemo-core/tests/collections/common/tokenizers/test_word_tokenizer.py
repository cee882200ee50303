import pytest

from nemo.collections.common.tokenizers import WordTokenizer


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("hello\nworld\n  spaced  \nhello\n", encoding="utf-8")
    return str(path)


def test_words_round_trip_with_unk(vocab_file):
    tok = WordTokenizer(vocab_file, unk_token="<unk>", pad_token="<pad>")
    assert tok.vocab == {"hello": 0, "world": 1, "spaced": 2, "<pad>": 3, "<unk>": 4}
    assert tok.text_to_tokens(" hello  there\tworld ") == ["hello", "<unk>", "world"]
    ids = tok.text_to_ids("world spaced hello")
    assert ids == [1, 2, 0]
    assert tok.ids_to_text(ids + [tok.pad_id]) == "world spaced hello"


def test_one_word_per_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("hello\ntwo words\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected exactly one word per line"):
        WordTokenizer(str(path))
