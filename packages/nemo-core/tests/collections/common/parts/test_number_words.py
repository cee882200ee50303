"""The one English number-words implementation shared by ASR cleaning, TTS normalization and the NMT toy corpus."""

import pytest

from nemo.collections.common.parts.number_words import (
    digits_to_words,
    money_to_words,
    number_to_words,
    ordinal_to_words,
)


@pytest.mark.parametrize(
    "number, words",
    [
        (0, "zero"),
        (13, "thirteen"),
        (90, "ninety"),
        (105, "one hundred five"),
        (1042, "one thousand forty two"),
        (2_000_010, "two million ten"),
        (1_234_567, "one million two hundred thirty four thousand five hundred sixty seven"),
        (10**15, "one quadrillion"),
        (-21, "minus twenty one"),
    ],
)
def test_cardinals(number, words):
    assert number_to_words(number) == words


def test_numbers_beyond_the_largest_scale_are_read_digit_by_digit():
    assert number_to_words(10**18 - 1).startswith(
        "nine hundred ninety nine quadrillion nine hundred ninety nine trillion"
    )
    assert number_to_words(10**18) == "one" + " zero" * 18


@pytest.mark.parametrize(
    "number, words",
    [(1, "first"), (3, "third"), (12, "twelfth"), (21, "twenty first"), (40, "fortieth"), (100, "one hundredth")],
)
def test_ordinals(number, words):
    assert ordinal_to_words(number) == words


def test_digits_are_read_one_by_one_and_anything_else_is_refused():
    assert digits_to_words("042") == "zero four two"
    with pytest.raises(ValueError, match=r"string of digits 0-9, got '4a'"):
        digits_to_words("4a")
    with pytest.raises(ValueError, match="got ''"):
        digits_to_words("")


@pytest.mark.parametrize(
    "symbol, whole, fraction, words",
    [
        ("$", "2", "5", "two dollars and fifty cents"),
        ("$", "1", "", "one dollar"),
        ("£", "0", "01", "one penny"),
        ("€", "", "99", "ninety nine cents"),
        ("$", "0", "", "zero dollars"),
        ("£", "3", "057", "three pounds and five pence"),
    ],
)
def test_money(symbol, whole, fraction, words):
    assert money_to_words(symbol, whole, fraction) == words


def test_money_refuses_an_unknown_currency_symbol():
    with pytest.raises(ValueError, match=r"currency symbol '¥' is not one of"):
        money_to_words("¥", "5")
