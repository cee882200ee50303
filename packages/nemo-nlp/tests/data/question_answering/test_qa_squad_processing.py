import json

import pytest

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.nlp.data.question_answering import (
    EVALUATION_MODE,
    INFERENCE_MODE,
    TRAINING_MODE,
    convert_examples_to_features,
    read_squad_examples,
)


@pytest.fixture
def tokenizer(qa_vocab_file):
    return BertWordPieceTokenizer(qa_vocab_file)


@pytest.fixture
def toy_squad(squad_content):
    return squad_content


def _write(tmp_path, content, name="squad.json"):
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    return str(path)


def test_windows_and_labels_over_a_long_context(tmp_path, tokenizer, toy_squad):
    """12 context tokens, 5 question tokens, 16-token features: 8 context tokens a window, windows 4 apart."""
    path = _write(tmp_path, toy_squad(1, seed=3))
    examples = read_squad_examples(path, TRAINING_MODE)
    assert [e.question_text for e in examples] == [
        q["question"] for q in toy_squad(1, seed=3)["data"][0]["paragraphs"][0]["qas"]
    ]
    words = examples[0].doc_tokens
    assert len(words) == 12 and [e.start_position for e in examples] == [2, 6, 10]
    features = convert_examples_to_features(examples, tokenizer, 16, doc_stride=4, max_query_length=8)
    assert len(features) == 6 and [f.example_index for f in features] == [0, 0, 1, 1, 2, 2]
    first, second = features[:2]
    assert first.tokens == ["[CLS]", *examples[0].question_text.split(), "[SEP]", *words[:8], "[SEP]"]
    assert second.tokens[7:] == [*words[4:12], "[SEP]"]
    assert first.segment_ids == [0] * 7 + [1] * 9 and first.input_ids == tokenizer.tokens_to_ids(first.tokens)
    assert first.token_to_orig_map[7] == 0 and second.token_to_orig_map[7] == 4
    # anna's colour (word 2) is in window 0 only; ben's (word 6) in both, labelled in both; cara's (10) in window 1
    labels = [(f.start_position, f.end_position) for f in features]
    assert labels == [(9, 9), (0, 0), (13, 13), (9, 9), (0, 0), (13, 13)]
    # word 6 has more context on both sides in window 1 (2 left, 5 right) than in window 0 (6 left, 1 right)
    assert not features[2].token_is_max_context[13] and features[3].token_is_max_context[9]
    # every context word is a max-context token of exactly one window
    owners = {}
    for f in features[:2]:
        for position, is_max in f.token_is_max_context.items():
            owners.setdefault(f.token_to_orig_map[position], []).append(is_max)
    assert all(sum(flags) == 1 for flags in owners.values()) and len(owners) == 12


def test_answer_span_is_narrowed_to_its_sub_tokens(tmp_path, tokenizer):
    context = "anna likes red (1895-1943) ."
    start = context.index("1895")
    qa = {"id": "q", "question": "what does anna like ?", "answers": [{"text": "1895", "answer_start": start}]}
    path = _write(tmp_path, {"data": [{"paragraphs": [{"context": context, "qas": [qa]}]}]})
    (example,) = read_squad_examples(path, TRAINING_MODE)
    assert example.doc_tokens[example.start_position] == "(1895-1943)"
    (feature,) = convert_examples_to_features([example], tokenizer, 32, 8, 8)
    assert feature.tokens[feature.start_position : feature.end_position + 1] == ["1895"]
    assert feature.tokens[feature.start_position - 1] == "("


def test_unanswerable_questions_point_at_cls_and_need_v2(tmp_path, tokenizer, toy_squad):
    path = _write(tmp_path, toy_squad(2, negatives=True))
    examples = read_squad_examples(path, TRAINING_MODE, version_2_with_negative=True)
    negatives = [e for e in examples if e.is_impossible]
    assert len(negatives) == 2 and all(e.answers == [""] and e.start_position == -1 for e in negatives)
    features = convert_examples_to_features(examples, tokenizer, 16, 4, 8)
    impossible = {i for i, e in enumerate(examples) if e.is_impossible}
    assert all((f.start_position, f.end_position) == (0, 0) for f in features if f.example_index in impossible)
    with pytest.raises(
        ValueError,
        match=r"squad.json: data\[0\].paragraphs\[0\].qas\[3\]: is_impossible .*version_2_with_negative: true",
    ):
        read_squad_examples(path, TRAINING_MODE)


def test_modes_keep_what_they_need(tmp_path, toy_squad):
    content = toy_squad(1)
    qa = content["data"][0]["paragraphs"][0]["qas"][0]
    qa["answers"].append({"text": "likes red", "answer_start": qa["answers"][0]["answer_start"] - 6})
    qa["answers"][0]["answer_start"] = 0  # the first answer's text is not at its answer_start
    path = _write(tmp_path, content)
    assert len(read_squad_examples(path, TRAINING_MODE)) == 2  # skipped in training (logged)
    evaluation = read_squad_examples(path, EVALUATION_MODE)
    assert len(evaluation) == 3 and evaluation[0].answers == [qa["answers"][0]["text"], "likes red"]
    for qa in content["data"][0]["paragraphs"][0]["qas"]:
        del qa["answers"]
    inference = read_squad_examples(_write(tmp_path, content, "questions.json"), INFERENCE_MODE, num_samples=2)
    assert [e.qas_id for e in inference] == [
        "c0-" + q["question"].split()[2] for q in content["data"][0]["paragraphs"][0]["qas"][:2]
    ]


def test_bad_files_are_refused_naming_where(tmp_path, tokenizer, toy_squad):
    content = toy_squad(1)
    del content["data"][0]["paragraphs"][0]["qas"][1]["question"]
    with pytest.raises(ValueError, match=r"bad.json: data\[0\].paragraphs\[0\].qas\[1\]: missing key 'question'"):
        read_squad_examples(_write(tmp_path, content, "bad.json"))
    content = toy_squad(1)
    content["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 500
    with pytest.raises(ValueError, match=r"qas\[0\]: answer_start 500 .* fall outside the context"):
        read_squad_examples(_write(tmp_path, content, "bad.json"))
    (tmp_path / "broken.json").write_text('{"data": [\n  {"paragraphs": ]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json:2: not valid JSON"):
        read_squad_examples(str(tmp_path / "broken.json"))
    with pytest.raises(FileNotFoundError, match="missing.json"):
        read_squad_examples(str(tmp_path / "missing.json"))
    examples = read_squad_examples(_write(tmp_path, toy_squad(1)))
    with pytest.raises(ValueError, match=r"max_seq_length=8 leaves no room .* \(max_query_length=8\)"):
        convert_examples_to_features(examples, tokenizer, 8, 4, 8)
