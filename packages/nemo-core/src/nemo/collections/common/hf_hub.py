"""Pretrained files by model name: a local directory, the NeMo model cache, or the Hugging Face Hub.

Downloads go through ``huggingface_hub`` (imported on first use; an optional dependency of nemo-core, a dependency
of nemo-nlp), so its cache (``HF_HUB_CACHE``/``HF_HOME``), its offline switch (``HF_HUB_OFFLINE=1``), revisions and
progress bars apply. The environment is read at each call, not when ``huggingface_hub`` was imported, so
``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` set later still take effect. A failed download leaves no partial file in the
cache: the next attempt starts clean and an offline load never sees a truncated file.
"""

import os
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["HubDownloadError", "hub_offline", "pretrained_model_dir"]

_TRUE = {"1", "on", "yes", "true"}


class HubDownloadError(OSError):
    """A model could not be resolved locally nor fetched from the Hub; the message says what was tried."""


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def _hub_cache_dir() -> str:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return os.path.join(os.path.expanduser(home), "hub")


def _local_dir(name: str, markers: Sequence[str]) -> Optional[Path]:
    """``name`` itself or ``<NeMo model cache>/<name>`` when it holds one of ``markers``."""
    from nemo.core.pretrained_cache import default_cache_dir

    for candidate in (Path(name).expanduser(), default_cache_dir() / name):
        if any((candidate / marker).is_file() for marker in markers):
            return candidate
    return None


def pretrained_model_dir(
    name: str,
    patterns: Sequence[str],
    markers: Sequence[str],
    revision: Optional[str] = None,
    alternatives: Sequence[str] = (),
) -> Path:
    """A directory holding one of ``markers`` and the files of ``name`` that match ``patterns``.

    A local directory (or ``<NeMo cache>/<name>``) holding one of ``markers`` is used as it is. Otherwise ``name``
    is a Hub repository: the matching files of ``revision`` (default ``main``) are fetched into the Hub cache, or
    taken from it when offline. ``alternatives`` are file names tried one after the other, stopping at the first the repository
    has (``model.safetensors`` before ``pytorch_model.bin``: only one set of weights is downloaded).
    """
    local = _local_dir(name, markers)
    if local is not None:
        return local
    wanted = " or ".join(markers)
    if Path(name).expanduser().is_dir():
        raise HubDownloadError(f"{name}: the model directory has no {wanted}")
    directory = _snapshot(name, list(patterns), revision)
    if not any((directory / marker).is_file() for marker in markers):
        raise HubDownloadError(f"{name!r}@{revision or 'main'}: the repository has no {wanted}")
    for alternative in alternatives:
        if (_snapshot(name, [alternative], revision) / alternative).is_file():
            break
    return directory


def _snapshot(name: str, patterns: list, revision: Optional[str]) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise HubDownloadError(
            f"{name!r} is not a local directory, and downloading it needs huggingface_hub, which is not installed "
            "(pip install huggingface_hub)"
        ) from e
    from huggingface_hub.utils import RepositoryNotFoundError

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    cache_dir = _hub_cache_dir()
    offline = hub_offline()
    earlier_temporaries = set(Path(cache_dir).glob("tmp*"))
    try:
        return Path(
            snapshot_download(
                name,
                revision=revision,
                allow_patterns=patterns,
                cache_dir=cache_dir,
                endpoint=endpoint,
                local_files_only=offline,
            )
        )
    except Exception as e:  # noqa: BLE001 - any transport, HTTP or cache failure: clean up, re-raise with context
        _remove_partial_downloads(Path(cache_dir), name, earlier_temporaries)
        if offline:
            reason = f"not in the Hub cache {cache_dir} (HF_HUB_OFFLINE is set); unset it once the Hub is reachable"
        elif isinstance(e, RepositoryNotFoundError):
            reason = f"no such repository at {endpoint} (or it is private)"
        else:
            reason = f"download from {endpoint} failed ({type(e).__name__}: {e})"
        raise HubDownloadError(
            f"{name!r}@{revision or 'main'} ({', '.join(patterns)}): {reason}. It is no local model directory either"
        ) from e


def _remove_partial_downloads(cache_dir: Path, repo_id: str, earlier_temporaries: set) -> None:
    """Delete what an interrupted download left: ``*.incomplete`` blobs of the repository (``huggingface_hub`` 0.18
    and later) or new ``tmp*`` files at the top of the cache (earlier releases)."""
    blobs = cache_dir / f"models--{repo_id.replace('/', '--')}" / "blobs"
    partials = list(blobs.glob("*.incomplete")) + [p for p in cache_dir.glob("tmp*") if p not in earlier_temporaries]
    for partial in partials:
        partial.unlink(missing_ok=True)
