"""The pretrained-model download cache, against a loopback HTTP server started by the tests."""

import hashlib
import http.server
import threading
import urllib.request
from pathlib import Path

import pytest

from nemo.core import pretrained_cache
from nemo.core.pretrained_cache import ChecksumError, DownloadError, cache_path, resolve_location

PAYLOAD = bytes(range(256)) * 400  # 100 KiB, several read chunks
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = {"/models/model.nemo": PAYLOAD}
        self.requests = []  # (path, Range header) of each request
        self.plan = []  # behaviours for the next requests: "truncate", "500", "ignore_range"

    def url(self, path: str = "/models/model.nemo") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        behaviour = server.plan.pop(0) if server.plan else None
        data = server.files.get(self.path)
        if behaviour == "500":
            self.send_error(500, "Internal Server Error")
            return
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        requested = self.headers.get("Range")
        if requested and behaviour != "ignore_range":
            start = int(requested.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if behaviour == "truncate":  # promise the whole body, send a third, drop the connection
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    for name in pretrained_cache.OFFLINE_ENVS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(pretrained_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(pretrained_cache, "_RETRY_DELAY_S", 0.0)
    return tmp_path / "cache"


def test_download_is_cached_by_url(server, isolated_cache):
    path = resolve_location(server.url())
    assert path.read_bytes() == PAYLOAD
    assert path.name == "model.nemo" and path.parent.parent == isolated_cache
    assert path == cache_path(server.url())
    assert resolve_location(server.url()) == path
    assert len(server.requests) == 1  # the second call is served from the cache
    assert not path.with_name("model.nemo.part").exists()
    other = cache_path(server.url("/other/model.nemo"))
    assert other.name == "model.nemo" and other.parent != path.parent  # same basename, different URL


def test_cache_dir_argument_and_default(server, tmp_path, monkeypatch):
    path = resolve_location(server.url(), cache_dir=tmp_path / "elsewhere")
    assert path.parent.parent == tmp_path / "elsewhere"
    monkeypatch.delenv(pretrained_cache.CACHE_DIR_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert pretrained_cache.default_cache_dir() == tmp_path / "home" / ".cache" / "nemo"


def test_resume_from_existing_part_file(server, isolated_cache):
    part = cache_path(server.url()).with_name("model.nemo.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:40000])
    path = resolve_location(server.url(), sha256=SHA)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/models/model.nemo", "bytes=40000-")]


def test_interrupted_transfer_is_retried_and_resumed(server):
    server.plan = ["truncate"]
    path = resolve_location(server.url(), sha256=SHA)
    assert path.read_bytes() == PAYLOAD
    first, second = server.requests
    assert first[1] is None and second[1] is not None and int(second[1][6:-1]) > 0


def test_server_ignoring_range_restarts_the_file(server):
    part = cache_path(server.url()).with_name("model.nemo.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"junk" * 100)
    server.plan = ["ignore_range"]
    assert resolve_location(server.url()).read_bytes() == PAYLOAD


def test_complete_part_file_is_finished_without_body(server):
    part = cache_path(server.url()).with_name("model.nemo.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD)
    assert resolve_location(server.url()).read_bytes() == PAYLOAD
    assert server.requests == [("/models/model.nemo", f"bytes={len(PAYLOAD)}-")]


def test_checksum_mismatch_removes_the_file(server):
    wrong = "0" * 64
    with pytest.raises(ChecksumError, match=f"{server.url()} but its sha256 is {SHA}, expected {wrong}"):
        resolve_location(server.url(), sha256=wrong)
    dest = cache_path(server.url())
    assert not dest.exists() and not dest.with_name("model.nemo.part").exists()
    with pytest.raises(ValueError, match="64 hexadecimal"):
        resolve_location(server.url(), sha256="abc")


def test_cached_file_with_wrong_checksum_is_downloaded_again(server):
    dest = cache_path(server.url())
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"stale")
    assert resolve_location(server.url(), sha256=SHA).read_bytes() == PAYLOAD
    assert len(server.requests) == 1
    assert resolve_location(server.url(), sha256=SHA) == dest  # verified via the recorded digest
    assert len(server.requests) == 1


def test_refresh_downloads_again(server):
    first = resolve_location(server.url())
    server.files["/models/model.nemo"] = b"new weights"
    assert resolve_location(server.url()).read_bytes() == PAYLOAD
    assert resolve_location(server.url(), refresh=True) == first
    assert first.read_bytes() == b"new weights"
    assert len(server.requests) == 2


@pytest.mark.parametrize("variable", ["NEMO_OFFLINE", "HF_HUB_OFFLINE"])
def test_offline_mode_never_touches_the_network(server, monkeypatch, variable):
    resolve_location(server.url())
    server.requests.clear()
    monkeypatch.setenv(variable, "1")

    def no_network(*args, **kwargs):
        raise AssertionError("offline mode opened a connection")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert resolve_location(server.url(), refresh=True, sha256=SHA).read_bytes() == PAYLOAD
    with pytest.raises(FileNotFoundError, match=rf"/missing.nemo is not in the NeMo cache .*disabled by {variable}=1"):
        resolve_location(server.url("/missing.nemo"))
    assert server.requests == []


def test_http_404_fails_fast_with_url(server):
    url = server.url("/nope/absent.nemo")
    with pytest.raises(DownloadError, match=rf"could not download {url}: HTTP 404 Not Found"):
        resolve_location(url)
    assert len(server.requests) == 1  # a client error is not retried
    assert not cache_path(url).exists()


def test_server_errors_are_retried_then_reported(server):
    server.plan = ["500", "500", "500"]
    with pytest.raises(DownloadError, match=rf"could not download {server.url()} after 3 attempts: HTTP 500"):
        resolve_location(server.url())
    assert len(server.requests) == 3
    server.plan = ["500"]
    assert resolve_location(server.url()).read_bytes() == PAYLOAD  # a transient error is survived


def test_unreachable_host_error_names_url(isolated_cache):
    url = "http://127.0.0.1:9/model.nemo"  # the discard port: nothing listens there
    with pytest.raises(DownloadError, match=r"could not download http://127.0.0.1:9/model.nemo after 3 attempts"):
        resolve_location(url)


def test_credentials_are_not_shown_in_errors(server):
    url = server.url("/absent.nemo").replace("http://", "http://user:secret@")
    with pytest.raises(DownloadError) as caught:
        resolve_location(url)
    assert "secret" not in str(caught.value) and "/absent.nemo" in str(caught.value)


def test_local_paths_and_file_urls(tmp_path, server):
    local = tmp_path / "local model.nemo"
    local.write_bytes(PAYLOAD)
    assert resolve_location(local) == local
    assert resolve_location(str(local), sha256=SHA) == local
    assert resolve_location(local.as_uri()) == local
    with pytest.raises(ChecksumError, match="expected " + "f" * 64):
        resolve_location(local, sha256="f" * 64)
    assert local.exists()  # a user's own file is never deleted
    with pytest.raises(FileNotFoundError, match="pretrained model file not found: .*absent.nemo"):
        resolve_location(tmp_path / "absent.nemo")
    with pytest.raises(FileNotFoundError, match="absent.nemo"):
        resolve_location((tmp_path / "absent.nemo").as_uri())
    with pytest.raises(ValueError, match="unsupported location 's3://bucket/m.nemo'"):
        resolve_location("s3://bucket/m.nemo")
    with pytest.raises(ValueError, match="names host 'example.com'"):
        resolve_location("file://example.com/m.nemo")
    assert server.requests == []
    assert not Path(pretrained_cache.default_cache_dir()).exists()
