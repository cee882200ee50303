import pickle

import pytest
from omegaconf import OmegaConf

from nemo.collections.tts.data.tts_dataset import build_text_tokenizer
from nemo.collections.tts.parts.text.tokenizers import PHONEMES, EnglishCharsTokenizer, EnglishPhonemesTokenizer


def test_chars_round_trip_with_pauses_and_stable_ids():
    tok = EnglishCharsTokenizer()
    ids = tok.encode("Hello, Dr. Smith's 2 cats!")
    assert tok.decode(ids) == "hello, doctor smith's two cats!"
    assert tok.pad == 0 and tok.tokens[0] == "<pad>" and tok.blank is None and 0 not in ids
    assert tok.tokens[:4] == ["<pad>", " ", "a", "b"]
    assert {tok.tokens[i] for i in ids if i in tok.punctuation_ids} == {",", "!"}


def test_chars_blank_is_interspersed():
    tok = EnglishCharsTokenizer(add_blank=True)
    ids = tok.encode("ab")
    assert ids == [tok.blank, tok.tokens.index("a"), tok.blank, tok.tokens.index("b"), tok.blank]
    assert tok.decode(ids) == "ab"


def test_unspeakable_character_is_named_with_its_position():
    with pytest.raises(ValueError, match=r"'你' \(U\+4F60\) at position 3"):
        EnglishCharsTokenizer().encode("hi 你好")
    with pytest.raises(ValueError, match="'你'"):
        EnglishPhonemesTokenizer().encode("hi 你好")


def test_phonemes_from_espeak():
    tok = EnglishPhonemesTokenizer()
    ids = tok.encode("Hello, world!")
    assert tok.decode(ids) == "həlˈoʊ,wˈɜːld!"
    assert tok.tokens[ids[3]] == "ˈoʊ"  # stress stays on the vowel: one token per phoneme
    words = tok.encode("hello world")
    assert tok.space in words and tok.decode(words) == "həlˈoʊ wˈɜːld"
    assert len(tok) == 2 + len(PHONEMES) + 7


def test_phoneme_tokenizer_from_config_and_pickle():
    config = OmegaConf.create(
        {"_target_": "nemo.collections.tts.parts.text.tokenizers.EnglishPhonemesTokenizer", "add_blank": False}
    )
    tok = build_text_tokenizer(config)
    assert isinstance(tok, EnglishPhonemesTokenizer)
    copy = pickle.loads(pickle.dumps(tok))
    assert copy.encode("turn on the lights") == tok.encode("turn on the lights")
