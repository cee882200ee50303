import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer
from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    TextClassificationDataset,
    calc_class_weights,
    read_text_classification_file,
)


def test_header_is_optional_and_labels_are_read(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("sentence\tlabel\ngood film\t1\n\nbad\tfilm\t0\n", encoding="utf-8")
    assert read_text_classification_file(str(path)) == (["good film", "bad\tfilm"], [1, 0])


def test_bad_label_names_file_and_line(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("good film\t1\nbad film\tneg\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"d.tsv:2: label 'neg'"):
        read_text_classification_file(str(path))


def test_batches_are_padded_and_truncated(tmp_path, vocab_file):
    path = tmp_path / "d.tsv"
    path.write_text("good film\t1\nthe plot was very dull\t0\n", encoding="utf-8")
    tok = BertWordPieceTokenizer(vocab_file)
    ds = TextClassificationDataset(tok, input_file=str(path), max_seq_length=5)
    ids, segments, mask, labels = ds.collate_fn([ds[0], ds[1]])
    assert tok.ids_to_tokens(ids[1].tolist()) == ["[CLS]", "the", "plot", "was", "[SEP]"]
    assert tok.ids_to_tokens(ids[0].tolist())[:4] == ["[CLS]", "good", "film", "[SEP]"]
    assert mask.tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert labels.tolist() == [1, 0] and segments.sum() == 0


def test_class_weights_balance_counts():
    assert calc_class_weights([0, 0, 0, 1], 3) == pytest.approx([4 / 9, 4 / 3, 0.0])
