"""Neural modules of the NLP collection (loaded on first attribute access)."""

import importlib
from typing import Any, List

_EXPORTS = {
    "BertModule": "nemo.collections.nlp.modules.common.bert_module",
    "BertEncoder": "nemo.collections.nlp.modules.common.huggingface.bert_encoder",
    "DistilBertEncoder": "nemo.collections.nlp.modules.common.huggingface.distilbert_encoder",
    "EncoderConfig": "nemo.collections.nlp.modules.common.huggingface.encoder_config",
    "SequenceClassifier": "nemo.collections.nlp.modules.common.sequence_classifier",
    "SequenceRegression": "nemo.collections.nlp.modules.common.sequence_regression",
    "SequenceTokenClassifier": "nemo.collections.nlp.modules.common.sequence_token_classifier",
    "TokenClassifier": "nemo.collections.nlp.modules.common.token_classifier",
    "get_lm_model": "nemo.collections.nlp.modules.common.lm_utils",
    "get_pretrained_lm_models_list": "nemo.collections.nlp.modules.common.lm_utils",
    "get_tokenizer": "nemo.collections.common.tokenizers.tokenizer_utils",
    "get_tokenizer_list": "nemo.collections.common.tokenizers.tokenizer_utils",
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
