"""Artifacts of a model (tokenizers, vocabularies, ...) and where their files come from while and after restoring.

A model registers each artifact under a config path. A local file is packed into the ``.nemo`` as
``<content hash>_<basename>`` and referenced from the saved config as ``nemo:<that name>``. When a model is restored,
only the artifacts it asks for are extracted, lazily, into a temp folder owned by an :class:`ArtifactStore` that the
model keeps; the store remembers the archive, so the files can be extracted again if the temp folder disappears, and
the folder is removed when the store (i.e. the model) is garbage collected.
"""

import contextlib
import hashlib
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

from nemo.core.archive import NemoArchive

__all__ = [
    "ArtifactPathType",
    "ArtifactItem",
    "ArtifactStore",
    "NEMO_PREFIX",
    "artifact_archive_name",
    "current_artifact_store",
    "is_model_being_restored",
    "model_restore_state",
]

NEMO_PREFIX = "nemo:"
_HASH_HEX_CHARS = 32  # as long as the uuid hex NeMo v1 used, so names look alike
_CHUNK = 1 << 20


class ArtifactPathType(Enum):
    """Whether an artifact is a file on this machine or a member of the ``.nemo`` the model was restored from."""

    LOCAL_PATH = 0
    TAR_PATH = 1


@dataclass
class ArtifactItem:
    """One registered artifact: the file to pack (``path``) and, for TAR_PATH items, its archive of origin."""

    path: str
    path_type: ArtifactPathType
    archive_name: Optional[str] = None
    source_archive: Optional[str] = None


def artifact_archive_name(path: Path) -> str:
    """``<first 32 hex of sha256(content)>_<basename>``: stable across saves, distinct for same-named files."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return f"{digest.hexdigest()[:_HASH_HEX_CHARS]}_{Path(path).name}"


class ArtifactStore:
    """Extracts artifact members of one ``.nemo`` on demand into a private temp folder.

    While a model is being restored the store reads through the already open archive; afterwards it re-opens the
    archive file whenever a member is needed again (e.g. the temp folder was cleaned up by the OS).
    """

    def __init__(self, archive_path: Path, archive: Optional[NemoArchive] = None) -> None:
        self.archive_path = Path(archive_path)
        self._archive = archive
        self._directory: Optional[Path] = None
        self._remove_directory: Optional[weakref.finalize] = None  # runs when the store is garbage collected
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple:
        # a copy (pickle, deepcopy) gets its own temp folder, extracted again on demand
        return (ArtifactStore, (self.archive_path,))

    def member_for(self, path: Path) -> Optional[str]:
        """The member name of ``path`` if it is a file this store extracted, else None."""
        directory = self._directory
        if directory is None or Path(path).absolute().parent != directory.absolute():
            return None
        return Path(path).name

    def has(self, name: str) -> bool:
        """Whether the archive holds a member ``name`` (the config and weights are not artifacts)."""
        with self._open() as archive:
            return name in archive.artifact_names()

    def get(self, name: str) -> Path:
        """The local path of member ``name``, extracting it if it is not (or no longer) on disk."""
        with self._lock:
            if self._directory is not None and (self._directory / name).is_file():
                return self._directory / name
            if self._directory is None or not self._directory.is_dir():
                self._directory = Path(tempfile.mkdtemp(prefix="nemo-artifacts-"))
                self._remove_directory = weakref.finalize(self, shutil.rmtree, str(self._directory), True)
            with self._open() as archive:
                if name not in archive.artifact_names():
                    raise FileNotFoundError(
                        f"Artifact {name!r} is not in {self.archive_path}; it holds: {archive.artifact_names() or 'none'}"
                    )
                return archive.extract([name], self._directory)[name]

    @contextlib.contextmanager
    def _open(self) -> Iterator[NemoArchive]:
        if self._archive is not None:
            yield self._archive
            return
        if not self.archive_path.exists():
            raise FileNotFoundError(
                f"The .nemo archive {self.archive_path} that this model was restored from no longer exists, so its "
                "artifacts cannot be extracted again"
            )
        with NemoArchive(self.archive_path) as archive:
            yield archive

    def detach(self) -> None:
        """Stop using the archive opened by the restore (it is about to be closed)."""
        self._archive = None

    def cleanup(self) -> None:
        """Remove the temp folder and everything extracted into it (also done when the store is collected)."""
        with self._lock:
            if self._remove_directory is not None:
                self._remove_directory()
            self._directory = self._remove_directory = None


class _RestoreState(threading.local):
    def __init__(self) -> None:
        self.stores: List[Optional[ArtifactStore]] = []


_STATE = _RestoreState()


def is_model_being_restored() -> bool:
    """True while a model constructor runs inside ``restore_from``/``load_from_checkpoint`` (no data setup then)."""
    return bool(_STATE.stores)


def current_artifact_store() -> Optional[ArtifactStore]:
    """The store of the innermost ``.nemo`` restore in progress, or None."""
    return _STATE.stores[-1] if _STATE.stores else None


@contextlib.contextmanager
def model_restore_state(store: Optional[ArtifactStore] = None) -> Iterator[None]:
    """Mark a model as being restored (``store``: the archive's artifacts, None for a Lightning checkpoint).

    Restores nest, e.g. a model whose constructor restores a pretrained sub-model from another ``.nemo``.
    """
    _STATE.stores.append(store)
    try:
        yield
    finally:
        _STATE.stores.pop()
        if store is not None:
            store.detach()
