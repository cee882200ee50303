import pytest

from nemo.collections.asr.parts.preprocessing.cleaners import clean_text, number_to_words
from nemo.collections.asr.parts.preprocessing.parsers import CharParser, OutOfVocabularyError, make_parser

LABELS = list(" abcdefghijklmnopqrstuvwxyz'")


def _decode(ids):
    return "".join(LABELS[i] for i in ids)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hello, World!", "hello world"),
        ("Dr. Smith paid $3.50", "doctor smith paid three dollars and fifty cents"),
        ("2,000 items on the 21st", "two thousand items on the twenty first"),
        ("It's 100% R&D", "it's one hundred percent r and d"),
        ("Café — naïve", "cafe naive"),
        ("pi is 3.14", "pi is three point one four"),
        ("  lots   of\tspace ", "lots of space"),
    ],
)
def test_en_parser_normalizes_like_nemo(text, expected):
    assert _decode(make_parser(LABELS, "en")(text)) == expected


def test_number_to_words():
    assert number_to_words(0) == "zero"
    assert number_to_words(90) == "ninety"
    assert number_to_words(1_234_567) == "one million two hundred thirty four thousand five hundred sixty seven"


def test_punctuation_in_labels_is_kept():
    labels = LABELS + ["?"]
    assert "".join(labels[i] for i in make_parser(labels, "en")("Ready?")) == "ready?"
    assert clean_text("ready?", table=None) == "ready?"


def test_base_parser_lowercases_and_rejects_unknown_characters():
    parser = make_parser(LABELS, "base")
    assert _decode(parser("  Yes No ")) == "yes no"
    with pytest.raises(OutOfVocabularyError, match=r"'!'"):
        parser("yes!")


def test_unk_index_maps_unknown_characters_and_is_never_produced_by_text():
    labels = LABELS + ["<unk>"]
    parser = CharParser(labels, unk_id=len(labels) - 1)
    assert parser("a#b") == [1, len(labels) - 1, 2]


def test_without_normalization_case_is_kept():
    parser = make_parser(list(" abAB"), "en", do_normalize=False)
    assert parser("aB A") == [1, 4, 0, 3]


def test_unknown_parser_name():
    with pytest.raises(ValueError, match="unknown parser 'fr'"):
        make_parser(LABELS, "fr")
