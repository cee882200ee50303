import pytest

from nemo.collections.tts.parts.text.normalizer import normalize_text, number_to_words, ordinal_to_words, year_to_words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mr. Smith paid $5.50.", "mister smith paid five dollars and fifty cents."),
        ("Dr. Who & Co. at 3:30", "doctor who and company at three thirty"),
        ("It costs $2.5 million, i.e. a lot", "it costs two point five million dollars, that is a lot"),
        ("1,234,567 people", "one million two hundred thirty four thousand five hundred sixty seven people"),
        ("In 1984 and 2005", "in nineteen eighty four and two thousand five"),
        ("the 21st and 2nd", "the twenty first and second"),
        ("50% of £3", "fifty percent of three pounds"),
        ("pi is 3.14", "pi is three point one four"),
        ("St. Louis No. 5 vs. #1", "saint louis number five versus number one"),
        ("a + b = c, me@home", "a plus b equals c, me at home"),
        ("Café  “quoted”   text", "cafe quoted text"),
        ("-4 degrees", "minus four degrees"),
        ("$1 and $0.01", "one dollar and one cent"),
        ("at 7:05 or 9:00", "at seven oh five or nine o'clock"),
    ],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


def test_number_words():
    assert number_to_words(0) == "zero"
    assert number_to_words(105) == "one hundred five"
    assert number_to_words(2_000_010) == "two million ten"
    assert ordinal_to_words(12) == "twelfth" and ordinal_to_words(40) == "fortieth" and ordinal_to_words(3) == "third"
    assert year_to_words(1900) == "nineteen hundred" and year_to_words(1905) == "nineteen oh five"
    assert year_to_words(2019) == "twenty nineteen"
