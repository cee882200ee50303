import pytest

from nemo.collections.nlp.models.machine_translation.bleu import corpus_bleu, tokenize_13a


def test_matches_sacrebleu_documented_example():
    # The example in sacreBLEU's README: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17
    # ref_len = 18)".
    hypotheses = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    references = [
        ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
        ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
    ]
    result = corpus_bleu(hypotheses, references)
    assert result.score == pytest.approx(48.53, abs=0.005)
    assert [round(p, 1) for p in result.precisions] == [82.4, 50.0, 45.5, 37.5]
    assert result.brevity_penalty == pytest.approx(0.943, abs=5e-4)
    assert (result.sys_len, result.ref_len) == (17, 18)


def test_identity_scores_100_and_disjoint_output_is_smoothed():
    refs = ["one two three four five", "six seven eight nine"]
    assert corpus_bleu(refs, [refs]).score == pytest.approx(100.0)
    # sacreBLEU's 'exp' smoothing gives no-match orders 100 / (2^k * total) instead of 0 ...
    disjoint = corpus_bleu(["x y z w", "q r s t"], [refs])
    assert disjoint.precisions == pytest.approx([100 / 16, 100 / 24, 100 / 32, 100 / 32])
    assert disjoint.score == pytest.approx(0.8825 * (6.25 * 100 / 24 * 3.125 * 3.125) ** 0.25, rel=1e-4)
    # ... but an order with no n-grams at all (one-word output) makes BLEU 0.
    assert corpus_bleu(["x"], [["y"]]).score == 0.0


def test_hand_computed_value_with_exp_smoothing():
    # hyp "a b c d" vs ref "a b c e": 1-4gram matches 3/4, 2/3, 1/2, 0/1 -> 4-gram smoothed to 1/(2*1).
    expected = 100 * (0.75 * (2 / 3) * 0.5 * 0.5) ** 0.25
    assert corpus_bleu(["a b c d"], [["a b c e"]]).score == pytest.approx(expected)


def test_tokenize_13a_splits_punctuation_but_keeps_numbers():
    assert tokenize_13a("Hello, world! It costs 3.50 dollars.") == "Hello , world ! It costs 3.50 dollars ."


def test_reference_streams_are_checked():
    with pytest.raises(TypeError, match="reference streams"):
        corpus_bleu(["a"], ["a"])
    with pytest.raises(ValueError, match="stream 0 has 2"):
        corpus_bleu(["a"], [["a", "b"]])
