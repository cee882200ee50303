"""The ``.nemo`` archive: a tar holding ``model_config.yaml``, ``model_weights.ckpt`` and artifact files.

Archives come from the internet, so reading one is safe by construction: every member is checked when the archive is
opened (no absolute paths, no ``..``, no links, no device or FIFO members), extraction never writes outside the
destination folder, weights are loaded only through ``torch.load(weights_only=True)`` (or safetensors) and the config
only through ``yaml.safe_load``. Nothing in an archive can run code.

Writing is atomic (temp file, fsync, ``os.replace``); temp files of a writer that was killed are removed by the next
write or open in that folder (see :func:`remove_stale_temp_files`). Writing streams the weights into the archive (through a temp file
when gzip-compressed) instead of holding a second in-memory copy, so peak memory stays close to the weights' size.
"""

from __future__ import annotations

import contextlib
import errno
import io
import lzma
import os
import re
import secrets
import shutil
import signal
import stat
import tarfile
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import torch

from nemo.core.mapped_weights import map_checkpoint

try:
    import fcntl
except ImportError:  # Windows: no flock, stale temp files go by age only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MODEL_CONFIG_YAML",
    "MODEL_WEIGHTS",
    "MODEL_WEIGHTS_SAFETENSORS",
    "ArchiveError",
    "NemoArchive",
    "remove_stale_temp_files",
    "write_archive",
]

MODEL_CONFIG_YAML = "model_config.yaml"
MODEL_WEIGHTS = "model_weights.ckpt"
MODEL_WEIGHTS_SAFETENSORS = "model_weights.safetensors"

PathLike = Union[str, os.PathLike]

_COPY_BUFSIZE = 1 << 20
_GZIP_LEVEL = 6  # weights barely compress; level 9 costs much time for ~1% size
_TAR_BLOCK = 512
_ZIP_MAGIC = b"PK\x03\x04"
_COMPRESSION_MAGIC = ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
_OPEN_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class ArchiveError(ValueError):
    """A ``.nemo`` archive is unreadable, truncated, incomplete or holds a member refused for safety."""


# ----------------------------------------------------------------------------------------------------------- names
def _unsafe_name_reason(raw: str) -> Optional[str]:
    """Why the member name ``raw`` could escape an extraction folder, or None when it is a safe relative path."""
    if "\x00" in raw:
        return "its name contains a NUL byte"
    if raw.startswith("/") or PureWindowsPath(raw).drive or raw.startswith("\\"):
        return "it is an absolute path"
    if "\\" in raw:
        return "its name contains a backslash (a path separator on Windows)"
    if ".." in raw.split("/"):
        return "it has a '..' component that would escape the extraction folder"
    return None


def _normalize_name(raw: str) -> str:
    """``'./a/./b/'`` -> ``'a/b'``; the archive root (``'.'``, ``'./'``) becomes ``''``."""
    return "/".join(part for part in raw.split("/") if part not in ("", "."))


def _sniff_compression(head: bytes) -> str:
    """'' for a plain tar (its header says 'ustar' at byte 257), else the stream compression its magic names."""
    if head[257:262] == b"ustar":
        return ""
    return next((kind for magic, kind in _COMPRESSION_MAGIC if head.startswith(magic)), "")


_TAR_KINDS = {
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO (named pipe)",
}


def _tar_kind(member: tarfile.TarInfo) -> str:
    """What a member that is neither a regular file nor a directory is, for error messages."""
    kind = _TAR_KINDS.get(member.type, f"member of unsupported tar type {member.type!r}")
    return f"{kind} (to {member.linkname!r})" if member.issym() or member.islnk() else kind


def _stat_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return kind
    return "special file"


# ------------------------------------------------------------------------------------------------------- reading
class _MemberView(io.RawIOBase):
    """Seekable read-only window onto one member of an uncompressed tar, so ``torch.load`` reads in place."""

    def __init__(self, raw: BinaryIO, lock: threading.RLock, start: int, size: int) -> None:
        super().__init__()
        self._raw, self._lock, self._start, self._size, self._pos = raw, lock, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._size - self._pos)
        done = 0
        while done < wanted:
            got = self._read_at(view[done:wanted], self._start + self._pos + done)
            if got == 0:
                raise EOFError(f"tar member data ends early, at byte {self._pos + done} of {self._size}")
            done += got
        self._pos += done
        return done

    def _read_at(self, view: memoryview, offset: int) -> int:
        if hasattr(os, "preadv"):
            return os.preadv(self._raw.fileno(), [view], offset)
        with self._lock:
            self._raw.seek(offset)
            return self._raw.readinto(view)


class NemoArchive:
    """Read access to a ``.nemo`` file (plain or compressed tar, NeMo-written or ours) or an unpacked folder.

    Every member is validated when the archive is opened, so later reads and extractions only see safe members.
    Use it as a context manager (or call :meth:`close`) to release the open file.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self._raw: Optional[BinaryIO] = None
        self._tar: Optional[tarfile.TarFile] = None
        self._compression = ""
        self._lock = threading.RLock()
        self._members: Dict[str, Union[tarfile.TarInfo, Path]] = {}
        if not self.path.exists():
            raise FileNotFoundError(errno.ENOENT, f"NeMo archive not found: {self.path}", str(self.path))
        self.is_directory = self.path.is_dir()
        if not self.is_directory:
            remove_stale_temp_files(self.path.absolute().parent)  # left by a killed save_to beside this file
        if self.is_directory:
            self._scan_directory()
        elif not self.path.is_file():  # a FIFO or device would block or stream forever
            raise self._error(
                f"expected a .nemo file or an unpacked folder, found a {_stat_kind(self.path.stat().st_mode)}"
            )
        else:
            self._open_tar()

    # -- context management
    def __enter__(self) -> NemoArchive:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def close(self) -> None:
        """Release the open archive file; further reads fail."""
        if self._tar is not None:
            self._tar.close()
            self._tar = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def __repr__(self) -> str:
        form = "directory" if self.is_directory else f"tar{':' + self._compression if self._compression else ''}"
        return f"NemoArchive({str(self.path)!r}, {form}, {len(self._members)} files)"

    # -- opening and validation
    def _error(self, message: str) -> ArchiveError:
        return ArchiveError(f"{self.path}: {message}")

    def _open_tar(self) -> None:
        raw = open(self.path, "rb")  # noqa: SIM115 - kept open for the archive's lifetime
        try:
            head = raw.read(_TAR_BLOCK)
            if not head:
                raise self._error("the file is empty (0 bytes); expected a .nemo archive (a tar file)")
            self._compression = _sniff_compression(head)
            raw.seek(0)
            try:
                tar = tarfile.open(fileobj=raw, mode=f"r:{self._compression}")
                members = tar.getmembers()
                self._check_end_marker(tar)
            except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
                raise self._error(self._unreadable_reason(head, exc)) from exc
            self._raw, self._tar = raw, tar
            for member in members:
                self._admit_tar_member(member)
            if not self._members:
                raise self._error("the archive holds no files; expected model_config.yaml and model_weights.ckpt")
        except BaseException:
            self.close()
            raw.close()
            raise

    def _unreadable_reason(self, head: bytes, exc: BaseException) -> str:
        if head.startswith(_ZIP_MAGIC):
            found = "a zip file (such as a checkpoint written by torch.save)"
        elif self._compression:
            found = f"a {self._compression}-compressed file that is truncated or corrupt ({exc})"
        else:
            found = f"bytes that do not form a complete tar archive (truncated or corrupt: {exc})"
        return f"not a readable .nemo archive: expected a tar file (plain or gzip), found {found}"

    def _check_end_marker(self, tar: tarfile.TarFile) -> None:
        """tarfile stops silently at a truncated header; a complete archive ends with a zero block (and, when
        compressed, an intact stream trailer)."""
        fileobj = tar.fileobj
        fileobj.seek(tar.offset)
        tail = fileobj.read(_TAR_BLOCK)
        if len(tail) < _TAR_BLOCK or tail.count(0) != _TAR_BLOCK:
            raise tarfile.ReadError(f"the archive is truncated: no end-of-archive block at byte {tar.offset}")
        if self._compression:  # read to the end of the stream so its trailer (length, CRC) is verified
            while fileobj.read(_COPY_BUFSIZE):
                pass

    def _admit_tar_member(self, member: tarfile.TarInfo) -> None:
        reason = _unsafe_name_reason(member.name)
        if reason is None and not (member.isreg() or member.isdir()):
            reason = f"it is a {_tar_kind(member)}"
        name = _normalize_name(member.name)
        if reason is None and not name and not member.isdir():
            reason = "a file member has an empty name"
        if reason is None and hasattr(tarfile, "data_filter"):
            try:  # the stdlib's own policy, as a second line of defence
                tarfile.data_filter(member, "/nemo-archive-root")
            except tarfile.FilterError as exc:
                reason = str(exc)
        if reason is not None:
            raise self._error(
                f"refusing unsafe member {member.name!r}: {reason}; "
                "expected only regular files and directories with relative paths"
            )
        if member.isdir():
            return
        if name in self._members:
            raise self._error(f"member {name!r} appears more than once; expected unique member names")
        self._members[name] = member

    def _scan_directory(self) -> None:
        for root, dirs, files in os.walk(self.path):
            for entry in sorted(dirs) + sorted(files):
                full = Path(root, entry)
                mode = os.lstat(full).st_mode
                rel = full.relative_to(self.path).as_posix()
                if stat.S_ISDIR(mode):
                    continue
                if not stat.S_ISREG(mode):
                    raise self._error(
                        f"refusing unsafe member {rel!r}: it is a {_stat_kind(mode)}; "
                        "expected only regular files and directories"
                    )
                self._members[rel] = full
        self._members = dict(sorted(self._members.items()))

    # -- queries
    def names(self) -> List[str]:
        """Normalized names (no ``./`` prefix) of the files in the archive, in archive order."""
        return list(self._members)

    def artifact_names(self) -> List[str]:
        """Files other than the config and the weights: tokenizers, vocabularies and other registered artifacts."""
        weights = (MODEL_WEIGHTS, MODEL_WEIGHTS_SAFETENSORS)
        return [n for n in self._members if n != MODEL_CONFIG_YAML and PurePosixPath(n).name not in weights]

    def _lookup(self, name: str) -> str:
        key = _normalize_name(name)
        if key not in self._members:
            listing = ", ".join(self._members) or "no files"
            raise self._error(f"no member {name!r}; expected one of: {listing}")
        return key

    @contextlib.contextmanager
    def open_member(self, name: str) -> Iterator[BinaryIO]:
        """Yield a binary file object reading member ``name`` without extracting anything to disk."""
        entry = self._members[self._lookup(name)]
        if isinstance(entry, Path):
            with open(entry, "rb") as handle:
                yield handle
            return
        if self._tar is None or self._raw is None:
            raise self._error("the archive is closed")
        if not self._compression:
            with _MemberView(self._raw, self._lock, entry.offset_data, entry.size) as view:
                yield view  # type: ignore[misc]
            return
        with self._lock:  # a compressed stream has one shared read position
            handle = self._tar.extractfile(entry)
            if handle is None:
                raise self._error(f"member {name!r} has no data")
            with handle:
                yield handle  # type: ignore[misc]

    def read_bytes(self, name: str) -> bytes:
        """The whole content of member ``name`` (meant for small members such as the config)."""
        try:
            with self.open_member(name) as handle:
                return handle.read()
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise self._error(f"member {name!r} could not be read: {exc}") from exc

    def read_config(self) -> str:
        """Text of ``model_config.yaml``."""
        if MODEL_CONFIG_YAML not in self._members:
            raise self._error(f"no {MODEL_CONFIG_YAML} member; found: {', '.join(self._members)}")
        data = self.read_bytes(MODEL_CONFIG_YAML)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._error(f"{MODEL_CONFIG_YAML} is not UTF-8 text ({exc})") from exc

    def load_config(self) -> Dict[str, Any]:
        """``model_config.yaml`` parsed with ``yaml.safe_load`` (Python tags are refused, never constructed)."""
        import yaml

        text = self.read_config()
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise self._error(
                f"{MODEL_CONFIG_YAML} is not plain YAML{line}: {problem} "
                "(only plain data is accepted; Python object tags are refused)"
            ) from exc
        if not isinstance(config, dict):
            found = "an empty document" if config is None else f"a {type(config).__name__}"
            raise self._error(f"{MODEL_CONFIG_YAML} must hold a mapping of config keys, found {found}")
        return config

    def _weights_name(self) -> str:
        for name in (MODEL_WEIGHTS, MODEL_WEIGHTS_SAFETENSORS):
            if name in self._members:
                return name
        raise self._error(
            f"no weights member: expected {MODEL_WEIGHTS} or {MODEL_WEIGHTS_SAFETENSORS}, found: {', '.join(self._members)}"
        )

    @contextlib.contextmanager
    def _seekable_member(self, name: str) -> Iterator[Union[Path, BinaryIO]]:
        """A path or seekable file for ``name``; compressed members are streamed to a temp file first."""
        entry = self._members[name]
        if isinstance(entry, Path):
            yield entry
            return
        if not self._compression:
            with self.open_member(name) as view:
                yield view
            return
        with tempfile.TemporaryDirectory(prefix="nemo-weights-") as tmp:
            spooled = Path(tmp, PurePosixPath(name).name)
            with self.open_member(name) as src, open(spooled, "wb") as dst:
                shutil.copyfileobj(src, dst, _COPY_BUFSIZE)
            yield spooled

    def load_state_dict(
        self, map_location: Any = "cpu", *, name: Optional[str] = None, mmap: bool = False
    ) -> Dict[str, torch.Tensor]:
        """Load the weights (``model_weights.ckpt``, else ``model_weights.safetensors``) without running any code.

        ``name`` selects another weights member, e.g. ``mp_rank_00/model_weights.ckpt``. ``mmap=True`` (CPU only)
        maps the tensors of a ``.ckpt`` from the archive file instead of reading them (``nemo.core.mapped_weights``):
        no copy is made and pages are read when first used. Members of gzip-compressed archives, safetensors and
        checkpoints that cannot be mapped are read as usual.
        """
        key = self._lookup(name) if name is not None else self._weights_name()
        on_cpu = map_location is None or str(map_location) == "cpu"
        try:
            state = self._mapped_state_dict(key) if mmap and on_cpu else None
            if state is None:
                with self._seekable_member(key) as source:
                    if key.endswith(".safetensors"):
                        state = _load_safetensors(source, map_location)
                    else:
                        state = torch.load(source, map_location=map_location, weights_only=True)
        except ArchiveError:
            raise
        except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ... for bad files
            raise self._error(
                f"member {key!r} could not be loaded as a plain state dict: {_short_reason(exc)} "
                "(weights are read with torch.load(weights_only=True): only tensors and plain containers are "
                "accepted, pickled code is refused)"
            ) from exc
        if not isinstance(state, Mapping) or not all(isinstance(k, str) for k in state):
            found = type(state).__name__ if not isinstance(state, Mapping) else "a mapping with non-string keys"
            raise self._error(f"member {key!r} must hold a state dict (parameter names to tensors), found {found}")
        return state if isinstance(state, dict) else dict(state)

    def _mapped_state_dict(self, key: str) -> Any:
        """The ``.ckpt`` member ``key`` with its tensors mapped from the file, or None where it cannot be mapped."""
        if key.endswith(".safetensors") or self._compression:
            return None
        entry = self._members[key]
        try:
            if isinstance(entry, Path):
                with open(entry, "rb") as handle:
                    return map_checkpoint(entry, 0, handle)
            with self.open_member(key) as view:
                return map_checkpoint(self.path, entry.offset_data, view)
        except Exception:  # noqa: BLE001 - a file system without mmap, a bad checkpoint: the ordinary load decides
            return None

    def extract(self, names: Iterable[str], dest_dir: PathLike) -> Dict[str, Path]:
        """Copy the members ``names`` under ``dest_dir`` (created if needed); returns name -> extracted path.

        Nothing is written outside ``dest_dir``: symlinks already inside it are never written through.
        """
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        extracted: Dict[str, Path] = {}
        for requested in names:
            key = self._lookup(requested)
            target = root.joinpath(*key.split("/"))
            entry = self._members[key]
            if isinstance(entry, tarfile.TarInfo) and hasattr(tarfile, "data_filter"):
                try:
                    tarfile.data_filter(entry, str(root))
                except tarfile.FilterError as exc:
                    raise self._error(f"refusing to extract member {key!r}: {exc}") from exc
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.parent.resolve().is_relative_to(root) or target.is_symlink():
                raise self._error(
                    f"refusing to extract member {key!r} to {target}: that path leads outside {root} "
                    "through a symbolic link already in the destination"
                )
            if isinstance(entry, Path) and target.exists() and os.path.samefile(entry, target):
                extracted[key] = target
                continue
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _OPEN_NOFOLLOW, 0o666)
            with os.fdopen(fd, "wb") as out:
                try:
                    with self.open_member(key) as src:
                        shutil.copyfileobj(src, out, _COPY_BUFSIZE)
                except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
                    raise self._error(f"member {key!r} could not be read: {exc}") from exc
            extracted[key] = target
        return extracted


def _short_reason(exc: BaseException) -> str:
    """The informative line of torch's long loader errors (the rest is generic advice)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "WeightsUnpickler error" in line:
            detail = line.split("WeightsUnpickler error:", 1)[-1].strip()
            if not detail and index + 1 < len(lines):
                detail = lines[index + 1]
            return f"{type(exc).__name__}: {detail}"
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _load_safetensors(source: Union[Path, BinaryIO], map_location: Any) -> Dict[str, torch.Tensor]:
    from safetensors.torch import load, load_file

    device = "cpu" if map_location is None else map_location
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"safetensors weights need map_location as a device or device string, got {device!r}")
    if isinstance(source, Path):
        return load_file(str(source), device=str(device))
    return {k: v.to(device) for k, v in load(source.read()).items()}


# ------------------------------------------------------------------------------------------------------- writing
def _plain_state_dict(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict[str, Any]:
    """Detached CPU tensors under string keys; CPU tensors are not copied. Keeps torch's ``_metadata``."""
    plain: OrderedDict[str, Any] = OrderedDict()
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"state dict keys must be strings, got {key!r} ({type(key).__name__})")
        plain[key] = value.detach().cpu() if isinstance(value, torch.Tensor) else value
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        plain._metadata = metadata  # type: ignore[attr-defined]
    return plain


def _check_artifacts(artifacts: Mapping[str, PathLike]) -> Dict[str, Path]:
    checked: Dict[str, Path] = {}
    for name, source in artifacts.items():
        reason = _unsafe_name_reason(name)
        key = _normalize_name(name)
        if reason is None and not key:
            reason = "the name is empty"
        if reason is None and key in (MODEL_CONFIG_YAML, MODEL_WEIGHTS, MODEL_WEIGHTS_SAFETENSORS, *checked):
            reason = "the name is already used by another member"
        if reason is not None:
            raise ValueError(f"artifact name {name!r} is not usable as a .nemo member: {reason}")
        path = Path(source)
        if not path.is_file():
            found = "a directory" if path.is_dir() else "nothing"
            raise FileNotFoundError(errno.ENOENT, f"artifact {name!r}: expected a file at {path}, found {found}")
        checked[key] = path
    return checked


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(f"./{name}")
    info.size, info.mtime, info.mode = size, int(time.time()), 0o644
    return info


def _add_member(tar: tarfile.TarFile, name: str, fileobj: BinaryIO, size: int) -> None:
    tar.addfile(_member_info(name, size), fileobj)


class _AppendOnly:
    """Hands ``torch.save`` nothing but ``write``/``flush``, so it appends at the archive's current position."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def write(self, data: Any) -> int:
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


def _stream_weights_member(tar: tarfile.TarFile, raw: BinaryIO, state: Mapping[str, Any]) -> None:
    """Uncompressed tars: ``torch.save`` streams straight into the archive; the header, whose size field is only
    known afterwards, is written in place at the end (GNU format keeps it one block for any size)."""
    start = tar.offset
    if raw.tell() != start:
        raise RuntimeError(f"tar offset {start} differs from the file position {raw.tell()}")
    raw.write(bytes(_TAR_BLOCK))
    torch.save(state, _AppendOnly(raw))
    size = raw.tell() - start - _TAR_BLOCK
    raw.write(bytes(-size % _TAR_BLOCK))
    end = raw.tell()
    header = _member_info(MODEL_WEIGHTS, size).tobuf(tarfile.GNU_FORMAT, tar.encoding, tar.errors)
    if len(header) != _TAR_BLOCK:
        raise RuntimeError(f"weights header takes {len(header)} bytes, expected {_TAR_BLOCK}")
    raw.seek(start)
    raw.write(header)
    raw.seek(end)
    tar.offset = end


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Temp files: ``.<target name>.nemo-<token>.tmp`` (the archive being written) and ``...<token>.weights.tmp``.
_TEMP_PATTERN = re.compile(r"^\.(?P<target>.+)\.nemo-(?P<token>[0-9a-f]{12})(?P<weights>\.weights)?\.tmp$")
_UNLOCKED_STALE_AGE_S = 24 * 3600  # where there are no file locks, a temp file untouched this long is abandoned
_RENAME_OPEN_FILES = os.name == "posix"  # Windows cannot rename a file that is still open


def _temp_paths(target: Path, token: str) -> Tuple[Path, Path]:
    """(temp archive, temp weights) of the write identified by ``token``."""
    stem = f".{target.name}.nemo-{token}"
    return target.with_name(f"{stem}.tmp"), target.with_name(f"{stem}.weights.tmp")


def _create_locked_temp(target: Path) -> Tuple[int, Path, Path]:
    """Create the temp archive and hold an exclusive ``flock`` on it until the write ends.

    The kernel drops the lock when the process dies, however it dies, so a temp file whose lock can be taken
    belongs to no running write. A sweeper may take the lock in the instant between creation and locking; it then
    unlinks the file before releasing it, which the writer sees (no links left) and answers with a fresh name.
    """
    for _ in range(100):
        tmp_archive, tmp_weights = _temp_paths(target, secrets.token_hex(6))
        fd = os.open(tmp_archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        if fcntl is None:
            return fd, tmp_archive, tmp_weights
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks only while a sweeper removes it
        except OSError:  # a filesystem without locks: sweepers fall back to the file's age
            return fd, tmp_archive, tmp_weights
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp_archive, tmp_weights
        os.close(fd)
    raise RuntimeError(f"could not create a temp file beside {target}: each one was removed as soon as created")


def _is_abandoned(fd: int) -> bool:
    """Whether nobody writes the temp file open at ``fd``; leaves it locked (by this process) when True."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False  # a running write holds it
        except OSError:
            pass  # no locks on this filesystem
    return time.time() - os.fstat(fd).st_mtime > _UNLOCKED_STALE_AGE_S


def remove_stale_temp_files(directory: PathLike) -> List[Path]:
    """Remove the temp files that killed :func:`write_archive` calls left in ``directory``; returns them.

    Only files named like ours are considered, and of those only the ones no running write holds (see
    :func:`_create_locked_temp`): PIDs in names would be reused, or belong to another host or container sharing
    the folder, while the lock is released by the kernel itself. Errors (a read-only or vanished folder, files of
    another user) leave files in place: cleaning up must never make a save or restore fail.
    """
    folder = Path(directory)
    removed: List[Path] = []
    try:
        if not os.access(folder, os.W_OK):
            return removed
        found = [(entry.name, _TEMP_PATTERN.match(entry.name)) for entry in os.scandir(folder)]
    except OSError:
        return removed
    matches = [match for _, match in found if match is not None]
    for match in sorted(matches, key=lambda m: bool(m["weights"])):  # archives first, then orphaned weights
        target = folder / match["target"]
        tmp_archive, tmp_weights = _temp_paths(target, match["token"])
        try:
            if match["weights"]:
                # The writer creates its temp archive first and removes it last, so weights without one are orphans.
                if not tmp_archive.exists() and tmp_weights.exists():
                    tmp_weights.unlink()
                    removed.append(tmp_weights)
                continue
            fd = os.open(tmp_archive, os.O_RDONLY | _OPEN_NOFOLLOW)
        except OSError:
            continue
        try:
            if _is_abandoned(fd) and os.path.samestat(os.fstat(fd), os.lstat(tmp_archive)):
                for path in (tmp_weights, tmp_archive):  # unlinked while locked: see _create_locked_temp
                    if path.exists():
                        path.unlink()
                        removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


class _Terminated(SystemExit):
    """SIGTERM received while writing; if it ever escapes, the process exits as a terminated one would (143)."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Let SIGTERM remove the temp files before the process dies of it.

    SIGTERM's default action ends the process on the spot, so no ``finally`` runs. While the archive is written,
    and only when nothing else handles SIGTERM (main thread, default disposition), it raises instead; once the
    write has unwound, the default action is restored and the signal raised again, so the process still dies of
    SIGTERM. A handler installed by someone else (Lightning's, a cluster's) is left alone: it decides, and a
    temp file it leaves is removed by the next write or open in that folder.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not (
        signal.SIG_DFL
    ):
        yield
        return
    received = False

    def unwind(signum: int, frame: Any) -> None:
        nonlocal received
        if not received:
            received = True
            raise _Terminated(128 + signum)

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if received:
            signal.raise_signal(signal.SIGTERM)


def write_archive(
    path: PathLike,
    *,
    config_yaml: str,
    state_dict: Mapping[str, torch.Tensor],
    artifacts: Mapping[str, PathLike] = {},  # noqa: B006 - read only
    compress: bool = False,
) -> None:
    """Write a NeMo-compatible ``.nemo`` at ``path``: config, weights (``torch.save`` of CPU tensors), artifacts.

    The tar is uncompressed unless ``compress`` (gzip). The file appears atomically: a crash part-way leaves any
    previous archive at ``path`` untouched; an exception or SIGTERM removes the temp files on the way out, and
    those of a killed write are removed by the next write or open in that folder.
    """
    target = Path(path).absolute()
    checked = _check_artifacts(artifacts)
    state = _plain_state_dict(state_dict)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent)
    config_bytes = config_yaml.encode("utf-8")
    with _sigterm_unwinds():
        fd, tmp_archive, tmp_weights = _create_locked_temp(target)
        try:
            with os.fdopen(fd, "wb") as raw:
                if compress:  # a gzip stream cannot be patched afterwards: the weights go through a temp file
                    torch.save(state, tmp_weights)
                options: Dict[str, Any] = {"compresslevel": _GZIP_LEVEL} if compress else {}
                mode = "w:gz" if compress else "w"
                with tarfile.open(fileobj=raw, mode=mode, copybufsize=_COPY_BUFSIZE, **options) as tar:
                    _add_member(tar, MODEL_CONFIG_YAML, io.BytesIO(config_bytes), len(config_bytes))
                    if compress:
                        with open(tmp_weights, "rb") as weights:
                            _add_member(tar, MODEL_WEIGHTS, weights, os.fstat(weights.fileno()).st_size)
                        tmp_weights.unlink()
                    else:
                        _stream_weights_member(tar, raw, state)
                    for name, source in checked.items():
                        with open(source, "rb") as handle:
                            _add_member(tar, name, handle, os.fstat(handle.fileno()).st_size)
                raw.flush()
                os.fsync(raw.fileno())
                if _RENAME_OPEN_FILES:  # renamed while still locked, so no sweeper can take it first
                    os.replace(tmp_archive, target)
            if not _RENAME_OPEN_FILES:
                os.replace(tmp_archive, target)
            _fsync_directory(target.parent)
        except BaseException:
            tmp_archive.unlink(missing_ok=True)
            raise
        finally:
            tmp_weights.unlink(missing_ok=True)
