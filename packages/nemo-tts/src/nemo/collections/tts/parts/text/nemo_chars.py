"""NVIDIA NeMo's English character tokenizer, id for id, for FastPitch archives NeMo wrote.

A model's embedding rows are indexed by its tokenizer's ids, so restoring NeMo's archive needs NeMo's vocabulary
order: space, ``a-z``, apostrophe, its punctuation list, then ``<pad>`` (and ``<blank>``) and ``<oov>`` at the end
(our own tokenizers put ``<pad>`` at 0). NeMo's class path
``nemo.collections.common.tokenizers.text_to_speech.tts_tokenizers.EnglishCharsTokenizer`` is registered as a known
rename of ``NemoEnglishCharsTokenizer`` (``nemo.core.classes.construction.register_renamed_target``); no collection
here defines that path. Text is prepared as NeMo's ``english_text_preprocessing`` does (accents stripped, curly
quotes made ASCII, lower case), then, with ``normalize``, by our ``normalize_text`` (NeMo runs its optional
normalizer first); characters it cannot speak are skipped, as in NeMo.
"""

import unicodedata
from typing import List, Optional, Sequence

from nemo.collections.tts.parts.text.tokenizers import BLANK, PAD, SPACE, BaseTokenizer
from nemo.core.classes.construction import register_renamed_target
from nemo.utils import logging

__all__ = ["NEMO_PUNCTUATION", "NemoEnglishCharsTokenizer"]

NEMO_PUNCTUATION = (",", ".", "!", "?", "-", ":", ";", "/", '"', "(", ")", "[", "]", "{", "}")
_OOV = "<oov>"
_SYNOGLYPHS = {"’": "'", "”": '"', "“": '"'}


def english_text_preprocessing(text: str) -> str:
    """NeMo's: accents dropped (NFD without combining marks), curly quotes as ASCII, lower case."""
    text = "".join(char for char in unicodedata.normalize("NFD", text) if unicodedata.category(char) != "Mn")
    return "".join(_SYNOGLYPHS.get(char, char) for char in text).lower()


class NemoEnglishCharsTokenizer(BaseTokenizer):
    """NeMo 3's ``EnglishCharsTokenizer`` (same arguments and ids). ``add_blank_at``: None (no blank), ``"last"``
    (blank after ``<oov>``) or any other value (blank before it)."""

    def __init__(
        self,
        punct: bool = True,
        apostrophe: bool = True,
        add_blank_at: Optional[str] = None,
        pad_with_space: bool = False,
        non_default_punct_list: Optional[Sequence[str]] = None,
        normalize: bool = False,
    ) -> None:
        self.punct_list = tuple(non_default_punct_list or NEMO_PUNCTUATION) if punct else ()
        symbols = [SPACE, *"abcdefghijklmnopqrstuvwxyz", *(["'"] if apostrophe else []), *self.punct_list]
        tokens = [*symbols, PAD] + ([BLANK] if add_blank_at is not None else []) + [_OOV]
        if add_blank_at == "last":
            tokens[-1], tokens[-2] = tokens[-2], tokens[-1]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"NemoEnglishCharsTokenizer: duplicate tokens in {tokens}")
        self.tokens: List[str] = tokens
        self._ids = {token: idx for idx, token in enumerate(tokens)}
        self.pad, self.space, self.oov = self._ids[PAD], self._ids[SPACE], self._ids[_OOV]
        self.blank = self._ids.get(BLANK)
        self.add_blank = False  # NeMo's blank is reserved for CTC-style use, never interspersed
        self.normalize = normalize
        self.pad_with_space = pad_with_space
        self.punctuation_ids = frozenset(self._ids[p] for p in self.punct_list)

    def encode(self, text: str) -> List[int]:
        """NeMo's ids of ``text``: single spaces between words, no trailing space, unknown characters skipped (with
        a warning); with ``pad_with_space`` a space id at both ends."""
        prepared = self._prepare(english_text_preprocessing(text) if isinstance(text, str) else text)
        chars: List[str] = []
        for char in prepared:
            if char == SPACE:
                if chars and chars[-1] != SPACE:
                    chars.append(char)
            elif char in self._ids and (char.isalnum() or char == "'" or char in self.punct_list):
                chars.append(char)
            else:
                logging.warning(
                    f"NemoEnglishCharsTokenizer: text {prepared!r} holds unknown character {char!r}; skipped"
                )
        while chars and chars[-1] == SPACE:
            chars.pop()
        if self.pad_with_space:
            chars = [SPACE, *chars, SPACE]
        return [self._ids[char] for char in chars]


register_renamed_target(
    "nemo.collections.common.tokenizers.text_to_speech.tts_tokenizers.EnglishCharsTokenizer",
    f"{__name__}.NemoEnglishCharsTokenizer",
)
