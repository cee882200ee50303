"""NeMo's TTS collection (the nemo-tts distribution): text to spectrogram, spectrogram to waveform.

Sub-packages (``data``, ``losses``, ``models``, ``modules``, ``parts``) are imported on first attribute access, so
``import nemo.collections.tts`` stays light (no Lightning, librosa or matplotlib until they are used).
"""

import importlib

from nemo.collections.tts.version import __version__

_SUBPACKAGES = ("data", "losses", "models", "modules", "parts")


def __getattr__(name: str) -> object:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", *_SUBPACKAGES]
