"""YouTokenToMe models read in Python give the real ``youtokentome``'s ids, pieces and decodings.

The goldens (a model file trained by youtokentome 1.0.6 and its outputs on fixed sentences, including unseen
characters, odd whitespace, BOS/EOS and reversal) come from tools/write_yttm_goldens.py.
"""

import json
import random
from pathlib import Path

import pytest

from nemo.collections.common.tokenizers.tokenizer_utils import get_nmt_tokenizer
from nemo.collections.common.tokenizers.youtokentome_tokenizer import YouTokenToMeModel, YouTokenToMeTokenizer

GOLDENS = Path(__file__).parent / "goldens"
MODEL = GOLDENS / "yttm_bpe.model"
EXPECTED = json.loads((GOLDENS / "yttm_goldens.json").read_text(encoding="utf-8"))
CASES = EXPECTED["cases"]


@pytest.fixture(scope="module")
def model():
    return YouTokenToMeModel(MODEL)


@pytest.mark.parametrize("case", CASES, ids=[repr(c["text"])[:30] for c in CASES])
def test_encode_and_decode_like_youtokentome(model, case):
    assert model.encode(case["text"]) == case["ids"]
    assert model.encode(case["text"], bos=True, eos=True) == case["ids_bos_eos"]
    assert model.encode(case["text"], reverse=True) == case["ids_reversed"]
    assert model.encode(case["text"], subwords=True) == case["subwords"]
    assert model.decode(case["ids"]) == case["decoded"]


def test_vocabulary_and_special_ids(model):
    assert model.vocab() == EXPECTED["vocab"] and model.vocab_size == len(EXPECTED["vocab"])
    assert [model.id_to_subword(i) for i in range(model.vocab_size)] == EXPECTED["id_to_subword"]
    assert {name: model.subword_to_id(name) for name in EXPECTED["special"]} == EXPECTED["special"]
    with pytest.raises(ValueError, match="range"):
        model.id_to_subword(model.vocab_size)


def test_nemo_tokenizer_round_trips_ids_and_applies_dropout_only_when_asked():
    tokenizer = get_nmt_tokenizer(library="yttm", tokenizer_model=str(MODEL))
    assert isinstance(tokenizer, YouTokenToMeTokenizer)
    text = "peter piper picked a peck"
    ids = tokenizer.text_to_ids(text)
    assert ids == YouTokenToMeModel(MODEL).encode(text)
    assert tokenizer.ids_to_text([tokenizer.bos_id, *ids, tokenizer.eos_id, tokenizer.pad_id]) == text
    assert tokenizer.tokens_to_text(tokenizer.text_to_tokens(text)) == text
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id) == (0, 1, 2, 3)

    dropped = YouTokenToMeTokenizer(str(MODEL), bpe_dropout=0.5, seed=1)
    variants = {tuple(dropped.text_to_ids(text)) for _ in range(20)}
    assert len(variants) > 1  # dropout yields other segmentations ...
    assert all(dropped.ids_to_text(list(v)) == text for v in variants)  # ... of the same text
    always = YouTokenToMeTokenizer(str(MODEL), bpe_dropout=1.0)
    assert always.text_to_tokens("abc") == ["\u2581", "a", "b", "c"]  # every merge skipped: characters
    r2l = YouTokenToMeTokenizer(str(MODEL), r2l=True)
    assert r2l.text_to_ids(text) == ids[::-1] and r2l.ids_to_text(r2l.text_to_ids(text)) == text


def test_a_file_that_is_not_a_yttm_model_is_refused(tmp_path):
    bad = tmp_path / "sp.model"
    bad.write_bytes(b"\x0a\x0bnot yttm")
    with pytest.raises(ValueError, match="not a YouTokenToMe model file"):
        YouTokenToMeModel(bad)
    with pytest.raises(FileNotFoundError):
        YouTokenToMeModel(tmp_path / "missing.model")
    assert random.Random(0).random() < 1  # dropout draws come from a seeded random.Random
