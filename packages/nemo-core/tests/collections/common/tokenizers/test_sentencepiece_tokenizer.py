import os
import random

import numpy as np
import pytest

from nemo.collections.common.tokenizers import SentencePieceTokenizer, create_spt_model

WORDS = "the quick brown fox jumps over lazy dog speech model token piece train data audio text".split()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("spm") / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(WORDS) for _ in range(8)) for _ in range(300)) + "\n")
    return path


@pytest.fixture(scope="module")
def bpe_model(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bpe")
    return create_spt_model(str(corpus), 60, -1, False, tokenizer_type="bpe", output_dir=str(out), bos=True, eos=True,
                            pad=True, control_symbols=["[CTRL]"], user_defined_symbols=["<usr>"])


def test_create_spt_model_writes_model_and_wordpiece_vocab(bpe_model, corpus):
    model_path, vocab_path = bpe_model
    tok = SentencePieceTokenizer(model_path)
    assert (tok.unk_id, tok.bos_id, tok.eos_id, tok.pad_id) == (0, 1, 2, 3)
    vocab_lines = open(vocab_path, encoding="utf-8").read().splitlines()
    assert vocab_lines and not {"<s>", "</s>", "<pad>", "<unk>", "[CTRL]", "<usr>"} & set(vocab_lines)
    pieces = tok.vocab
    assert len(pieces) == tok.vocab_size == tok.original_vocab_size
    # word-initial pieces lose the marker, the others become ## continuations
    assert {p[1:] for p in pieces if p.startswith("▁") and len(p) > 1} <= set(vocab_lines)
    assert any(line.startswith("##") for line in vocab_lines)
    # a second call reuses the model instead of training again
    assert create_spt_model(str(corpus), 999, -1, True, output_dir=os.path.dirname(model_path)) == bpe_model


def test_round_trip_and_user_symbols(bpe_model):
    tok = SentencePieceTokenizer(bpe_model[0])
    text = "the lazy dog jumps over the quick brown fox"
    ids = tok.text_to_ids(text)
    assert tok.ids_to_text(ids) == text
    assert tok.ids_to_text(np.array(ids)) == text
    tokens = tok.text_to_tokens(text)
    assert tok.tokens_to_ids(tokens) == ids and tok.ids_to_tokens(ids) == tokens
    assert tok.tokens_to_text(tokens) == text
    assert "<usr>" in tok.text_to_tokens("dog<usr>fox")  # user symbols are never split
    assert tok.tokens_to_ids("[CTRL]") == [tok.token_to_id("[CTRL]")] and tok.token_to_id("[CTRL]") > 3


def test_char_model_and_lower_case(corpus, tmp_path):
    upper = tmp_path / "upper.txt"
    upper.write_text(corpus.read_text().upper())
    model_path, _ = create_spt_model(str(upper), 10, 200, True, tokenizer_type="char", output_dir=str(tmp_path / "c"))
    tok = SentencePieceTokenizer(model_path)
    assert tok.text_to_tokens("FOX") == ["▁", "f", "o", "x"]  # lower-cased by nmt_nfkc_cf, one piece per char
    assert tok.pad_id == -1 and tok.bos_id == -1  # disabled at training time


def test_legacy_special_tokens_are_appended_and_matched_literally(bpe_model):
    tok = SentencePieceTokenizer(bpe_model[0], special_tokens={"sep_token": "[SEP]", "cls_token": "[CLS]"},
                                 legacy=True)
    base = tok.original_vocab_size
    assert tok.vocab_size == base + 2 and tok.vocab[-2:] == ["[SEP]", "[CLS]"]
    assert (tok.sep_id, tok.cls_id) == (base, base + 1)
    ids = tok.text_to_ids("[CLS]the dog[SEP]fox")
    assert ids[0] == base + 1 and base in ids
    assert tok.text_to_tokens("[CLS]the dog[SEP]fox")[0] == "[CLS]"
    assert tok.ids_to_text(ids) == "[CLS] the dog [SEP] fox"
    assert tok.ids_to_tokens([base]) == ["[SEP]"]
    tok.add_special_tokens(["<extra>", "[SEP]", "<s>"])  # known ones are not added twice
    assert tok.vocab_size == base + 3


def test_special_tokens_require_legacy(bpe_model):
    with pytest.raises(ValueError, match="legacy"):
        SentencePieceTokenizer(bpe_model[0], special_tokens=["[SEP]"])
    tok = SentencePieceTokenizer(bpe_model[0])
    with pytest.raises(AttributeError, match="legacy"):
        tok.add_special_tokens(["[SEP]"])
    assert tok.sep_id is None and tok.cls_id is None and tok.mask_id is None
    with pytest.raises(IndexError, match="outside the vocabulary"):
        tok.ids_to_tokens([10_000])


def test_bad_paths_and_types(tmp_path, corpus):
    with pytest.raises(ValueError, match="model_path"):
        SentencePieceTokenizer(str(tmp_path / "missing.model"))
    with pytest.raises(ValueError, match="data_file"):
        create_spt_model(str(tmp_path / "missing.txt"), 10, -1, False)
    with pytest.raises(ValueError, match="tokenizer_type"):
        create_spt_model(str(corpus), 10, -1, False, tokenizer_type="wordpiece")
