"""Word tokenizer: whitespace-separated words looked up in a one-word-per-line vocabulary."""

from typing import List

from nemo.collections.common.tokenizers.char_tokenizer import CharTokenizer

__all__ = ["WordTokenizer"]


class WordTokenizer(CharTokenizer):
    """Like :class:`CharTokenizer`, but a token is a word: text is split on whitespace and decoded with spaces."""

    def _token_from_line(self, line: str, vocab_file: str, number: int) -> str:
        word = line.strip()
        if not word or len(word.split()) != 1:
            raise ValueError(f"{vocab_file}:{number}: expected exactly one word per line, got {line!r}")
        return word

    def _split(self, text: str) -> List[str]:
        return text.split()

    def _join(self, tokens: List[str]) -> str:
        return " ".join(tokens)
