"""English text normalization for TTS: write out what a reader would say, so tokenizers see only speakable text.

Rules (applied in this order): Unicode to ASCII look-alikes; abbreviations (``Mr.``, ``Dr.``, ``St.``, ``etc.``,
``e.g.``); currency (``$5.50``, ``£3``, ``$2 million``); percentages; times (``3:30``); ordinals (``21st``);
decimals; thousands separators; years (4-digit numbers from 1100 to 2099 are read like years, which is also how
English reads such counts: "fifteen hundred"); other cardinals; symbols (``& @ + = % #``); then lower-case and
collapsed whitespace. Anything else is left for the tokenizer to accept or to reject by name.
"""

import re
import unicodedata
from typing import List, Tuple

from nemo.collections.common.parts.number_words import (
    CURRENCY_NAMES,
    digits_to_words,
    money_to_words,
    number_to_words,
    ordinal_to_words,
)

__all__ = ["normalize_text", "number_to_words", "ordinal_to_words", "year_to_words"]

_ABBREVIATIONS = {
    "mr": "mister", "mrs": "misses", "ms": "miss", "dr": "doctor", "st": "saint", "jr": "junior", "sr": "senior",
    "prof": "professor", "gen": "general", "capt": "captain", "col": "colonel", "lt": "lieutenant", "sgt": "sergeant",
    "gov": "governor", "rev": "reverend", "hon": "honorable", "mt": "mount", "ft": "fort", "co": "company",
    "corp": "corporation", "inc": "incorporated", "ltd": "limited", "vs": "versus", "approx": "approximately",
    "dept": "department", "ave": "avenue", "blvd": "boulevard", "no": "number",
}  # fmt: skip
_LATIN = {"e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "a.m.": "a m", "p.m.": "p m"}
_SYMBOLS = {"&": " and ", "@": " at ", "+": " plus ", "=": " equals ", "%": " percent ", "#": " number ",
            "/": " slash ", "*": " ", "_": " ", "~": " ", "^": " ", "|": " ", "<": " less than ",
            ">": " greater than "}  # fmt: skip
_ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ", "\u2026": "...",
          "\u00a0": " ", "\u00bd": " one half ", "\u00bc": " one quarter ", "\u00be": " three quarters ",
          "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d"}  # fmt: skip


def year_to_words(n: int) -> str:
    """A year read the English way: ``1984 -> "nineteen eighty four"``, ``2005 -> "two thousand five"``."""
    if n % 1000 < 10 and n >= 1000 and n // 1000 in (1, 2) and n // 100 % 10 == 0:
        return number_to_words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{number_to_words(high)} hundred"
    low_words = number_to_words(low) if low >= 10 else f"oh {number_to_words(low)}"
    return f"{number_to_words(high)} {low_words}"


def _decimal(whole: str, fraction: str) -> str:
    head = number_to_words(int(whole)) if whole else "zero"
    return f"{head} point {digits_to_words(fraction)}"


def _currency(match: "re.Match[str]") -> str:
    symbol, whole, fraction = match.group("sym"), match.group("whole").replace(",", ""), match.group("frac") or ""
    scale = match.group("scale")
    if scale:  # "$2.5 million": the amount as a number, then the scale and the plural unit
        amount = _decimal(whole, fraction) if fraction else number_to_words(int(whole))
        return f" {amount} {scale.lower()} {CURRENCY_NAMES[symbol][1]} "
    return f" {money_to_words(symbol, whole, fraction)} "


def _time(match: "re.Match[str]") -> str:
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes == 0:
        return f"{number_to_words(hours)} o'clock"
    tail = number_to_words(minutes) if minutes >= 10 else f"oh {number_to_words(minutes)}"
    return f"{number_to_words(hours)} {tail}"


def _number(match: "re.Match[str]") -> str:
    text = match.group(0)
    if "." in text:
        whole, fraction = text.split(".", 1)
        return f" {_decimal(whole.replace(',', ''), fraction)} "
    value = int(text.replace(",", ""))
    if "," not in text and len(text) == 4 and 1100 <= value <= 2099:
        return f" {year_to_words(value)} "
    if len(text) > 1 and text.startswith("0"):
        return f" {digits_to_words(text)} "
    return f" {number_to_words(value)} "


def _percent(match: "re.Match[str]") -> str:
    whole, _, fraction = match.group(1).partition(".")
    return f" {_decimal(whole, fraction) if fraction else number_to_words(int(whole))} percent "


_RULES: List[Tuple["re.Pattern[str]", object]] = [
    (re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in _LATIN) + r")", re.IGNORECASE),
     lambda m: f" {_LATIN[m.group(1).lower()]} "),
    (re.compile(r"\b(" + "|".join(k for k in _ABBREVIATIONS if k != "no") + r")\.", re.IGNORECASE),
     lambda m: f"{_ABBREVIATIONS[m.group(1).lower()]}"),
    (re.compile(r"\bno\.(?=\s*\d)", re.IGNORECASE), lambda m: "number"),
    (re.compile(r"(?P<sym>[$£€])\s?(?P<whole>\d[\d,]*|)(?:\.(?P<frac>\d+))?"
                r"(?:\s(?P<scale>thousand|million|billion|trillion)\b)?", re.IGNORECASE), _currency),
    (re.compile(r"(\d+(?:\.\d+)?)\s?%"), _percent),
    (re.compile(r"\b(\d{1,2}):(\d{2})\b"), _time),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE), lambda m: f" {ordinal_to_words(int(m.group(1)))} "),
    (re.compile(r"(?<![\w])-(?=\d)"), lambda m: " minus "),
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\.\d+|\d+"), _number),
]  # fmt: skip


def _to_ascii(text: str) -> str:
    for source, target in _ASCII.items():
        text = text.replace(source, target)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_text(text: str) -> str:
    """Speakable, lower-case English: numbers, currency, abbreviations and symbols written out as words."""
    text = _to_ascii(text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(r'["()\[\]{}]', " ", text)
    text = text.lower()
    text = re.sub(r"\s+([,.?!;:])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
