import pytest

from nemo.collections.common.tokenizers import BertWordPieceTokenizer
from nemo.collections.nlp.data.intent_slot_classification import (
    IntentSlotClassificationDataset,
    read_intent_slot_dicts,
    read_intent_slot_files,
)


def _write(tmp_path, sentences: str, slots: str):
    (tmp_path / "dict.intents.csv").write_text("dislike\nlike\n", encoding="utf-8")
    (tmp_path / "dict.slots.csv").write_text("opinion\nO\n", encoding="utf-8")
    (tmp_path / "train.tsv").write_text("sentence\tlabel\n" + sentences, encoding="utf-8")
    (tmp_path / "train_slots.tsv").write_text(slots, encoding="utf-8")
    return str(tmp_path / "train.tsv"), str(tmp_path / "train_slots.tsv")


def test_batches_in_v1_order_with_the_pad_slot(tmp_path, vocab_file):
    sentences, slots = _write(tmp_path, "good films\t1\nthe plot\t0\n", "0 1\n1 1\n")
    assert read_intent_slot_dicts(str(tmp_path)) == (["dislike", "like"], ["opinion", "O"])
    tok = BertWordPieceTokenizer(vocab_file)
    ds = IntentSlotClassificationDataset(sentences, slots, 16, tok, num_intents=2, num_slots=2, pad_label=1)
    input_ids, segments, mask, loss_mask, subtokens, intents, slot_ids = ds.collate_fn([ds[0], ds[1]])
    assert tok.ids_to_tokens(input_ids[0].tolist()) == ["[CLS]", "good", "film", "##s", "[SEP]"]
    assert subtokens[0].tolist() == [0, 1, 1, 0, 0] and loss_mask[0].tolist() == [1, 1, 1, 1, 1]
    assert slot_ids[0].tolist() == [1, 0, 1, 1, 1]  # [CLS]/[SEP] get the pad slot, '##s' its word's
    assert intents.tolist() == [1, 0] and mask[1].tolist() == [1, 1, 1, 1, 0] and segments.sum() == 0


@pytest.mark.parametrize(
    "sentences, slots, message",
    [
        ("good film\t1\nbad plot\t0\n", "0 1\n1\n", r"train_slots.tsv:2: 1 slots for the 2 words of 'bad plot'"),
        ("good film\t1\n", "0 x\n", r"train_slots.tsv:1: slot ids must be integers, got '0 x'"),
        ("good film\t1\n", "0 2\n", r"train_slots.tsv:1: slot ids \[0, 2\] are not all in \[0, 2\)"),
        ("good film\t5\n", "0 1\n", r"train.tsv: sentence 1: intent 5 is not below the 2 intents"),
        ("good film\t1\nbad plot\t0\n", "0 1\n", r"train.tsv has 2 sentences but .*train_slots.tsv has 1 lines"),
        ("good film\n", "0 1\n", r"train.tsv:2: expected 'sentence<TAB>label'"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, sentences, slots, message):
    paths = _write(tmp_path, sentences, slots)
    with pytest.raises(ValueError, match=message):
        read_intent_slot_files(*paths, num_intents=2, num_slots=2)


@pytest.mark.parametrize(
    "name, names, message",
    [
        ("dict.slots.csv", "opinion\ntitle\n", r"dict.slots.csv: no 'O' slot"),
        ("dict.intents.csv", "like\n\nlike\n", r"dict.intents.csv:2: empty label name"),
        ("dict.intents.csv", "like\nlike\n", r"dict.intents.csv: repeated label names \['like'\]"),
    ],
)
def test_dictionaries_need_the_none_slot_and_unique_names(tmp_path, name, names, message):
    _write(tmp_path, "", "")
    (tmp_path / name).write_text(names, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_intent_slot_dicts(str(tmp_path))
