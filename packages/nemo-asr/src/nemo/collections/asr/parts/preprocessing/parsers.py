"""Transcript → label-id parsers (NeMo's ``make_parser``): character parsers with optional English normalization."""

import string
from typing import Dict, List, Optional

from nemo.collections.asr.parts.preprocessing.cleaners import PUNCTUATION_TO_REPLACE, clean_text

__all__ = ["CharParser", "ENCharParser", "OutOfVocabularyError", "make_parser"]


class OutOfVocabularyError(ValueError):
    """A transcript holds characters that are not labels (and no ``unk_id`` was given to map them to)."""


class CharParser:
    """Maps each character of a transcript to its index in ``labels``.

    Spaces separate words and map to the ``" "`` label when it exists. Characters missing from ``labels`` map to
    ``unk_id`` when it is >= 0, and otherwise raise ``OutOfVocabularyError`` (NeMo silently drops them, which hides
    transcripts the model can never learn). ``blank_id``/``unk_id`` labels are never produced from the text itself.
    """

    def __init__(
        self,
        labels: List[str],
        *,
        unk_id: int = -1,
        blank_id: int = -1,
        do_normalize: bool = True,
        do_lowercase: bool = True,
    ) -> None:
        self._labels = list(labels)
        self._unk_id = unk_id
        self._blank_id = blank_id
        self._do_normalize = do_normalize
        self._do_lowercase = do_lowercase
        special = {i for i in (unk_id, blank_id) if i >= 0}
        self._labels_map: Dict[str, int] = {label: idx for idx, label in enumerate(self._labels) if idx not in special}

    @property
    def labels(self) -> List[str]:
        return list(self._labels)

    def __call__(self, text: str) -> Optional[List[int]]:
        """Token ids of ``text``, or None when normalization fails."""
        if self._do_normalize:
            normalized = self._normalize(text)
            if normalized is None:
                return None
            text = normalized
        return self._tokenize(text)

    def _normalize(self, text: str) -> Optional[str]:
        text = text.strip()
        return text.lower() if self._do_lowercase else text

    def _tokenize(self, text: str) -> List[int]:
        tokens: List[int] = []
        unknown: List[str] = []
        space = self._labels_map.get(" ")
        for word_idx, word in enumerate(text.split(" ")):
            if word_idx and space is not None:
                tokens.append(space)
            for char in word:
                token = self._labels_map.get(char, self._unk_id)
                if token < 0:
                    unknown.append(char)
                else:
                    tokens.append(token)
        if unknown:
            chars = "".join(sorted(set(unknown)))
            raise OutOfVocabularyError(
                f"transcript {text!r} has characters outside the labels: {chars!r} (labels: {''.join(self._labels)!r};"
                " pass unk_index to map them to a label)"
            )
        return tokens


class ENCharParser(CharParser):
    """English parser: ``clean_text`` normalization, with punctuation that is not a label turned into spaces."""

    def __init__(self, labels: List[str], **kwargs) -> None:
        super().__init__(labels, **kwargs)
        dropped = "".join(c for c in string.punctuation if c not in self._labels and c not in PUNCTUATION_TO_REPLACE)
        self._table = str.maketrans(dropped, " " * len(dropped))

    def _normalize(self, text: str) -> Optional[str]:
        return clean_text(text, self._table, PUNCTUATION_TO_REPLACE)


_PARSERS = {"base": CharParser, "en": ENCharParser}


def make_parser(
    labels: Optional[List[str]] = None,
    name: str = "base",
    unk_id: int = -1,
    blank_id: int = -1,
    do_normalize: bool = True,
) -> CharParser:
    """A parser by name: ``base`` (strip + lower case) or ``en`` (English normalization)."""
    if name not in _PARSERS:
        raise ValueError(f"make_parser: unknown parser {name!r}; expected one of {sorted(_PARSERS)}")
    if labels is None:
        labels = list(" abcdefghijklmnopqrstuvwxyz'")
    return _PARSERS[name](labels, unk_id=unk_id, blank_id=blank_id, do_normalize=do_normalize)
