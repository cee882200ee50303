"""English transcript normalization (NeMo's ``clean_text``): ASCII folding, lower case, numbers and abbreviations
spelled out, punctuation outside the label set replaced by spaces."""

import re
import unicodedata
from typing import Dict, Optional

from nemo.collections.common.parts.number_words import (
    digits_to_words,
    money_to_words,
    number_to_words,
    ordinal_to_words,
)

__all__ = ["clean_text", "number_to_words", "PUNCTUATION_TO_REPLACE"]

PUNCTUATION_TO_REPLACE: Dict[str, str] = {"+": "plus", "&": "and", "%": "percent"}

_ABBREVIATIONS = {
    "mrs": "misess", "mr": "mister", "dr": "doctor", "st": "saint", "co": "company", "jr": "junior", "maj": "major",
    "gen": "general", "drs": "doctors", "rev": "reverend", "lt": "lieutenant", "hon": "honorable",
    "sgt": "sergeant", "capt": "captain", "esq": "esquire", "ltd": "limited", "col": "colonel", "ft": "fort",
}  # fmt: skip
_ABBREVIATION_RE = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.")
_UNICODE_FOLDS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "ß": "ss"})
_COMMA_NUMBER_RE = re.compile(r"(\d)[,](?=\d{3}\b)")
_CURRENCY_RE = re.compile(r"([$£€])(\d+(?:\.\d+)?)")
_DECIMAL_RE = re.compile(r"(\d+)\.(\d+)")
_ORDINAL_RE = re.compile(r"(\d+)(st|nd|rd|th)\b")
_NUMBER_RE = re.compile(r"\d+")


def _currency(match: "re.Match[str]") -> str:
    whole, _, fraction = match.group(2).partition(".")
    return f" {money_to_words(match.group(1), whole, fraction)} "


def clean_numbers(text: str) -> str:
    """Spell out currency, decimals, ordinals and cardinals."""
    text = _COMMA_NUMBER_RE.sub(r"\1", text)
    text = _CURRENCY_RE.sub(_currency, text)
    text = _DECIMAL_RE.sub(lambda m: f" {number_to_words(int(m.group(1)))} point {digits_to_words(m.group(2))} ", text)
    text = _ORDINAL_RE.sub(lambda m: f" {ordinal_to_words(int(m.group(1)))} ", text)
    return _NUMBER_RE.sub(lambda m: f" {number_to_words(int(m.group(0)))} ", text)


def _ascii_fold(text: str) -> str:
    """Fold typographic punctuation and accents to ASCII (é → e); other non-ASCII characters are kept."""
    text = unicodedata.normalize("NFKD", text.translate(_UNICODE_FOLDS))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def clean_text(
    string: str, table: Optional[Dict[int, Optional[str]]] = None, punctuation_to_replace: Optional[Dict] = None
) -> str:
    """Normalize one English transcript; ``table`` (a ``str.maketrans`` table) maps unwanted punctuation to spaces,
    ``punctuation_to_replace`` spells out symbols such as ``&`` (default ``PUNCTUATION_TO_REPLACE``)."""
    text = _ascii_fold(string).lower()
    text = re.sub(r"\s+", " ", text)
    text = clean_numbers(text)
    text = _ABBREVIATION_RE.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
    for symbol, word in (PUNCTUATION_TO_REPLACE if punctuation_to_replace is None else punctuation_to_replace).items():
        text = text.replace(symbol, f" {word} ")
    if table is not None:
        text = text.translate(table)
    return re.sub(r"\s+", " ", text).strip()
