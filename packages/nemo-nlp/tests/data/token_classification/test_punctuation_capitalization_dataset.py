import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer
from nemo.collections.nlp.data.token_classification.punctuation_capitalization_dataset import (
    BertPunctuationCapitalizationDataset,
    read_punct_capit_files,
)


def _files(tmp_path, text: str, labels: str):
    (tmp_path / "text.txt").write_text(text, encoding="utf-8")
    (tmp_path / "labels.txt").write_text(labels, encoding="utf-8")
    return str(tmp_path / "text.txt"), str(tmp_path / "labels.txt")


def test_two_label_sets_spread_over_subtokens_in_v1_batch_order(tmp_path, vocab_file):
    text, labels = _files(tmp_path, "films plot\n\nthe movie\n", "OU .O\n\nOO ?O\n")
    tok = BertWordPieceTokenizer(vocab_file)
    ds = BertPunctuationCapitalizationDataset(text, labels, max_seq_length=-1, tokenizer=tok)
    assert ds.punct_label_ids == {"O": 0, ".": 1, "?": 2} and ds.capit_label_ids == {"O": 0, "U": 1}
    assert len(ds) == 2  # the blank line pair is skipped
    input_ids, segments, mask, subtokens, loss_mask, punct, capit = ds.collate_fn([ds[0], ds[1]])
    assert tok.ids_to_tokens(input_ids[0].tolist()) == ["[CLS]", "film", "##s", "plot", "[SEP]"]
    assert subtokens[0].tolist() == [0, 1, 0, 1, 0]
    assert loss_mask[0].tolist() == [1, 1, 1, 1, 1]  # v1's ignore_start_end=False, ignore_extra_tokens=False
    assert punct[0].tolist() == [0, 0, 0, 1, 0] and capit[0].tolist() == [0, 1, 1, 0, 0]
    assert punct[1].tolist() == [0, 0, 2, 0, 0] and mask[1].tolist() == [1, 1, 1, 1, 0]
    assert set(ds.output_types) == {
        "input_ids",
        "segment_ids",
        "input_mask",
        "subtokens_mask",
        "loss_mask",
        "punct_labels",
        "capit_labels",
    }


@pytest.mark.parametrize(
    "labels, message",
    [
        ("OU OO\nOU ,\n", r"labels.txt:2: label 2 ',': expected two characters"),
        ("OU OO\nOU OOO\n", r"labels.txt:2: label 2 'OOO': expected two characters"),
        ("OU OO\nOU\n", r"labels.txt:2: 1 labels for the 2 words of .*text.txt:2"),
        ("OU OO\n", r"text.txt has 2 lines but .*labels.txt has 1"),
    ],
)
def test_bad_label_lines_name_file_and_line(tmp_path, labels, message):
    text, labels_file = _files(tmp_path, "good film\nbad plot\n", labels)
    with pytest.raises(ValueError, match=message):
        read_punct_capit_files(text, labels_file)


def test_labels_outside_the_models_ids_are_refused(tmp_path, vocab_file):
    text, labels = _files(tmp_path, "good film\n", "OU ?O\n")
    with pytest.raises(ValueError, match=r"labels.txt \(punctuation\): labels \['\?'\] are not in the model's"):
        BertPunctuationCapitalizationDataset(
            text,
            labels,
            max_seq_length=16,
            tokenizer=BertWordPieceTokenizer(vocab_file),
            punct_label_ids={"O": 0, ".": 1},
            capit_label_ids={"O": 0, "U": 1},
        )
