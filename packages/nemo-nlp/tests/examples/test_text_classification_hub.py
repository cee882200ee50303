"""Acceptance: the v1 text-classification YAML, ``pretrained_model_name: bert-base-uncased`` as written, builds a
model from a (loopback) Hugging Face Hub serving a tiny random BERT under that name, then offline from the cache;
its ``.nemo`` restores with neither."""

import json
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, quiet_cpu_trainer
from nemo.core.testing.hub_server import LoopbackHub

pytest.importorskip("pytorch_lightning")


def _model_cfg(sentiment_files):
    cfg = OmegaConf.load(examples_dir("nlp", "text_classification", "conf", "text_classification_config.yaml"))
    assert cfg.model.language_model.pretrained_model_name == "bert-base-uncased"
    cfg.model.train_ds.file_path = sentiment_files["train"]
    cfg.model.validation_ds.file_path = sentiment_files["dev"]
    cfg.model.dataset.max_seq_length = 32
    return cfg.model


def test_v1_yaml_builds_bert_base_uncased_from_the_hub_then_offline(
    tmp_path, monkeypatch, bert_checkpoint_dir, sentiment_files
):
    from nemo.collections.nlp.models import TextClassificationModel

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path / "nemo-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    repo = {path.name: path.read_bytes() for path in Path(bert_checkpoint_dir).iterdir()}
    repo["tokenizer_config.json"] = json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True}).encode()
    with LoopbackHub({"bert-base-uncased": {"main": repo}}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        online = TextClassificationModel(_model_cfg(sentiment_files), trainer=quiet_cpu_trainer())
        served = len(hub.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = TextClassificationModel(_model_cfg(sentiment_files), trainer=quiet_cpu_trainer())
    assert len(hub.requests) == served  # the offline build asked nothing
    from safetensors.torch import load_file

    served_weights = load_file(str(Path(bert_checkpoint_dir) / "model.safetensors"))
    for model in (online, offline):
        encoder = model.bert_model.state_dict()
        assert all(torch.equal(encoder[k], served_weights[f"bert.{k}"]) for k in encoder)
        assert model.tokenizer.text_to_ids("The movie was GREAT") == [15, 17, 20, 6]
        batch = next(iter(model.train_dataloader()))
        logits = model(input_ids=batch[0], token_type_ids=batch[1], attention_mask=batch[2])
        assert logits.shape == (batch[0].shape[0], 2)
    offline.save_to(str(tmp_path / "tc.nemo"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))  # the archive needs neither Hub nor cache
    restored = TextClassificationModel.restore_from(str(tmp_path / "tc.nemo"), map_location="cpu").eval()
    offline.eval()
    with torch.no_grad():
        args = dict(input_ids=batch[0], token_type_ids=batch[1], attention_mask=batch[2])
        assert torch.equal(restored(**args), offline(**args))
    assert restored.tokenizer.text_to_ids("The movie was GREAT") == [15, 17, 20, 6]
