"""Models of the NLP collection (each loaded on first attribute access, so importing this is cheap)."""

import importlib
from typing import Any, List

_EXPORTS = {
    "NLPModel": "nemo.collections.nlp.models.nlp_model",
    "TextClassificationModel": "nemo.collections.nlp.models.text_classification.text_classification_model",
    "TokenClassificationModel": "nemo.collections.nlp.models.token_classification.token_classification_model",
    "MTEncDecModel": "nemo.collections.nlp.models.machine_translation.mt_enc_dec_model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
