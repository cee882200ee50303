import gzip
import math

import pytest

from nemo.collections.asr.parts.ngram_lm import EOS, UNK, NGramLanguageModel, train_ngram_lm

SENTENCES = ["the cat sat on the mat", "the dog sat", "a cat and a dog", "the the cat", "", "dog"]
CONTEXTS = [
    [],
    ["<s>"],
    ["<s>", "the"],
    ["the", "cat"],
    ["zebra"],  # unknown: scored as <unk>
    ["a", "dog", "sat"],
    ["<s>", "the", "the"],
    ["cat", "sat", "on", "the"],
    ["mat", "mat"],  # never seen together
]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_gives_a_distribution_over_the_vocabulary_and_end_of_sentence(order):
    lm = train_ngram_lm(SENTENCES, order=order, discount=0.6)
    assert lm.order == order and UNK in lm.vocabulary and EOS not in lm.vocabulary and "<s>" not in lm.vocabulary
    assert lm.vocabulary == {"the", "cat", "sat", "on", "mat", "dog", "a", "and", UNK}
    for context in CONTEXTS:
        total = sum(10 ** lm.log10_prob(word, context) for word in [*lm.vocabulary, EOS])
        assert total == pytest.approx(1.0, abs=1e-12), context


def test_kneser_ney_values_by_hand():
    lm = train_ngram_lm(["a b", "a"], order=2, discount=0.7)
    # continuation counts a:1 (after <s>), b:1 (after a), </s>:2 (after a and b); gamma = 0.7 * 3 / 4 over 4 events
    floor = 0.7 * 3 / 4 / 4
    assert 10 ** lm.log10_prob("a") == pytest.approx(0.3 / 4 + floor)
    assert 10 ** lm.log10_prob(EOS) == pytest.approx(1.3 / 4 + floor)
    assert 10 ** lm.log10_prob("zebra") == pytest.approx(floor)  # <unk>
    # after "a": b and </s> seen once each, gamma(a) = 0.7 * 2 / 2
    assert 10 ** lm.log10_prob("b", ["a"]) == pytest.approx(0.3 / 2 + 0.7 * (0.3 / 4 + floor))
    assert 10 ** lm.log10_prob("a", ["a"]) == pytest.approx(0.7 * (0.3 / 4 + floor))  # backoff
    assert lm.log10_prob("a", ["zebra"]) == lm.log10_prob("a", [UNK]) == lm.log10_prob("a", [])  # unseen context
    assert lm.log10_prob("b", ["<s>", "x", "a"]) == lm.log10_prob("b", ["a"])  # only the last order-1 words count


@pytest.mark.parametrize("order", [1, 3])
def test_arpa_round_trip_gives_identical_scores(tmp_path, order):
    lm = train_ngram_lm(SENTENCES, order=order)
    path = tmp_path / "new" / "lm.arpa"
    assert lm.to_arpa(str(path)) == str(path)
    assert [p.name for p in path.parent.iterdir()] == ["lm.arpa"]  # no temporary file left behind
    again = NGramLanguageModel.from_arpa(str(path))
    assert again.order == order and again.vocabulary == lm.vocabulary and again.ngram_counts() == lm.ngram_counts()
    for context in CONTEXTS:
        for word in [*lm.vocabulary, EOS, "zebra"]:
            assert again.log10_prob(word, context) == lm.log10_prob(word, context)
    text = path.read_text()
    assert text.startswith("\\data\\\nngram 1=") and text.rstrip().endswith("\\end\\")
    gz = tmp_path / "lm.arpa.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert NGramLanguageModel.from_arpa(str(gz)).log10_prob("cat", ["the"]) == lm.log10_prob("cat", ["the"])


KENLM_STYLE = """Some tool's banner before the data.

\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-99\t<s>\t-0.5
-0.6\t</s>
-0.4\thello\t-0.3
-0.9\tworld\t0

\\2-grams:
-0.1\t<s> hello
-0.2\thello world

\\end\\
"""


def test_reads_a_hand_written_arpa_file_with_backoff(tmp_path):
    path = tmp_path / "hello.arpa"
    path.write_text(KENLM_STYLE)
    lm = NGramLanguageModel.from_arpa(str(path))
    assert lm.order == 2 and lm.vocabulary == {"hello", "world", UNK}
    assert lm.log10_prob("hello", ["<s>"]) == -0.1
    assert lm.log10_prob("world", ["<s>"]) == pytest.approx(-0.5 - 0.9)
    assert lm.log10_prob(EOS, ["hello"]) == pytest.approx(-0.3 - 0.6)
    assert lm.log10_prob("anything", ["world"]) == -100.0  # no <unk> in the file: KenLM's -100


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("ngram 1=1\n", 1, "expected a '\\\\data\\\\' header, got the end of the file"),
        ("\\data\\\nngram one=1\n", 2, "expected 'ngram 1=<count>', got 'ngram one=1'"),
        ("\\data\\\nngram 1=1\n\\1-grams:\n-1 a b c\n", 4, "expected '<log10 prob> <1 words>"),
        ("\\data\\\nngram 1=1\n\\1-grams:\nx a\n", 4, "expected numbers for the log10 probability"),
        ("\\data\\\nngram 1=2\n\\1-grams:\n-1 a\n\\end\\\n", 5, "expected 2 1-grams \\(as the header says\\), got 1"),
        ("\\data\\\nngram 1=2\n\\1-grams:\n-1 a\n-2 a\n", 5, "expected each 1-gram once, got 'a' again"),
        ("\\data\\\nngram 1=1\n\\2-grams:\n", 3, "expected the \\\\1-grams: section, got"),
        ("\\data\\\nngram 1=1\nngram 2=1\n\\1-grams:\n-1 a\n\\end\\\n", 6, "expected the \\\\2-grams: section"),
        ("\\data\\\nngram 1=1\n\\1-grams:\n-1 a\n", 4, "expected '\\\\end\\\\', got the end of the file"),
    ],
)
def test_bad_arpa_files_name_the_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"bad.arpa:{line}: {message}"):
        NGramLanguageModel.from_arpa(str(path))


def test_binary_files_are_refused_clearly(tmp_path):
    path = tmp_path / "lm.bin"
    path.write_bytes(b"mmap lm http://kheafield.com/code format version 5\n\x00\xff\xfe")
    with pytest.raises(ValueError, match="binary KenLM models are not supported"):
        NGramLanguageModel.from_arpa(str(path))


def test_bad_training_arguments():
    with pytest.raises(ValueError, match="order must be an integer >= 1, got 0"):
        train_ngram_lm(SENTENCES, order=0)
    with pytest.raises(ValueError, match=r"discount must be in \(0, 1\), got 1.0"):
        train_ngram_lm(SENTENCES, discount=1.0)
    with pytest.raises(ValueError, match="no words"):
        train_ngram_lm(["", "  "])
    with pytest.raises(ValueError, match="sentence 1: expected plain words, got the reserved marker"):
        train_ngram_lm(["fine", "<s> not fine"])
    with pytest.raises(TypeError, match="sentence 0: expected a string, got int"):
        train_ngram_lm([3])


def test_model_from_tables_validates_and_adds_unk():
    lm = NGramLanguageModel([{("a",): math.log10(0.5), (EOS,): math.log10(0.5)}])
    assert lm.log10_prob("b") == -100.0 and lm.ngram_counts() == [3]
    with pytest.raises(ValueError, match="probs\\[1\\] must hold 2-grams"):
        NGramLanguageModel([{("a",): -0.3}, {("a",): -0.3}])
    with pytest.raises(ValueError, match="at least one unigram"):
        NGramLanguageModel([])
