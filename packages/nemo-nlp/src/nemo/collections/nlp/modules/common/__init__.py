"""Encoders and heads shared by the NLP models (loaded on first attribute access)."""

from nemo.core._lazy import lazy_exports

_EXPORTS = {
    "AlbertEncoder": "nemo.collections.nlp.modules.common.huggingface.albert_encoder",
    "BertPretrainingTokenClassifier": "nemo.collections.nlp.modules.common.token_classifier",
    "BertModule": "nemo.collections.nlp.modules.common.bert_module",
    "BertEncoder": "nemo.collections.nlp.modules.common.huggingface.bert_encoder",
    "DistilBertEncoder": "nemo.collections.nlp.modules.common.huggingface.distilbert_encoder",
    "EncoderConfig": "nemo.collections.nlp.modules.common.huggingface.encoder_config",
    "RobertaEncoder": "nemo.collections.nlp.modules.common.huggingface.roberta_encoder",
    "SequenceClassifier": "nemo.collections.nlp.modules.common.sequence_classifier",
    "SequenceRegression": "nemo.collections.nlp.modules.common.sequence_regression",
    "SequenceTokenClassifier": "nemo.collections.nlp.modules.common.sequence_token_classifier",
    "TokenClassifier": "nemo.collections.nlp.modules.common.token_classifier",
    "get_lm_model": "nemo.collections.nlp.modules.common.lm_utils",
    "get_pretrained_lm_models_list": "nemo.collections.nlp.modules.common.lm_utils",
    "get_tokenizer": "nemo.collections.common.tokenizers.tokenizer_utils",
    "get_tokenizer_list": "nemo.collections.common.tokenizers.tokenizer_utils",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
