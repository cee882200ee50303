import pytest

from nemo.collections.nlp.data.question_answering import exact_match_score, f1_score, normalize_answer, squad_evaluate


def test_normalization_as_the_official_script():
    assert normalize_answer("The  Cat's hat!") == "cats hat"
    assert normalize_answer("an apple, a pear and THE plum.") == "apple pear and plum"
    assert normalize_answer("theatre") == "theatre"  # articles only as whole words
    assert normalize_answer(" -- ") == ""


def test_exact_match_and_f1_hand_cases():
    assert exact_match_score("the Eiffel Tower.", "Eiffel tower") == 1
    assert exact_match_score("Eiffel", "Eiffel Tower") == 0
    # "big cat" vs "cat sat": one common word, precision 1/2, recall 1/2
    assert f1_score("the big cat", "a cat sat") == pytest.approx(0.5)
    # "cat cat dog" vs "cat dog dog": common bag {cat, dog}: P = R = 2/3
    assert f1_score("cat cat dog", "cat dog dog") == pytest.approx(2 / 3)
    # "one two three four" vs "two": P = 1/4, R = 1: F1 = 2 * 0.25 / 1.25 = 0.4
    assert f1_score("one two three four", "two") == pytest.approx(0.4)
    assert f1_score("red", "blue") == 0.0
    assert f1_score("", "") == 1.0 and f1_score("the", "") == 1.0  # both normalize to nothing
    assert f1_score("red", "") == 0.0 and f1_score("", "red") == 0.0


def test_evaluate_takes_the_best_gold_and_splits_unanswerable():
    gold = {"q1": ["Denver Broncos", "the Broncos"], "q2": ["1895"], "q3": [""], "q4": ["red"]}
    predictions = {"q1": "Broncos", "q2": "in 1895", "q3": "", "q4": "blue"}
    scores = squad_evaluate(gold, predictions)
    # q1: EM 1 against "the Broncos"; q2: EM 0, F1 2*(1/2*1)/(1/2+1) = 2/3; q3: no answer predicted: 1; q4: 0
    assert scores["exact"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3 + 1 + 0) / 4)
    assert scores["total"] == 4
    assert scores["NoAns_exact"] == 100.0 and scores["NoAns_total"] == 1
    assert scores["HasAns_exact"] == pytest.approx(100 / 3) and scores["HasAns_total"] == 3
    # a missing prediction scores 0; v1.1 sets (no unanswerable question) report no halves
    scores = squad_evaluate({"q1": ["a red car"], "q2": ["blue"]}, {"q1": "red car"})
    assert scores == {"exact": 50.0, "f1": 50.0, "total": 2}
