"""Punctuation-and-capitalization labels derived from ordinary text (a token classification task needing no
annotation).

Each word is lower-cased and stripped of the punctuation that follows it; its label says which mark followed it
(``O`` none, ``COMMA``, ``PERIOD``, ``QUESTION``, ``EXCLAMATION``) and, with a ``-U`` suffix, that it was
capitalised. A model trained on ``(words, labels)`` restores punctuation and case of lower-cased, unpunctuated text.

:func:`punct_capit_labels` gives the same information in NeMo v1's ``PunctuationCapitalizationModel`` format: a
two-character label per word, the mark that followed it (or ``O``) then ``U`` (capitalised) or ``O`` (``,U``, ``.O``,
``OO``).
"""

import re
from typing import Iterator, List, Tuple

__all__ = [
    "PUNCTUATION_LABELS",
    "apply_punctuation_capitalization",
    "punct_capit_labels",
    "punctuation_capitalization_labels",
]

PUNCTUATION_LABELS = {",": "COMMA", ".": "PERIOD", "?": "QUESTION", "!": "EXCLAMATION"}
_MARKS = {label: mark for mark, label in PUNCTUATION_LABELS.items()}
_TOKEN = re.compile(r"^[\"'(\[]*(?P<word>.*?)(?P<punct>[.,?!;:\"')\]]*)$")


def _marked_words(text: str, marks: str) -> Iterator[Tuple[str, str, bool]]:
    """``(word, mark, capitalised)`` per word of ``text``: the last of ``marks`` after it ('' for none); words that
    are punctuation only are dropped."""
    for token in text.split():
        match = _TOKEN.match(token)
        word, punct = match.group("word"), match.group("punct")
        if any(c.isalnum() for c in word):
            yield word, next((c for c in reversed(punct) if c in marks), ""), word[0].isupper()


def punctuation_capitalization_labels(text: str) -> Tuple[List[str], List[str]]:
    """``(words, labels)`` of ``text`` (lower-cased words, ``COMMA-U``-style labels)."""
    words, labels = [], []
    for word, mark, upper in _marked_words(text, "".join(PUNCTUATION_LABELS)):
        words.append(word.lower())
        labels.append(PUNCTUATION_LABELS.get(mark, "O") + ("-U" if upper else ""))
    return words, labels


def punct_capit_labels(text: str, punct_marks: str = ",.?") -> Tuple[List[str], List[str]]:
    """``(words, labels)`` of ``text`` in NeMo v1's punctuation-capitalization format (lower-cased words, labels
    ``<mark or O><U or O>``); marks outside ``punct_marks`` (v1's default: comma, period, question mark) count as
    none."""
    words, labels = [], []
    for word, mark, upper in _marked_words(text, punct_marks):
        words.append(word.lower())
        labels.append((mark or "O") + ("U" if upper else "O"))
    return words, labels


def apply_punctuation_capitalization(words: List[str], labels: List[str]) -> str:
    """The text the labels describe: capitalise ``-U`` words and append their punctuation mark."""
    out = []
    for word, label in zip(words, labels):
        punct, _, case = label.partition("-")
        if case == "U":
            word = word[:1].upper() + word[1:]
        out.append(word + _MARKS.get(punct, ""))
    return " ".join(out)
