"""Local cache of pretrained ``.nemo`` files: :func:`resolve_location` turns a URL or a path into a local file.

Downloads are keyed by URL, not by library version, so upgrading NeMo reuses them. They land atomically (a ``.part``
file renamed when complete), resume after an interruption with an HTTP ``Range`` request, are checked against a
sha256 when the model card gives one, and can be forbidden with ``NEMO_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``) for
air-gapped jobs, which then use the cache without touching the network. Only the standard library's urllib is used.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import posixpath
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator, Optional, Union

from nemo.core.version import __version__
from nemo.utils import logging

__all__ = [
    "CACHE_DIR_ENV",
    "OFFLINE_ENVS",
    "DownloadError",
    "ChecksumError",
    "default_cache_dir",
    "cache_path",
    "offline_setting",
    "resolve_location",
]

CACHE_DIR_ENV = "NEMO_CACHE_DIR"
OFFLINE_ENVS = ("NEMO_OFFLINE", "HF_HUB_OFFLINE")

_ATTEMPTS = 3
_RETRY_DELAY_S = 1.0
_TIMEOUT_S = 60.0
_CHUNK = 1 << 20
_TRUTHY = {"1", "true", "yes", "on"}
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_PERMANENT_HTTP = set(range(400, 500)) - {408, 425, 429}  # client errors that retrying cannot fix

PathLike = Union[str, os.PathLike]


class DownloadError(ValueError):
    """A download failed for good. A ``ValueError``, like the failed download in NeMo v1's ``from_pretrained``."""


class ChecksumError(DownloadError):
    """A file's sha256 differs from the one its model card promised."""


def default_cache_dir() -> Path:
    """``$NEMO_CACHE_DIR``, else ``~/.cache/nemo``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "nemo"


def offline_setting() -> Optional[str]:
    """The ``NAME=value`` setting that forbids downloads, or None when downloads are allowed."""
    for name in OFFLINE_ENVS:
        value = os.environ.get(name, "")
        if value.strip().lower() in _TRUTHY:
            return f"{name}={value}"
    return None


def _redact(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def cache_path(url: str, cache_dir: Optional[PathLike] = None) -> Path:
    """Where ``url`` is cached: ``<cache_dir>/<sha256(url)[:16]>/<basename of the URL path>``."""
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    name = re.sub(r"[\\/\x00]", "_", name)
    if name in ("", ".", ".."):
        name = "download"
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser() / key / name


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _record_digest(path: Path, digest: str) -> None:
    info = path.stat()
    _sidecar(path).write_text(f"{digest} {info.st_size} {info.st_mtime_ns}\n")


def _cached_digest(path: Path) -> str:
    """sha256 of a cached file, from its sidecar record when the file is unchanged since it was hashed."""
    info = path.stat()
    with contextlib.suppress(OSError, ValueError):
        digest, size, mtime_ns = _sidecar(path).read_text().split()
        if int(size) == info.st_size and int(mtime_ns) == info.st_mtime_ns:
            return digest
    digest = _file_sha256(path)
    with contextlib.suppress(OSError):
        _record_digest(path, digest)
    return digest


def _check_expected(sha256: Optional[str]) -> Optional[str]:
    if sha256 is None:
        return None
    normalized = sha256.strip().lower()
    if not _SHA256_RE.fullmatch(normalized):
        raise ValueError(f"sha256 must be 64 hexadecimal characters, got {sha256!r}")
    return normalized


def resolve_location(
    location: PathLike,
    *,
    refresh: bool = False,
    sha256: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
) -> Path:
    """Return a local path for ``location``: an ``http(s)://`` URL (downloaded into the cache), a ``file://`` URL
    or a local path (returned as is once it exists).

    ``refresh`` downloads again even when cached; ``sha256`` is verified for downloads, cache hits and local files.
    """
    text = os.fspath(location)
    expected = _check_expected(sha256)
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return _resolve_url(text, refresh=refresh, expected=expected, cache_dir=cache_dir)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file:// URL {text!r} names host {parts.netloc!r}; expected a local file (no host)")
        path = Path(urllib.request.url2pathname(parts.path))
    elif len(scheme) > 1:  # one letter is a Windows drive, i.e. a local path
        raise ValueError(f"unsupported location {text!r}: expected an http(s):// or file:// URL or a local path")
    else:
        path = Path(text).expanduser()
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, f"pretrained model file not found: {path}", str(path))
    if expected is not None:
        actual = _file_sha256(path)
        if actual != expected:
            raise ChecksumError(f"{path} has sha256 {actual}, expected {expected}")
    return path


def _resolve_url(url: str, *, refresh: bool, expected: Optional[str], cache_dir: Optional[PathLike]) -> Path:
    dest = cache_path(url, cache_dir)
    shown = _redact(url)
    offline = offline_setting()
    if offline is not None:
        if not dest.is_file():
            raise FileNotFoundError(
                errno.ENOENT,
                f"{shown} is not in the NeMo cache (expected at {dest}) and downloads are disabled by {offline}; "
                f"unset {offline.split('=')[0]} to download it, or place the file there",
                str(dest),
            )
        if refresh:
            logging.warning(f"{offline} is set: using the cached {dest} for {shown} without refreshing it")
        if expected is not None and (actual := _cached_digest(dest)) != expected:
            raise ChecksumError(
                f"cached {dest} for {shown} has sha256 {actual}, expected {expected}; it cannot be downloaded "
                f"again because {offline} is set"
            )
        return dest

    dest.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(dest):  # several ranks may ask for the same model at once
        if dest.is_file() and not refresh:
            if expected is None or _cached_digest(dest) == expected:
                return dest
            logging.warning(f"cached {dest} does not have the expected sha256 {expected}; downloading {shown} again")
        _download(url, dest, expected=expected, fresh=refresh)
    return dest


@contextlib.contextmanager
def _exclusive(dest: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock
        yield
        return
    with open(dest.with_name(dest.name + ".lock"), "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _download(url: str, dest: Path, *, expected: Optional[str], fresh: bool) -> None:
    part = dest.with_name(dest.name + ".part")
    if fresh:
        part.unlink(missing_ok=True)
    shown = _redact(url)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            _fetch(url, part, dest.name)
            break
        except (OSError, http.client.HTTPException) as exc:  # URLError, 5xx, resets, timeouts, short reads
            if attempt == _ATTEMPTS:
                raise DownloadError(
                    f"could not download {shown} after {_ATTEMPTS} attempts: {_describe(exc)}"
                    + (f" (the partial file {part} is kept; the next try resumes it)" if part.exists() else "")
                ) from exc
            logging.warning(f"download of {shown} failed (attempt {attempt}/{_ATTEMPTS}): {_describe(exc)}; retrying")
            time.sleep(_RETRY_DELAY_S * attempt)
    actual = _file_sha256(part)
    if expected is not None and actual != expected:
        part.unlink()
        raise ChecksumError(f"downloaded {shown} but its sha256 is {actual}, expected {expected}; the file was removed")
    os.replace(part, dest)
    _record_digest(dest, actual)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{exc.reason}"
    return f"{type(exc).__name__}: {exc}"


def _content_range(header: Optional[str]) -> tuple[Optional[int], Optional[int]]:
    """(first byte, total length) of a ``Content-Range`` header; None where absent or ``*``."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", header or "")
    if match is None:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


def _fetch(url: str, part: Path, label: str) -> None:
    """Download ``url`` into ``part``, continuing an existing partial file when the server honours ``Range``."""
    from tqdm import tqdm

    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(
        url, headers={"User-Agent": f"nemo-core/{__version__}", "Accept-Encoding": "identity"}
    )
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        with exc:
            if exc.code == 416 and offset:
                if _content_range(exc.headers.get("Content-Range"))[1] == offset:
                    return  # the partial file already holds every byte
                part.unlink()  # stale partial file (the remote file changed): start over on the next attempt
            if exc.code in _PERMANENT_HTTP and exc.code != 416:
                raise DownloadError(f"could not download {_redact(url)}: HTTP {exc.code} {exc.reason}") from exc
            raise
    with response:
        resumed = offset and response.status == 206
        if resumed and _content_range(response.headers.get("Content-Range"))[0] != offset:
            raise http.client.HTTPException(f"server answered a Range request for byte {offset} with another range")
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        with (
            open(part, "ab" if resumed else "wb") as out,
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label) as bar,
        ):
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
    received = part.stat().st_size
    if total is not None and received != total:
        raise http.client.HTTPException(f"connection closed after {received} of {total} bytes")
