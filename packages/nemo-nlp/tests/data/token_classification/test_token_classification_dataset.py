import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer
from nemo.collections.nlp.data.token_classification.token_classification_dataset import (
    BertTokenClassificationDataset,
    get_label_ids,
)


def test_word_labels_spread_over_subtokens(tmp_path, vocab_file):
    (tmp_path / "t.txt").write_text("films plot\n", encoding="utf-8")
    (tmp_path / "l.txt").write_text("B O\n", encoding="utf-8")
    tok = BertWordPieceTokenizer(vocab_file)
    label_ids = get_label_ids([["B", "O"]])
    assert label_ids == {"O": 0, "B": 1}
    ds = BertTokenClassificationDataset(
        str(tmp_path / "t.txt"), str(tmp_path / "l.txt"), tok, label_ids, ignore_extra_tokens=True
    )
    input_ids, segments, mask, subtokens, loss_mask, labels = ds.collate_fn([ds[0]])
    assert tok.ids_to_tokens(input_ids[0].tolist()) == ["[CLS]", "film", "##s", "plot", "[SEP]"]
    assert subtokens[0].tolist() == [0, 1, 0, 1, 0]
    assert loss_mask[0].tolist() == [0, 1, 0, 1, 0]
    assert labels[0].tolist() == [0, 1, 1, 0, 0]
    assert mask[0].tolist() == [1] * 5 and segments.sum() == 0


def test_unknown_label_is_reported(tmp_path, vocab_file):
    (tmp_path / "t.txt").write_text("plot\n", encoding="utf-8")
    (tmp_path / "l.txt").write_text("X\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"l.txt: labels \['X'\]"):
        BertTokenClassificationDataset(
            str(tmp_path / "t.txt"), str(tmp_path / "l.txt"), BertWordPieceTokenizer(vocab_file), {"O": 0}
        )
