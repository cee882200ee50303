"""Punctuation-and-capitalization labels derived from ordinary text (a token classification task needing no
annotation).

Each word is lower-cased and stripped of the punctuation that follows it; its label says which mark followed it
(``O`` none, ``COMMA``, ``PERIOD``, ``QUESTION``, ``EXCLAMATION``) and, with a ``-U`` suffix, that it was
capitalised. A model trained on ``(words, labels)`` restores punctuation and case of lower-cased, unpunctuated text.
"""

import re
from typing import List, Tuple

__all__ = ["PUNCTUATION_LABELS", "punctuation_capitalization_labels", "apply_punctuation_capitalization"]

PUNCTUATION_LABELS = {",": "COMMA", ".": "PERIOD", "?": "QUESTION", "!": "EXCLAMATION"}
_MARKS = {label: mark for mark, label in PUNCTUATION_LABELS.items()}
_TOKEN = re.compile(r"^[\"'(\[]*(?P<word>.*?)(?P<punct>[.,?!;:\"')\]]*)$")


def punctuation_capitalization_labels(text: str) -> Tuple[List[str], List[str]]:
    """``(words, labels)`` of ``text``; words that are punctuation only are dropped."""
    words, labels = [], []
    for token in text.split():
        match = _TOKEN.match(token)
        word, punct = match.group("word"), match.group("punct")
        if not any(c.isalnum() for c in word):
            continue
        mark = next((c for c in reversed(punct) if c in PUNCTUATION_LABELS), None)
        label = PUNCTUATION_LABELS[mark] if mark else "O"
        if word[0].isupper():
            label += "-U"
        words.append(word.lower())
        labels.append(label)
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
