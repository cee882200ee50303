import json
import urllib.error
import urllib.request

import pytest

from nemo.core.testing.hub_server import LoopbackHub

FILES = {"config.json": b'{"model_type": "bert"}', "weights.bin": b"0123456789"}


def _open(url: str, method: str = "GET"):
    return urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10)


def test_the_endpoints_huggingface_hub_calls():
    with LoopbackHub({"org/tiny": {"main": FILES, "v2": {"config.json": b"{}"}}}) as hub:
        commit = hub.commit("org/tiny")
        info = json.load(_open(f"{hub.endpoint}/api/models/org/tiny/revision/main"))
        assert info["sha"] == commit and [s["rfilename"] for s in info["siblings"]] == sorted(FILES)
        tree = json.load(_open(f"{hub.endpoint}/api/models/org/tiny/tree/{commit}?recursive=True"))
        assert [(t["path"], t["size"]) for t in tree] == [("config.json", 22), ("weights.bin", 10)]
        head = _open(f"{hub.endpoint}/org/tiny/resolve/main/weights.bin", method="HEAD")
        assert head.headers["X-Repo-Commit"] == commit and head.headers["Content-Length"] == "10"
        assert head.headers["ETag"].startswith('"') and head.read() == b""
        assert _open(f"{hub.endpoint}/org/tiny/resolve/{commit}/weights.bin").read() == FILES["weights.bin"]
        assert hub.commit("org/tiny", "v2") != commit
        for path, code in (
            ("org/tiny/resolve/main/nope", "EntryNotFound"),
            ("org/tiny/resolve/v9/config.json", "RevisionNotFound"),
            ("api/models/org/other/revision/main", "RepoNotFound"),
        ):
            with pytest.raises(urllib.error.HTTPError) as error:
                _open(f"{hub.endpoint}/{path}")
            assert error.value.code == 404 and error.value.headers["X-Error-Code"] == code
        assert ("HEAD", "/org/tiny/resolve/main/weights.bin") in hub.requests


def test_truncated_files_are_cut_off_midway():
    with LoopbackHub({"tiny": {"main": FILES}}, truncate={"weights.bin"}) as hub:
        response = _open(f"{hub.endpoint}/tiny/resolve/main/weights.bin")
        assert response.headers["Content-Length"] == "10"
        with pytest.raises(Exception, match="IncompleteRead|incomplete"):
            response.read()
    with pytest.raises(RuntimeError, match="not running"):
        _ = hub.endpoint
