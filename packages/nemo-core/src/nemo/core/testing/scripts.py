"""Example scripts as modules: find the repository's ``examples/`` folder and import a script from it."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional, Union

__all__ = ["ROOT_MARKERS", "examples_dir", "load_script"]

PathLike = Union[str, Path]


def _caller_file() -> Optional[Path]:
    """The file of the first frame outside this module (the test that asked), if it has one."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith("<") and Path(filename).resolve() != Path(__file__).resolve():
                return Path(filename)
            frame = frame.f_back
    finally:
        del frame
    return None


# Files that mark a project's root folder (a ``tests/examples/`` folder of example-script tests has none beside it).
ROOT_MARKERS = (".git", "noxfile.py", "pyproject.toml", "setup.py", "setup.cfg")


def examples_dir(*parts: str, start: Optional[PathLike] = None) -> Path:
    """The repository's ``examples/`` folder (joined with ``parts``, e.g. ``examples_dir("asr", "conf")``).

    Found by walking up from ``start`` (default: the calling file, then the working directory) to the first folder
    that holds ``examples/`` and a project marker (``.git``, ``noxfile.py``, ``pyproject.toml``, ...). Raises
    ``FileNotFoundError`` outside a source checkout (e.g. from an installed wheel).
    """
    anchors = [Path(start)] if start is not None else [p for p in (_caller_file(), Path.cwd()) if p is not None]
    for anchor in anchors:
        anchor = anchor.resolve()
        for folder in (anchor, *anchor.parents):
            if (folder / "examples").is_dir() and any((folder / marker).exists() for marker in ROOT_MARKERS):
                return folder.joinpath("examples", *parts)
    searched = ", ".join(str(anchor) for anchor in anchors)
    raise FileNotFoundError(f"no examples/ folder above {searched}: the example scripts live in a source checkout")


def _module_name(path: Path) -> str:
    return re.sub(r"\W", "_", f"script_{path.parent.name}_{path.stem}")


def load_script(path: PathLike, name: Optional[str] = None) -> ModuleType:
    """Import the script at ``path`` as a fresh module (its ``if __name__ == "__main__"`` block does not run).

    The module is registered in ``sys.modules`` as ``name`` (default ``script_<folder>_<stem>``, e.g.
    ``script_asr_speech_to_text``), as an import would, so dataclasses and pickling (worker processes) find it;
    loading the same path again replaces it with a fresh module.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no script at {path}")
    name = name or _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
