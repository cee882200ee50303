import string

from nemo.collections.tts.parts.text.nemo_chars import NEMO_PUNCTUATION, NemoEnglishCharsTokenizer
from nemo.core.classes.construction import renamed_targets

NEMO_PATH = "nemo.collections.common.tokenizers.text_to_speech.tts_tokenizers.EnglishCharsTokenizer"


def test_vocabulary_order_is_nemos():
    tokenizer = NemoEnglishCharsTokenizer()
    assert tokenizer.tokens == [" ", *string.ascii_lowercase, "'", *NEMO_PUNCTUATION, "<pad>", "<oov>"]
    assert (tokenizer.space, tokenizer.pad, tokenizer.oov, tokenizer.blank) == (0, 43, 44, None)
    last = NemoEnglishCharsTokenizer(add_blank_at="last")
    assert last.tokens[-3:] == ["<pad>", "<oov>", "<blank>"] and last.blank == 45
    assert renamed_targets()[NEMO_PATH].endswith("nemo_chars.NemoEnglishCharsTokenizer")


def test_encode_as_nemo_does():
    """Ids NVIDIA NeMo 3.0's tokenizer gives for the same calls (computed with it)."""
    tokenizer = NemoEnglishCharsTokenizer(pad_with_space=True)
    # accents dropped, curly quotes made ASCII, '#' and digits skipped, spaces squeezed and not trailing
    ids = tokenizer.encode("Héllo,  “World” #1  ")
    assert ids == [0, 8, 5, 12, 12, 15, 28, 0, 36, 23, 15, 18, 12, 4, 36, 0]
    assert tokenizer.decode(ids) == ' hello, "world" '
    assert NemoEnglishCharsTokenizer().encode("a b ") == [1, 0, 2]
