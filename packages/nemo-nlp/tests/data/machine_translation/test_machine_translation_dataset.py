import numpy as np
import pytest

from nemo.collections.nlp.data.machine_translation import TranslationDataset, read_parallel_text


class WordTokenizer:
    """Whitespace tokenizer over a growing vocabulary; pad/bos/eos are 0/1/2."""

    pad_id, bos_id, eos_id = 0, 1, 2

    def __init__(self):
        self.vocab = {}

    def text_to_ids(self, text):
        return [self.vocab.setdefault(word, 3 + len(self.vocab)) for word in text.split()]


def _corpus(n=40, seed=0):
    rng = np.random.default_rng(seed)
    src = [" ".join(f"w{w}" for w in rng.integers(0, 20, rng.integers(1, 9))) for _ in range(n)]
    tgt = [" ".join(reversed(s.split())) + " end" for s in src]
    return src, tgt


def test_batches_respect_token_budget_and_cover_every_pair_once():
    src, tgt = _corpus()
    dataset = TranslationDataset(src, tgt, WordTokenizer(), WordTokenizer(), tokens_in_batch=40)
    seen = []
    for i in range(len(dataset)):
        src_ids, src_mask, tgt_ids, tgt_mask, labels, sent_ids = dataset[i]
        assert src_ids.shape[0] * (src_ids.shape[1] + tgt_ids.shape[1] + 1) <= 40 or src_ids.shape[0] == 1
        assert tgt_ids.shape == labels.shape == tgt_mask.shape and src_mask.shape == src_ids.shape
        assert (src_ids[:, 0] == 1).all() and (tgt_ids[:, 0] == 1).all()
        np.testing.assert_array_equal(tgt_ids[:, 1:], labels[:, :-1])  # labels are the inputs shifted left
        assert ((src_ids != 0) == src_mask.astype(bool)).all()
        seen.extend(sent_ids.tolist())
    assert sorted(seen) == list(range(len(src)))
    assert len(dataset) > 3


def test_pair_longer_than_budget_gets_its_own_batch():
    dataset = TranslationDataset(["a b c d e f"], ["g h i j"], WordTokenizer(), WordTokenizer(), tokens_in_batch=4)
    assert len(dataset) == 1 and dataset[0][0].shape == (1, 8)


def test_clean_num_samples_and_reverse_direction():
    src, tgt = ["a b", "", "c"], ["x y", "z", "w w w"]
    cleaned = TranslationDataset(src, tgt, WordTokenizer(), WordTokenizer(), clean=True, max_seq_length=4)
    assert len(cleaned.src_ids) == 1  # empty source and over-long target dropped
    first_two = TranslationDataset(src, tgt, WordTokenizer(), WordTokenizer(), num_samples=2)
    assert len(first_two.src_ids) == 2
    reverse = TranslationDataset(["a"], ["x y"], WordTokenizer(), WordTokenizer(), reverse_lang_direction=True)
    assert len(reverse.src_ids[0]) == 4 and len(reverse.tgt_ids[0]) == 3


def test_read_parallel_text_rejects_misaligned_files(tmp_path):
    (tmp_path / "a.src").write_text("one\ntwo\n", encoding="utf-8")
    (tmp_path / "a.tgt").write_text("eins\n", encoding="utf-8")
    with pytest.raises(ValueError, match="a.src has 2.*a.tgt has 1"):
        read_parallel_text(str(tmp_path / "a.src"), str(tmp_path / "a.tgt"))


def test_tokenizer_without_pad_is_rejected():
    class NoPad(WordTokenizer):
        pad_id = -1

    with pytest.raises(ValueError, match="pad_id"):
        TranslationDataset(["a"], ["b"], NoPad(), WordTokenizer())
