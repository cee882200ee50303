"""``load_script``: a benchmark script loaded as a module for its tests (the scripts are not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

__all__ = ["load_script"]

BENCHMARKS = Path(__file__).resolve().parents[1]


def load_script(relative: str, name: str) -> ModuleType:
    """``benchmarks/<relative>`` as module ``name``, its folder on ``sys.path`` while it loads (the scripts import
    their neighbours: ``_kernel_timing``, ``compat``, ``tts_figures``)."""
    path = BENCHMARKS / relative
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(path.parent))
        spec.loader.exec_module(module)
    return module
