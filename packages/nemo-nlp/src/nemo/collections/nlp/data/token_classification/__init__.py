"""Token classification data (loaded on first attribute access, so the text-only label helpers stay torch-free)."""

import importlib
from typing import Any, List

_DATASET = "nemo.collections.nlp.data.token_classification.token_classification_dataset"
_LABELS = "nemo.collections.nlp.data.token_classification.punctuation_labels"
_EXPORTS = {
    "BertTokenClassificationDataset": _DATASET,
    "BertTokenClassificationInferDataset": _DATASET,
    "get_label_ids": _DATASET,
    "read_token_classification_files": _DATASET,
    "apply_punctuation_capitalization": _LABELS,
    "punctuation_capitalization_labels": _LABELS,
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
