import pytest

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import AutoTokenizer
from nemo.collections.nlp.data.question_answering import convert_examples_to_features, get_predictions
from nemo.collections.nlp.data.question_answering.qa_predictions import final_text
from nemo.collections.nlp.data.question_answering.qa_squad_processing import SquadExample


@pytest.fixture
def tokenizer(qa_vocab_file):
    return BertWordPieceTokenizer(qa_vocab_file)


def _example(context, qas_id="q"):
    return SquadExample(qas_id, "what does ben like ?", context.split(), 0, answers=["x"])


def _logits(feature, start, end, null=0.0):
    """Logits that prefer ``start``/``end`` (token positions, 5.0 and 4.0), ``null`` at [CLS], -1 elsewhere."""
    starts, ends = [-1.0] * len(feature.tokens), [-1.0] * len(feature.tokens)
    starts[0] = ends[0] = null
    starts[start], ends[end] = 5.0, 4.0
    return starts, ends


def test_final_text_trims_the_original_words_to_the_predicted_sub_tokens():
    assert final_text("1895", "(1895-1943).", do_lower_case=True) == "1895"
    assert final_text("ben likes", "Ben likes", do_lower_case=True) == "Ben likes"
    assert final_text("cafe", "Café!", do_lower_case=True) == "Café"
    assert final_text("zzz", "(1895-1943).", do_lower_case=True) == "(1895-1943)."  # no alignment: whole words


def test_best_span_n_best_and_its_limits(tokenizer):
    example = _example("anna likes red . ben likes (1895-1943) .")
    (feature,) = convert_examples_to_features([example], tokenizer, 32, 8, 8)
    start = feature.tokens.index("1895")
    starts, ends = _logits(feature, start, start)
    answers, nbest, diffs = get_predictions([example], [feature], [starts], [ends], tokenizer, n_best_size=3)
    assert answers == {"q": "1895"} and diffs == {}
    assert [entry.text for entry in nbest["q"]][0] == "1895" and len(nbest["q"]) <= 3
    assert sum(entry.probability for entry in nbest["q"]) == pytest.approx(1.0)
    assert nbest["q"][0].start_logit == 5.0 and nbest["q"][0].end_logit == 4.0
    # an end before the start or a span longer than max_answer_length is never predicted
    red = feature.tokens.index("red")
    starts, ends = _logits(feature, start, red)
    answers, _, _ = get_predictions([example], [feature], [starts], [ends], tokenizer, n_best_size=20)
    assert answers["q"] != "1895-1943) . red" and answers["q"]
    starts, ends = _logits(feature, red, start)
    long, _, _ = get_predictions([example], [feature], [starts], [ends], tokenizer, max_answer_length=3)
    short, _, _ = get_predictions([example], [feature], [starts], [ends], tokenizer, max_answer_length=30)
    assert short["q"] == "red . ben likes (1895" and long["q"] != short["q"]


@pytest.mark.parametrize("kind", ["wordpiece", "auto"])
def test_wordpiece_pieces_are_glued_before_alignment(qa_vocab_file, kind):
    # AutoTokenizer over a vocab.txt (how a MiniLM directory is read) leaves "1895 ##s" apart in tokens_to_text
    tokenizer = BertWordPieceTokenizer(qa_vocab_file) if kind == "wordpiece" else AutoTokenizer("bert", qa_vocab_file)
    example = _example("ben likes (1895s) and (1895-1943) .")
    (feature,) = convert_examples_to_features([example], tokenizer, 32, 8, 8)
    start = feature.tokens.index("1895")
    assert feature.tokens[start + 1] == "##s"
    starts, ends = _logits(feature, start, start + 1)
    answers, _, _ = get_predictions([example], [feature], [starts], [ends], tokenizer)
    assert answers == {"q": "1895s"}


def test_a_span_comes_from_the_window_where_its_start_has_most_context(tokenizer):
    example = _example("anna likes red . ben likes blue . cara likes green .")
    features = convert_examples_to_features([example], tokenizer, 16, 4, 8)
    assert len(features) == 2
    # "blue" (word 6) is max-context in window 1 only: window 0's high score for it is not used
    blue0, green1 = features[0].tokens.index("blue"), features[1].tokens.index("green")
    logits = [_logits(features[0], blue0, blue0), _logits(features[1], green1, green1)]
    logits[0][0][blue0] = 50.0
    answers, _, _ = get_predictions([example], features, [s for s, _ in logits], [e for _, e in logits], tokenizer)
    assert answers["q"] == "green"


def test_v2_no_answer_threshold(tokenizer):
    example = _example("anna likes red .")
    (feature,) = convert_examples_to_features([example], tokenizer, 32, 8, 8)
    red = feature.tokens.index("red")
    starts, ends = _logits(feature, red, red, null=4.0)  # null 8.0, best span 9.0: difference -1.0
    options = {"version_2_with_negative": True}
    answers, nbest, diffs = get_predictions([example], [feature], [starts], [ends], tokenizer, **options)
    assert answers["q"] == "red" and diffs["q"] == pytest.approx(-1.0)
    assert "" in [entry.text for entry in nbest["q"]]
    answers, _, _ = get_predictions(
        [example], [feature], [starts], [ends], tokenizer, null_score_diff_threshold=-1.5, **options
    )
    assert answers["q"] == ""
    starts, ends = _logits(feature, red, red, null=6.0)  # null 12 beats 9 by 3
    answers, _, diffs = get_predictions([example], [feature], [starts], [ends], tokenizer, **options)
    assert answers["q"] == "" and diffs["q"] == pytest.approx(3.0)
