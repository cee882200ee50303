"""NeMo's ASR collection (the nemo-asr distribution).

Sub-packages (``models``, ``modules``, ``parts``, ``losses``, ``metrics``) are imported on first attribute access, so
``import nemo.collections.asr`` stays light (no librosa or torchmetrics until they are used).
"""

import importlib

from nemo.collections.asr.version import __version__

_SUBPACKAGES = ("data", "losses", "metrics", "models", "modules", "parts")


def __getattr__(name: str) -> object:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", *_SUBPACKAGES]
