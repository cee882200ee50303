"""``get_lm_model`` by Hub name, against a loopback Hub: every encoder family equal to ``transformers`` within 1e-4,
revisions, offline use of the cache, and a failed download that leaves nothing half-written."""

from pathlib import Path

import pytest
import torch

from nemo.collections.common.hf_hub import HubDownloadError
from nemo.collections.nlp.modules.common import AlbertEncoder, BertEncoder, DistilBertEncoder, RobertaEncoder
from nemo.collections.nlp.modules.common.lm_utils import get_lm_model
from nemo.core.testing.hub_server import LoopbackHub

SIZES = dict(vocab_size=99, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=48)
# name -> (config class, saved class, reference model class, config overrides, our class, weights as safetensors)
FAMILIES = {
    "bert-base-uncased": ("BertConfig", "BertForMaskedLM", "BertModel", {}, BertEncoder, True),
    "distilbert-base-uncased": (
        "DistilBertConfig",
        "DistilBertModel",
        "DistilBertModel",
        dict(dim=32, n_layers=2, n_heads=4, hidden_dim=48),
        DistilBertEncoder,
        False,
    ),
    "roberta-base": (
        "RobertaConfig",
        "RobertaForMaskedLM",
        "RobertaModel",
        dict(max_position_embeddings=42, pad_token_id=1, type_vocab_size=1),
        RobertaEncoder,
        True,
    ),
    "albert-base-v2": (
        "AlbertConfig",
        "AlbertForPreTraining",
        "AlbertModel",
        dict(embedding_size=16, inner_group_num=2),
        AlbertEncoder,
        False,
    ),
}


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path / "nemo-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return monkeypatch


def _repo_files(directory: Path) -> dict:
    return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}


def _padded_inputs(vocab_size: int, pad_id: int):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(2, vocab_size, (2, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    ids[1, 6:] = pad_id
    return ids, mask


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_by_name_matches_transformers(tmp_path, hub_env, name):
    transformers = pytest.importorskip("transformers", reason="transformers (test-only dependency) is not installed")
    config_class, saved_class, model_class, overrides, ours_class, safe = FAMILIES[name]
    sizes = {} if "distil" in name else SIZES
    config = getattr(transformers, config_class)(**{**SIZES, **sizes, **overrides} if sizes else {**overrides})
    torch.manual_seed(0)
    repo = tmp_path / "repo"
    getattr(transformers, saved_class)(config).save_pretrained(str(repo))
    if not safe:  # transformers 5 writes safetensors only: store the weights as a (weights-only) torch pickle
        from safetensors.torch import load_file

        torch.save(load_file(str(repo / "model.safetensors")), repo / "pytorch_model.bin")
        (repo / "model.safetensors").unlink()
    reference = getattr(transformers, model_class).from_pretrained(str(repo)).eval()
    with LoopbackHub({name: {"main": _repo_files(repo)}}) as hub:
        hub_env.setenv("HF_ENDPOINT", hub.endpoint)
        encoder = get_lm_model(name).eval()
    weights = "model.safetensors" if safe else "pytorch_model.bin"
    fetched = {path.rsplit("/", 1)[-1] for method, path in hub.requests if method == "GET" and "/resolve/" in path}
    assert fetched == {"config.json", weights}  # only the weights that exist, fetched once
    assert type(encoder) is ours_class
    ids, mask = _padded_inputs(99, getattr(config, "pad_token_id", 0) or 0)
    with torch.no_grad():
        ours = encoder(input_ids=ids, attention_mask=mask)
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    assert (ours - theirs)[mask.bool()].abs().max() < 1e-4


def test_revision_offline_cache_and_failed_download(tmp_path, hub_env, bert_checkpoint_dir):
    main = _repo_files(Path(bert_checkpoint_dir))
    state = get_lm_model(bert_checkpoint_dir).state_dict()
    other = get_lm_model("bert-base-uncased", config_dict=get_lm_model(bert_checkpoint_dir).config.to_dict())
    from safetensors.torch import save

    v2 = {**main, "model.safetensors": save({k: v.contiguous() for k, v in other.state_dict().items()})}
    with LoopbackHub({"org/tiny-bert": {"main": main, "v2": v2}}, truncate={"model.safetensors"}) as hub:
        hub_env.setenv("HF_ENDPOINT", hub.endpoint)
        with pytest.raises(
            HubDownloadError, match=r"'org/tiny-bert'@main \(model.safetensors\): download from .* failed"
        ):
            get_lm_model("org/tiny-bert")
        left = [p.name for p in (tmp_path / "hub-cache").rglob("*") if p.is_file()]
        assert not [n for n in left if n.endswith(".incomplete") or n.startswith("tmp") or n == "model.safetensors"]
        hub.truncate.clear()
        loaded = get_lm_model("org/tiny-bert").state_dict()
        loaded_v2 = get_lm_model("org/tiny-bert", revision="v2").state_dict()
        with pytest.raises(
            HubDownloadError, match=r"'org/tiny-bert'@v3 \(config.json\): download from .* failed .*Revision"
        ):
            get_lm_model("org/tiny-bert", revision="v3")
        served = len(hub.requests)
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert all(torch.equal(loaded_v2[k], other.state_dict()[k]) for k in state)
    hub_env.setenv("HF_HUB_OFFLINE", "1")  # the server is gone: both revisions come from the cache
    assert all(torch.equal(get_lm_model("org/tiny-bert").state_dict()[k], state[k]) for k in state)
    assert all(torch.equal(get_lm_model("org/tiny-bert", revision="v2").state_dict()[k], loaded_v2[k]) for k in state)
    assert len(hub.requests) == served
