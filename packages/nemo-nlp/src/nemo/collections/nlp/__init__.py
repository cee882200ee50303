"""NeMo's NLP collection (the nemo-nlp distribution): BERT encoders, heads and NLP models.

``import nemo.collections.nlp as nemo_nlp`` is cheap: ``nemo_nlp.models``, ``nemo_nlp.modules`` and
``nemo_nlp.data`` are imported on first use.
"""

import importlib
from typing import Any, List

from nemo.collections.nlp.version import __version__

_SUBMODULES = ("data", "models", "modules")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name not in _SUBMODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
