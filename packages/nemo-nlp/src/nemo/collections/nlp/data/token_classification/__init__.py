"""Token classification data (loaded on first attribute access, so the text-only label helpers stay torch-free)."""

from nemo.core._lazy import lazy_exports

_DATASET = "nemo.collections.nlp.data.token_classification.token_classification_dataset"
_LABELS = "nemo.collections.nlp.data.token_classification.punctuation_labels"
_PUNCT_CAPIT = "nemo.collections.nlp.data.token_classification.punctuation_capitalization_dataset"
_EXPORTS = {
    "BertPunctuationCapitalizationDataset": _PUNCT_CAPIT,
    "BertPunctuationCapitalizationInferDataset": _PUNCT_CAPIT,
    "read_punct_capit_files": _PUNCT_CAPIT,
    "BertTokenClassificationDataset": _DATASET,
    "BertTokenClassificationInferDataset": _DATASET,
    "get_label_ids": _DATASET,
    "read_token_classification_files": _DATASET,
    "apply_punctuation_capitalization": _LABELS,
    "punctuation_capitalization_labels": _LABELS,
    "punct_capit_labels": _LABELS,
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
