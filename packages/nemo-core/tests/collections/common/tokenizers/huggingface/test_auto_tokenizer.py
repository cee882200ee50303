import json

import pytest

from nemo.collections.common.hf_hub import HubDownloadError
from nemo.collections.common.tokenizers import AutoTokenizer
from nemo.core.testing.hub_server import LoopbackHub

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "world"]
TEXTS = ["Hello world, héllo!", "  Numbers 123 and 4,5 ", "ünïcödé <mask> café", "a\tb\nc", "don't stop"]


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    """An empty Hub cache; the endpoint is set by each test to its loopback hub."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return monkeypatch


def test_bert_name_with_vocab_file(model_dir):
    uncased = AutoTokenizer("bert-base-uncased", vocab_file=str(model_dir / "vocab.txt"))
    cased = AutoTokenizer("bert-base-cased", vocab_file=str(model_dir / "vocab.txt"))
    assert (uncased.do_lower_case, cased.do_lower_case) == (True, False)
    assert uncased.text_to_ids("Hello world") == [5, 7] and cased.text_to_ids("Hello world") == [6, 7]
    # NeMo fills bos/eos from cls/sep for BERT
    assert (uncased.bos_id, uncased.eos_id, uncased.cls_id, uncased.sep_id) == (2, 3, 2, 3)


def test_wordpiece_continuation_pieces_are_glued_back_in_text(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join([*VOCAB, "un", "##aff", "##able", ","]) + "\n", encoding="utf-8")
    tok = AutoTokenizer("bert-base-uncased", vocab_file=str(tmp_path / "vocab.txt"))
    assert tok.text_to_tokens("unaffable, hello") == ["un", "##aff", "##able", ",", "hello"]
    assert tok.tokens_to_text(["un", "##aff", "##able", ",", "hello"]) == "unaffable , hello"
    assert tok.ids_to_text(tok.text_to_ids("unaffable, hello")) == "unaffable , hello"


def test_local_directory_with_tokenizer_config(model_dir):
    config = {"tokenizer_class": "BertTokenizerFast", "do_lower_case": False, "mask_token": {"content": "[MASK]"}}
    (model_dir / "tokenizer_config.json").write_text(json.dumps(config))
    tok = AutoTokenizer(str(model_dir), pad_token="<p>")
    assert tok.text_to_ids("Hello") == [6] and tok.mask_id == 4
    assert tok.pad_id == len(VOCAB)  # a new special token is appended to the vocabulary


def test_bad_arguments_and_files_fail_clearly(model_dir):
    with pytest.raises(ValueError, match="unknown key 'pad_tokn'.*did you mean 'pad_token'"):
        AutoTokenizer(str(model_dir), pad_tokn="<p>")
    (model_dir / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "GPT2Tokenizer"}))
    with pytest.raises(ValueError, match=r"\(GPT2Tokenizer\) has none of .*found \['tokenizer_config.json', 'vocab"):
        AutoTokenizer(str(model_dir))
    (model_dir / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer"}))
    (model_dir / "vocab.txt").rename(model_dir / "other.txt")
    with pytest.raises(ValueError, match="is a WordPiece model .BertTokenizer. but has no vocab.txt"):
        AutoTokenizer(str(model_dir))
    (model_dir / "tokenizer_config.json").write_text("{bad json")
    with pytest.raises(ValueError, match=r"tokenizer_config.json:1: not valid JSON"):
        AutoTokenizer(str(model_dir))
    (model_dir / "tokenizer_config.json").unlink()
    with pytest.raises(HubDownloadError, match="model directory has no tokenizer_config.json or"):
        AutoTokenizer(str(model_dir))


def test_bert_by_name_from_the_hub_then_offline_from_its_cache(model_dir, hub_env):
    files = {"vocab.txt": (model_dir / "vocab.txt").read_bytes(), "README.md": b"not downloaded"}
    cased = {**files, "tokenizer_config.json": json.dumps({"do_lower_case": False}).encode()}
    with LoopbackHub({"bert-base-uncased": {"main": files, "cased": cased}}) as hub:
        hub_env.setenv("HF_ENDPOINT", hub.endpoint)
        tok = AutoTokenizer("bert-base-uncased")
        assert tok.text_to_ids("Hello world") == [5, 7] and tok.do_lower_case
        assert AutoTokenizer("bert-base-uncased", revision="cased").text_to_ids("Hello world") == [6, 7]
        assert not any("README" in path for _, path in hub.requests)
        with pytest.raises(HubDownloadError, match="'roberta-base'@main .*no such repository"):
            AutoTokenizer("roberta-base")
    hub_env.setenv("HF_HUB_OFFLINE", "1")
    assert AutoTokenizer("bert-base-uncased").text_to_ids("Hello world") == [5, 7]
    with pytest.raises(HubDownloadError, match="not in the Hub cache .*HF_HUB_OFFLINE is set"):
        AutoTokenizer("bert-base-cased")


@pytest.fixture
def transformers():
    return pytest.importorskip("transformers", reason="transformers (test-only dependency) is not installed")


def _corpus():
    words = "the quick brown fox jumps over lazy dogs hello world café naïve numbers 123 4,5 don't stop".split()
    return [" ".join(words[i:] + words[:i]) for i in range(len(words))]


def test_roberta_byte_level_bpe_matches_transformers(tmp_path, transformers, hub_env):
    from tokenizers import ByteLevelBPETokenizer

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(_corpus(), vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    trainer.save_model(str(tmp_path))
    reference = transformers.RobertaTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    files = {name: (tmp_path / name).read_bytes() for name in ("vocab.json", "merges.txt")}
    with LoopbackHub({"org/tiny-roberta": {"main": files}}) as hub:
        hub_env.setenv("HF_ENDPOINT", hub.endpoint)
        ours = AutoTokenizer("org/tiny-roberta")
    for text in (t.replace(" <mask>", "") for t in TEXTS):
        assert ours.text_to_ids(text) == reference.encode(text, add_special_tokens=False), text
        assert ours.ids_to_text(ours.text_to_ids(text)) == text
    # roberta-base's <mask> takes the space before it (lstrip), as in NeMo v1's transformers 4
    assert ours.text_to_ids("hello <mask>") == ours.text_to_ids("hello") + [4]
    pair = reference("hello world", "lazy dogs")
    assert ours.encode("hello world", "lazy dogs")["input_ids"] == pair["input_ids"]
    assert (ours.pad_id, ours.bos_id, ours.eos_id, ours.mask_id) == (1, 0, 2, 4)


def test_albert_sentencepiece_matches_transformers(tmp_path, transformers):
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus() * 4),
        model_writer=model,
        vocab_size=50,
        model_type="unigram",
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        pad_piece="<pad>",
        unk_piece="<unk>",
        character_coverage=1.0,
        minloglevel=2,
    )
    (tmp_path / "spiece.model").write_bytes(model.getvalue())
    reference = transformers.AlbertTokenizerFast(vocab_file=str(tmp_path / "spiece.model"))
    reference.save_pretrained(str(tmp_path / "albert"))
    ours = AutoTokenizer(str(tmp_path / "albert"))
    for config in ("tokenizer_config.json", "special_tokens_map.json"):  # Hub repositories may have tokenizer.json only
        (tmp_path / "albert" / config).unlink(missing_ok=True)
    assert AutoTokenizer(str(tmp_path / "albert")).encode("hello")["input_ids"] == ours.encode("hello")["input_ids"]
    for text in TEXTS:
        assert ours.text_to_ids(text) == reference.encode(text, add_special_tokens=False), text
    assert ours.encode("hello world", "lazy dogs")["input_ids"] == reference("hello world", "lazy dogs")["input_ids"]
    assert (ours.cls_token, ours.sep_token, ours.pad_id, ours.unk_id) == ("[CLS]", "[SEP]", 0, 1)
