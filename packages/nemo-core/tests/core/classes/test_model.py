"""``Model.from_pretrained`` wiring (name/alias lookup, download cache, restore) and ``PretrainedModelInfo``."""

import hashlib
import http.server
import threading
from functools import partial

import pytest
import torch

from nemo.core import pretrained_cache
from nemo.core.archive import NemoArchive, write_archive
from nemo.core.classes.model import Model, PretrainedModelInfo
from nemo.utils.model_utils import resolve_subclass_pretrained_model_info


class RecordingModel(Model):
    """A model whose restore_from records its arguments and reads the archive it was given."""

    models = []
    calls = []

    @classmethod
    def list_available_models(cls):
        return cls.models

    @classmethod
    def restore_from(cls, restore_path, override_config_path=None, map_location=None, strict=True, return_config=False):
        cls.calls.append(
            dict(
                cls=cls,
                restore_path=restore_path,
                override_config_path=override_config_path,
                map_location=map_location,
                strict=strict,
                return_config=return_config,
            )
        )
        with NemoArchive(restore_path) as archive:
            return archive.load_config() if return_config else archive.load_state_dict()


class OtherModel(RecordingModel):
    pass


@pytest.fixture
def served_archive(tmp_path, monkeypatch):
    """A .nemo served by a loopback HTTP server; yields (url, sha256, request log)."""
    path = tmp_path / "site" / "tiny.nemo"
    write_archive(path, config_yaml="name: tiny\n", state_dict={"w": torch.arange(3.0)})
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(path.parent)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    for name in pretrained_cache.OFFLINE_ENVS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(pretrained_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    RecordingModel.calls.clear()
    yield (
        f"http://127.0.0.1:{server.server_address[1]}/tiny.nemo",
        hashlib.sha256(path.read_bytes()).hexdigest(),
        requests,
    )
    server.shutdown()
    server.server_close()
    RecordingModel.models = []


def test_from_pretrained_downloads_caches_and_restores(served_archive, tmp_path):
    url, sha, requests = served_archive
    RecordingModel.models = [PretrainedModelInfo("tiny_en", "a tiny model", url, aliases=["tiny"], sha256=sha)]
    state = RecordingModel.from_pretrained("tiny_en", map_location="cpu", strict=False)
    assert torch.equal(state["w"], torch.arange(3.0))
    call = RecordingModel.calls[-1]
    assert call["cls"] is RecordingModel and call["map_location"] == "cpu" and call["strict"] is False
    assert call["restore_path"] == str(pretrained_cache.cache_path(url))
    assert call["restore_path"].startswith(str(tmp_path / "cache"))

    config = RecordingModel.from_pretrained("tiny", return_config=True, override_config_path="override.yaml")
    assert config == {"name": "tiny"}
    assert RecordingModel.calls[-1]["override_config_path"] == "override.yaml"
    assert requests == ["/tiny.nemo"]  # the alias hit the cache

    RecordingModel.from_pretrained("tiny", refresh_cache=True)
    assert requests == ["/tiny.nemo", "/tiny.nemo"]


def test_from_pretrained_uses_class_of_the_entry(served_archive):
    url, _, _ = served_archive
    RecordingModel.models = [PretrainedModelInfo("other", "d", url, class_=OtherModel)]
    RecordingModel.from_pretrained("other")
    assert RecordingModel.calls[-1]["cls"] is OtherModel


def test_from_pretrained_checks_sha256(served_archive):
    url, _, _ = served_archive
    RecordingModel.models = [PretrainedModelInfo("tiny_en", "d", url, sha256="0" * 64)]
    with pytest.raises(pretrained_cache.ChecksumError, match="expected 0000"):
        RecordingModel.from_pretrained("tiny_en")
    assert RecordingModel.calls == []


def test_unknown_name_lists_available_models():
    RecordingModel.models = [
        PretrainedModelInfo("b_model", "d", "https://example.invalid/b.nemo", aliases=["bee"]),
        PretrainedModelInfo("a_model", "d", "https://example.invalid/a.nemo"),
    ]
    try:
        assert RecordingModel.get_available_model_names() == ["b_model", "a_model"]
        with pytest.raises(
            FileNotFoundError, match=r"Model nope was not found\. Check RecordingModel\.list_available_models"
        ):
            RecordingModel.from_pretrained("nope")
        with pytest.raises(FileNotFoundError, match="available: a_model, b_model"):
            RecordingModel.from_pretrained("nope")
    finally:
        RecordingModel.models = []
    assert RecordingModel.get_available_model_names() == []
    with pytest.raises(FileNotFoundError, match="available: none"):
        RecordingModel.from_pretrained("anything")


def test_model_is_abstract():
    class Incomplete(Model):
        pass

    with pytest.raises(TypeError, match="list_available_models"):
        Incomplete()


def test_pretrained_model_info_equality_hash_order_and_repr():
    a = PretrainedModelInfo("QuartzNet15x5Base-En", "ctc", "https://x/q.nemo")
    same_location = PretrainedModelInfo("other", "copy", "https://x/q.nemo")
    same_name = PretrainedModelInfo("QuartzNet15x5Base-En", "mirror", "https://mirror/q.nemo")
    b = PretrainedModelInfo("Jasper10x5Dr-En", "ctc", "https://x/j.nemo", class_=RecordingModel, aliases=["jasper"])
    assert a == same_location and a == same_name and a != b and a != "QuartzNet15x5Base-En"
    assert hash(a) == hash(same_location) == hash("https://x/q.nemo")
    assert len({a, same_location, b}) == 2
    assert sorted([a, b]) == [b, a] and b < a and a >= b
    assert a.sha256 is None and a.class_ is None and a.aliases is None
    text = repr(b)
    assert text.startswith("PretrainedModelInfo(\n\tpretrained_model_name=Jasper10x5Dr-En,\n\tdescription=ctc")
    assert "class_=" in text and "RecordingModel" in text and "aliases=['jasper']" in text and text.endswith("\n)")


def test_subclass_walk_fills_class_for_base_lookup():
    class Base(RecordingModel):
        @classmethod
        def list_available_models(cls):
            return resolve_subclass_pretrained_model_info(cls)

    class Child(Base):
        @classmethod
        def list_available_models(cls):
            return [PretrainedModelInfo("child_model", "d", "https://example.invalid/child.nemo")]

    infos = Base.list_available_models()
    assert [i.pretrained_model_name for i in infos] == ["child_model"] and infos[0].class_ is Child
