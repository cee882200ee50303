"""English number words, spelled the way transcripts and TTS input want them: no "and", no hyphens, lower case.

Amounts of money are written the same way (``money_to_words``). One implementation for ASR transcript cleaning (``clean_text``), TTS text normalization (``normalize_text``) and the
toy translation corpus of the NLP examples, so "21" is "twenty one" everywhere.
"""

from typing import List

__all__ = ["CURRENCY_NAMES", "digits_to_words", "money_to_words", "number_to_words", "ordinal_to_words"]

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
# Names of the powers of 1000; larger numbers are read digit by digit.
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}

# Currency symbol -> (one unit, several units, one hundredth, several hundredths).
CURRENCY_NAMES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}


def _below_thousand(n: int) -> List[str]:
    words: List[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f" {_ONES[ones]}" if ones else ""))
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def digits_to_words(digits: str) -> str:
    """Each digit as a word: ``"042" -> "zero four two"`` (decimals, phone numbers, leading zeros)."""
    if not digits.isdecimal():
        raise ValueError(f"digits_to_words: expected a string of digits 0-9, got {digits!r}")
    return " ".join(_ONES[int(d)] for d in digits)


def number_to_words(n: int) -> str:
    """Cardinal number words: ``1234 -> "one thousand two hundred thirty four"``; negatives get "minus"; numbers of
    10**18 and more are read digit by digit."""
    if n < 0:
        return "minus " + number_to_words(-n)
    groups: List[int] = []  # powers of 1000, lowest first
    rest = n
    while True:
        rest, group = divmod(rest, 1000)
        groups.append(group)
        if not rest:
            break
    if len(groups) > len(_SCALES):
        return digits_to_words(str(n))
    if len(groups) == 1:
        return " ".join(_below_thousand(n))
    words: List[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index]:
            words += _below_thousand(groups[index]) + ([_SCALES[index]] if _SCALES[index] else [])
    return " ".join(words)


def ordinal_to_words(n: int) -> str:
    """Ordinal number words: ``21 -> "twenty first"``, ``40 -> "fortieth"``."""
    words = number_to_words(n).split(" ")
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def money_to_words(symbol: str, whole: str, fraction: str = "") -> str:
    """An amount of money as words: ``("$", "2", "5") -> "two dollars and fifty cents"``.

    ``whole`` and ``fraction`` are the digits before and after the decimal point (either may be empty); the first two
    fraction digits are the hundredths. ``symbol`` is a key of ``CURRENCY_NAMES``.
    """
    if symbol not in CURRENCY_NAMES:
        raise ValueError(f"money_to_words: currency symbol {symbol!r} is not one of {sorted(CURRENCY_NAMES)}")
    one, many, hundredth, hundredths = CURRENCY_NAMES[symbol]
    units = int(whole) if whole else 0
    cents = int((fraction + "0")[:2]) if fraction else 0
    parts = []
    if units or not cents:
        parts.append(f"{number_to_words(units)} {one if units == 1 else many}")
    if cents:
        parts.append(f"{number_to_words(cents)} {hundredth if cents == 1 else hundredths}")
    return " and ".join(parts)
