from nemo.collections.nlp.data.token_classification.punctuation_labels import (
    apply_punctuation_capitalization,
    punct_capit_labels,
    punctuation_capitalization_labels,
)


def test_labels_describe_punctuation_and_case():
    words, labels = punctuation_capitalization_labels('"Really?" she said, quietly. Paris is nice !')
    assert words == ["really", "she", "said", "quietly", "paris", "is", "nice"]
    assert labels == ["QUESTION-U", "O", "COMMA", "PERIOD", "O-U", "O", "O"]


def test_round_trip_rebuilds_simple_text():
    text = "Hello there, how are you? I am fine."
    assert apply_punctuation_capitalization(*punctuation_capitalization_labels(text)) == text


def test_nemo_format_labels_keep_v1_marks_only():
    words, labels = punct_capit_labels('"Really?" she said, quietly. Paris is nice !')
    assert words == ["really", "she", "said", "quietly", "paris", "is", "nice"]
    assert labels == ["?U", "OO", ",O", ".O", "OU", "OO", "OO"]  # '!' is not among v1's default marks
    assert punct_capit_labels("Wow! ok", punct_marks=",.?!")[1] == ["!U", "OO"]
