import pytest
import torch

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.nlp.data.question_answering import EVALUATION_MODE, INFERENCE_MODE, SquadDataset


def _dataset(squad_file, qa_vocab_file, mode=EVALUATION_MODE, negatives=False):
    return SquadDataset(
        BertWordPieceTokenizer(qa_vocab_file),
        squad_file("set.json", 3, negatives=negatives),
        doc_stride=4,
        max_query_length=8,
        max_seq_length=16,
        version_2_with_negative=negatives,
        mode=mode,
    )


def test_batches_carry_ids_segments_and_labels(squad_file, qa_vocab_file):
    dataset = _dataset(squad_file, qa_vocab_file)
    assert len(dataset) == 18  # 3 contexts x 3 questions x 2 windows
    input_ids, segment_ids, input_mask, unique_ids, starts, ends = dataset.collate_fn([0, 1, 5])
    assert input_ids.shape == segment_ids.shape == input_mask.shape == (3, 16)
    assert unique_ids.tolist() == [0, 1, 5]
    assert segment_ids[0].tolist() == dataset.features[0].segment_ids and segment_ids[0, -1] == 1
    assert starts.tolist() == [f.start_position for f in (dataset.features[i] for i in (0, 1, 5))]
    assert torch.equal(starts, ends)  # one-word answers
    assert len(_dataset(squad_file, qa_vocab_file, INFERENCE_MODE).collate_fn([0, 1])) == 4


def test_logits_at_the_labels_score_100(squad_file, qa_vocab_file):
    dataset = _dataset(squad_file, qa_vocab_file, negatives=True)
    starts, ends = [], []
    for feature in dataset.features:  # the label positions (or [CLS] of unanswerable windows) win
        start, end = ([-5.0] * len(feature.tokens) for _ in range(2))
        start[feature.start_position], end[feature.end_position] = 5.0, 5.0
        starts.append(start)
        ends.append(end)
    ids = list(range(len(dataset.features)))
    options = {"version_2_with_negative": True}
    exact, f1, predictions, nbest = dataset.evaluate(ids[::-1], starts[::-1], ends[::-1], **options)
    assert exact == f1 == 100.0 and len(predictions) == 12 and sum(p == "" for p in predictions.values()) == 3
    with pytest.raises(ValueError, match=r"no logits for 1 of 24 features"):
        dataset.evaluate(ids[1:], starts[1:], ends[1:], **options)
    # part of the set (a sanity check): only the questions with all their windows scored are answered and counted
    exact, _, predictions, _ = dataset.evaluate(ids[:7], starts[:7], ends[:7], allow_partial=True, **options)
    assert exact == 100.0 and len(predictions) == 3
