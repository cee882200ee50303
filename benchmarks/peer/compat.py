"""What the benchmark scripts need that our ``nemo`` and NVIDIA NeMo 3 spell differently, keyed on which one this
interpreter imports (NVIDIA's package carries ``nemo.__version__``; ours is a namespace package without one).

The scripts import it as ``peer.compat`` (``benchmarks/`` is their ``sys.path[0]``); our packages never import it.
"""

from __future__ import annotations

import nemo
from nemo.core.classes import common

__all__ = ["IMPL", "NVIDIA", "get_typecheck_level", "set_typecheck_level"]

NVIDIA = bool(getattr(nemo, "__version__", None))
IMPL = f"nvidia-nemo {nemo.__version__}" if NVIDIA else "ours"


def set_typecheck_level(level: str) -> None:
    """Ours: ``full``/``shapes``/``off`` levels. NeMo 3: an on/off switch plus one for the semantic (type) half,
    which together give the same three levels."""
    if not NVIDIA:
        common.typecheck.set_typecheck_level(level)
        return
    common.typecheck.set_typecheck_enabled(level != "off")
    common.typecheck.set_semantic_check_enabled(level == "full")


def get_typecheck_level() -> str:
    if not NVIDIA:
        return common.typecheck.get_typecheck_level()
    if not common.is_typecheck_enabled():
        return "off"
    return "full" if common.is_semantic_typecheck_enabled() else "shapes"
