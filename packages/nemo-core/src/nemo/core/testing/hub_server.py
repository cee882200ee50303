"""``LoopbackHub``: a Hugging Face Hub on 127.0.0.1 serving in-memory model repositories, for offline tests.

It answers the few endpoints ``huggingface_hub``'s ``snapshot_download``/``hf_hub_download`` call (revision info, the
recursive file tree, ``HEAD``/``GET`` of ``resolve/<revision>/<file>`` with ``ETag`` and ``X-Repo-Commit``), so a
test points ``HF_ENDPOINT`` at it and exercises the real client: its cache, revisions, offline mode, its errors.
Files named in ``truncate`` are sent cut off after half their bytes (a connection dropped mid-download).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Collection, Dict, List, Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

__all__ = ["LoopbackHub", "RepoFiles"]

# repo id -> revision name (branch or tag) -> file name -> content
RepoFiles = Mapping[str, Mapping[str, Mapping[str, bytes]]]
_REPO = r"(?P<repo>[^/]+(?:/[^/]+)?)"
_ROUTES = (
    ("info", re.compile(rf"^/api/models/{_REPO}/revision/(?P<rev>[^/]+)$")),
    ("tree", re.compile(rf"^/api/models/{_REPO}/tree/(?P<rev>[^/]+)$")),
    ("file", re.compile(rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")),
)


def _commit_of(files: Mapping[str, bytes]) -> str:
    """A 40-hex commit id derived from the revision's content (stable across runs)."""
    digest = hashlib.sha1()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha1(files[name]).digest())
    return digest.hexdigest()


class LoopbackHub:
    """``with LoopbackHub({"bert-base-uncased": {"main": files}}) as hub: os.environ["HF_ENDPOINT"] = hub.endpoint``.

    ``requests`` records ``(method, path)`` of every request, so a test can prove an offline load made none.
    """

    def __init__(self, repos: RepoFiles, truncate: Collection[str] = ()) -> None:
        self.truncate = set(truncate)
        # (repo, revision name or commit id) -> (commit id, files)
        self._revisions: Dict[Tuple[str, str], Tuple[str, Mapping[str, bytes]]] = {}
        for repo, revisions in repos.items():
            for name, files in revisions.items():
                entry = (_commit_of(files), dict(files))
                self._revisions[(repo, name)] = entry
                self._revisions[(repo, entry[0])] = entry
        self.requests: List[Tuple[str, str]] = []
        self._server: Optional[ThreadingHTTPServer] = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("LoopbackHub is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def commit(self, repo: str, revision: str = "main") -> str:
        return self._revisions[(repo, revision)][0]

    def __enter__(self) -> LoopbackHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                hub._answer(self, body=False)

            def do_GET(self) -> None:
                hub._answer(self, body=True)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
                """Quiet: tests read ``hub.requests`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        self.requests.append((handler.command, path))
        for kind, pattern in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            entry = self._revisions.get((match["repo"], match["rev"]))
            if entry is None:
                known = any(repo == match["repo"] for repo, _ in self._revisions)
                code = "RevisionNotFound" if known else "RepoNotFound"
                return _send(handler, 404, json.dumps({"error": code}).encode(), {"X-Error-Code": code}, body)
            commit, files = entry
            if kind == "file":
                return self._send_file(handler, match["repo"], commit, files, match["file"], body)
            if kind == "info":
                info = {"id": match["repo"], "sha": commit, "siblings": [{"rfilename": f} for f in sorted(files)]}
                return _send(handler, 200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body)
            tree = [
                {"type": "file", "path": f, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                for f, data in sorted(files.items())
            ]
            return _send(handler, 200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body)
        return _send(handler, 404, b"not found", {}, body)

    def _send_file(
        self, handler: BaseHTTPRequestHandler, repo: str, commit: str, files: Mapping[str, bytes], name: str, body: bool
    ) -> None:
        if name not in files:
            return _send(handler, 404, b"entry not found", {"X-Error-Code": "EntryNotFound"}, body)
        data = files[name]
        headers = {"ETag": f'"{hashlib.sha1(data).hexdigest()}"', "X-Repo-Commit": commit}
        if body and name in self.truncate:  # announce the full size, send half, drop the connection
            handler.send_response(200)
            for key, value in {**headers, "Content-Length": str(len(data))}.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            handler.close_connection = True
            return None
        return _send(handler, 200, data, headers, body)


def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: Mapping[str, str], body: bool) -> None:
    handler.send_response(status)
    for key, value in {**headers, "Content-Length": str(len(data))}.items():
        handler.send_header(key, value)
    handler.end_headers()
    if body:
        handler.wfile.write(data)
