"""English transcript normalization (NeMo's ``clean_text``): ASCII folding, lower case, numbers and abbreviations
spelled out, punctuation outside the label set replaced by spaces."""

import re
import unicodedata
from typing import Dict, Optional

__all__ = ["clean_text", "number_to_words", "PUNCTUATION_TO_REPLACE"]

PUNCTUATION_TO_REPLACE: Dict[str, str] = {"+": "plus", "&": "and", "%": "percent"}

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_EXCEPTIONS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
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
_CURRENCY_NAMES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
                   "€": ("euro", "euros", "cent", "cents")}  # fmt: skip


def _below_thousand(n: int) -> str:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + (f" {_ONES[n % 10]}" if n % 10 else ""))
    elif n > 0 or not words:
        words.append(_ONES[n])
    return " ".join(words)


def number_to_words(n: int) -> str:
    """Cardinal English words for a non-negative integer ("1234" → "one thousand two hundred thirty four")."""
    if n < 1000:
        return _below_thousand(n)
    for scale, name in _SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            return f"{number_to_words(head)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def _ordinal(n: int) -> str:
    words = number_to_words(n).split(" ")
    last = words[-1]
    if last in _ORDINAL_EXCEPTIONS:
        words[-1] = _ORDINAL_EXCEPTIONS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _digits(text: str) -> str:
    return " ".join(_ONES[int(d)] for d in text)


def _currency(match: "re.Match[str]") -> str:
    one, many, cent, cents = _CURRENCY_NAMES[match.group(1)]
    whole, _, frac = match.group(2).partition(".")
    units, hundredths = int(whole), int((frac + "00")[:2]) if frac else 0
    parts = []
    if units or not hundredths:
        parts.append(f"{number_to_words(units)} {one if units == 1 else many}")
    if hundredths:
        parts.append(f"{number_to_words(hundredths)} {cent if hundredths == 1 else cents}")
    return " " + " and ".join(parts) + " "


def clean_numbers(text: str) -> str:
    """Spell out currency, decimals, ordinals and cardinals."""
    text = _COMMA_NUMBER_RE.sub(r"\1", text)
    text = _CURRENCY_RE.sub(_currency, text)
    text = _DECIMAL_RE.sub(lambda m: f" {number_to_words(int(m.group(1)))} point {_digits(m.group(2))} ", text)
    text = _ORDINAL_RE.sub(lambda m: f" {_ordinal(int(m.group(1)))} ", text)
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
