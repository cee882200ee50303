import random

import pytest
import torch

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.nlp.data.language_modeling import BertPretrainingDataset


@pytest.fixture
def tokenizer(vocab_file):
    return BertWordPieceTokenizer(vocab_file)


def _examples(dataset, n):
    return [dataset[i] for i in range(n)]


def test_examples_are_cls_a_sep_b_sep_padded(tmp_path, tokenizer, lm_text):
    dataset = BertPretrainingDataset(tokenizer, str(lm_text(tmp_path / "t.txt", 40)), 32, mask_prob=0.0)
    assert len(dataset) == 40 and dataset.num_passages == 40
    random.seed(0)
    for input_ids, type_ids, input_mask, output_ids, output_mask, is_next in _examples(dataset, 50):
        length = int(input_mask.sum())
        assert input_ids.shape == (32,) and torch.equal(input_ids, output_ids)  # mask_prob 0: nothing masked
        assert output_mask.sum() == 0 and is_next.item() in (0, 1)
        ids = output_ids[:length].tolist()
        assert ids[0] == tokenizer.cls_id and ids[-1] == tokenizer.sep_id and ids.count(tokenizer.sep_id) == 2
        first_sep = ids.index(tokenizer.sep_id)
        assert type_ids[: first_sep + 1].sum() == 0 and type_ids[first_sep + 1 : length].tolist() == [1] * (
            length - first_sep - 1
        )
        assert set(output_ids[length:].tolist()) <= {tokenizer.pad_id} and type_ids[length:].sum() == 0


def test_masking_statistics_follow_bert(tmp_path, tokenizer, lm_text):
    """15% of the words chosen; of the chosen tokens 80% [MASK], 10% random, 10% kept; [CLS]/[SEP] never; a word's
    ``##`` pieces go with it; B follows A about half of the time."""
    dataset = BertPretrainingDataset(tokenizer, str(lm_text(tmp_path / "t.txt", 200)), 32, mask_prob=0.15)
    random.seed(1)
    chosen = masked = kept = real = 0
    plural_split = 0
    next_count = 0
    n = 1500
    for input_ids, _, input_mask, output_ids, output_mask, is_next in _examples(dataset, n):
        length = int(input_mask.sum())
        sel = output_mask[:length].bool()
        special = (output_ids[:length] == tokenizer.cls_id) | (output_ids[:length] == tokenizer.sep_id)
        assert not (sel & special).any()
        real += int((~special).sum())
        chosen += int(sel.sum())
        masked += int((input_ids[:length][sel] == tokenizer.mask_id).sum())
        kept += int((input_ids[:length][sel] == output_ids[:length][sel]).sum())
        pieces = (output_ids[:length] == tokenizer.token_to_id("##s")).nonzero().flatten().tolist()
        plural_split += sum(int(sel[i]) != int(sel[i - 1]) for i in pieces)
        next_count += int(is_next)
    assert chosen / real == pytest.approx(0.15, abs=0.015)
    assert masked / chosen == pytest.approx(0.8, abs=0.03)
    # kept: the 10% left alone plus the random replacements that drew the same token (1 in 36)
    assert kept / chosen == pytest.approx(0.1 + 0.1 / 36, abs=0.025)
    assert plural_split == 0
    assert next_count / n == pytest.approx(0.5, abs=0.06)


def test_a_directory_of_files_and_num_samples(tmp_path, tokenizer, lm_text):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lm_text(corpus / "a.txt", 5)
    lm_text(corpus / "b.txt", 7, seed=1)
    (corpus / "blank.txt").write_text("\n\n", encoding="utf-8")
    dataset = BertPretrainingDataset(tokenizer, str(corpus), 32, num_samples=100)
    assert len(dataset.documents) == 2 and dataset.num_passages == 12 and len(dataset) == 100


def test_bad_input_is_refused_with_its_place(tmp_path, tokenizer, lm_text):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"the movie is good\n\nbad plot \xff\xfe\n")
    with pytest.raises(ValueError, match=r"bad.txt:3: not UTF-8 text"):
        BertPretrainingDataset(tokenizer, str(bad), 32)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty.txt'?: no text"):
        BertPretrainingDataset(tokenizer, str(empty), 32)
    with pytest.raises(FileNotFoundError, match=r"data_file=.*missing.txt"):
        BertPretrainingDataset(tokenizer, str(tmp_path / "missing.txt"), 32)
    text = str(lm_text(tmp_path / "t.txt", 4))
    with pytest.raises(ValueError, match=r"mask_prob=1.5: expected a probability in \[0, 1\]"):
        BertPretrainingDataset(tokenizer, text, 32, mask_prob=1.5)
    with pytest.raises(ValueError, match=r"max_seq_length=4: expected >= 5"):
        BertPretrainingDataset(tokenizer, text, 4)
