import pytest

from nemo.collections.common.hf_hub import HubDownloadError, hub_offline, pretrained_model_dir
from nemo.core.testing.hub_server import LoopbackHub

REPO = {"config.json": b"{}", "pytorch_model.bin": b"weights", "README.md": b"skipped"}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path / "nemo"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return tmp_path


def test_local_directories_come_first_and_need_no_hub(cache, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: no request may be made
    (cache / "nemo" / "org" / "m").mkdir(parents=True)
    (cache / "nemo" / "org" / "m" / "config.json").write_text("{}")
    assert pretrained_model_dir("org/m", ["*"], ["config.json"]) == cache / "nemo" / "org" / "m"
    assert pretrained_model_dir(str(cache / "nemo" / "org" / "m"), ["*"], ["x", "config.json"]).name == "m"
    with pytest.raises(HubDownloadError, match="model directory has no a.json or b.json"):
        pretrained_model_dir(str(cache / "nemo"), ["*"], ["a.json", "b.json"])


def test_hub_snapshot_alternatives_and_offline(cache, monkeypatch):
    with LoopbackHub({"org/m": {"main": REPO}}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        directory = pretrained_model_dir(
            "org/m", ["config.json"], ["config.json"], alternatives=["model.safetensors", "pytorch_model.bin"]
        )
        assert sorted(p.name for p in directory.iterdir()) == ["config.json", "pytorch_model.bin"]
        with pytest.raises(HubDownloadError, match="'org/m'@main: the repository has no tokenizer.json"):
            pretrained_model_dir("org/m", ["config.json"], ["tokenizer.json"])
        with pytest.raises(HubDownloadError, match=r"'org/x'@main \(config.json\): no such repository at http"):
            pretrained_model_dir("org/x", ["config.json"], ["config.json"])
    for value, offline in (("1", True), ("yes", True), ("0", False)):
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        assert hub_offline() is offline
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert pretrained_model_dir("org/m", ["config.json"], ["config.json"]) == directory
    with pytest.raises(HubDownloadError, match=r"'org/m'@v2 .*not in the Hub cache .*HF_HUB_OFFLINE is set"):
        pretrained_model_dir("org/m", ["config.json"], ["config.json"], revision="v2")
