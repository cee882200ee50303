import json

import pytest

from nemo.collections.common.tokenizers import AutoTokenizer, BertWordPieceTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "world"]


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return tmp_path


def test_bert_name_with_vocab_file(model_dir):
    uncased = AutoTokenizer("bert-base-uncased", vocab_file=str(model_dir / "vocab.txt"))
    cased = AutoTokenizer("bert-base-cased", vocab_file=str(model_dir / "vocab.txt"))
    assert isinstance(uncased, BertWordPieceTokenizer)
    assert uncased.text_to_ids("Hello world") == [5, 7] and cased.text_to_ids("Hello world") == [6, 7]
    # NeMo fills bos/eos from cls/sep for BERT
    assert (uncased.bos_id, uncased.eos_id, uncased.cls_id, uncased.sep_id) == (2, 3, 2, 3)


def test_local_directory_with_tokenizer_config(model_dir):
    config = {"tokenizer_class": "BertTokenizerFast", "do_lower_case": False, "mask_token": {"content": "[MASK]"}}
    (model_dir / "tokenizer_config.json").write_text(json.dumps(config))
    tok = AutoTokenizer(str(model_dir), pad_token="<p>")
    assert tok.text_to_ids("Hello") == [6] and tok.mask_id == 4
    assert tok.pad_id == len(VOCAB)  # a new special token is appended to the vocabulary


def test_names_that_would_need_a_download_fail_clearly(model_dir):
    with pytest.raises(ValueError, match="never contacts; pass vocab_file"):
        AutoTokenizer("bert-base-uncased")
    with pytest.raises(ValueError, match="not a BERT WordPiece model"):
        AutoTokenizer("roberta-base", vocab_file=str(model_dir / "vocab.txt"))
    with pytest.raises(ValueError, match="merges_file"):
        AutoTokenizer("gpt2", vocab_file="vocab.json", merges_file="merges.txt")
    (model_dir / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "GPT2Tokenizer"}))
    with pytest.raises(ValueError, match="GPT2Tokenizer' is not a WordPiece tokenizer"):
        AutoTokenizer(str(model_dir))
    (model_dir / "tokenizer_config.json").write_text("{bad json")
    with pytest.raises(ValueError, match=r"tokenizer_config.json:1: not valid JSON"):
        AutoTokenizer(str(model_dir))
    (model_dir / "vocab.txt").unlink()
    (model_dir / "tokenizer_config.json").unlink()
    with pytest.raises(ValueError, match="has no vocab.txt"):
        AutoTokenizer(str(model_dir))
