"""Data sets of the NLP collection (loaded on first attribute access)."""

import importlib
from typing import Any, List

_EXPORTS = {
    "TextClassificationDataset": "nemo.collections.nlp.data.text_classification.text_classification_dataset",
    "BertTokenClassificationDataset": "nemo.collections.nlp.data.token_classification.token_classification_dataset",
    "BertTokenClassificationInferDataset": "nemo.collections.nlp.data.token_classification.token_classification_dataset",
    "TranslationDataset": "nemo.collections.nlp.data.machine_translation.machine_translation_dataset",
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
