"""Lazy attribute exports for package ``__init__`` modules.

``import nemo.core`` must stay cheap (no Lightning, Hydra or ONNX until they are used), yet the package re-exports
names such as ``ModelPT`` whose modules import Lightning. A module-level ``__getattr__`` imports the owning module
on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Callable, Dict, List, Tuple


def lazy_exports(package: str, mapping: Dict[str, str]) -> Tuple[Callable[[str], object], Callable[[], List[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package`` that resolve ``name -> module`` from ``mapping`` on demand."""

    def __getattr__(name: str) -> object:
        module = mapping.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals_ = importlib.import_module(package).__dict__
        globals_[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> List[str]:
        return sorted(set(importlib.import_module(package).__dict__) | set(mapping))

    return __getattr__, __dir__
