"""The reference edit distance and error rates, on cases worked out by hand."""

import math

import pytest

from nemo.core.testing import levenshtein, reference_error_rate


@pytest.mark.parametrize(
    "hypothesis, reference, distance",
    [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2), ("same", "same", 0)],
)
def test_levenshtein(hypothesis, reference, distance):
    assert levenshtein(hypothesis, reference) == distance == levenshtein(reference, hypothesis)


def test_word_and_character_error_rates():
    # one substitution (dog for cat) and one deletion (the) over 2 + 2 reference words
    assert reference_error_rate(["a dog", "sat"], ["a cat", "the sat"]) == pytest.approx(2 / 4)
    assert reference_error_rate(["abd"], ["abc"], use_cer=True) == pytest.approx(1 / 3)
    assert reference_error_rate(["x"], [""]) == math.inf
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        reference_error_rate(["a"], ["a", "b"])
