import pytest

from nemo.collections.common.tokenizers import TokenizerSpec


class Upper(TokenizerSpec):
    """Minimal tokenizer: one token per whitespace-separated word, vocabulary grows on demand."""

    def __init__(self):
        self.words = ["<pad>"]
        self.pad_token = "<pad>"
        self.vocab_size = 1

    def text_to_tokens(self, text):
        return text.upper().split()

    def tokens_to_text(self, tokens):
        return " ".join(tokens)

    def tokens_to_ids(self, tokens):
        return [self.words.index(t) for t in tokens]

    def ids_to_tokens(self, ids):
        return [self.words[i] for i in ids]

    def text_to_ids(self, text):
        return self.tokens_to_ids(self.text_to_tokens(text))

    def ids_to_text(self, ids):
        return self.tokens_to_text(self.ids_to_tokens(ids))


def test_spec_is_abstract():
    with pytest.raises(TypeError):
        TokenizerSpec()


def test_defaults_of_the_spec():
    tok = Upper()
    assert tok.name == "Upper" and tok.vocab_size == 1
    assert tok.pad_id == 0
    assert tok.bos_id is None and tok.eos_id is None and tok.unk_id is None
    assert tok.sep_id is None and tok.cls_id is None and tok.mask_id is None
    with pytest.raises(NotImplementedError, match="Upper does not support adding special tokens"):
        tok.add_special_tokens(["<x>"])
