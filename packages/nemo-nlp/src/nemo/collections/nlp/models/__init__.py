"""Models of the NLP collection (each loaded on first attribute access, so importing this is cheap)."""

from nemo.core._lazy import lazy_exports

_EXPORTS = {
    "NLPModel": "nemo.collections.nlp.models.nlp_model",
    "BertClassifierModel": "nemo.collections.nlp.models.bert_classifier_model",
    "TextClassificationModel": "nemo.collections.nlp.models.text_classification.text_classification_model",
    "TokenClassificationModel": "nemo.collections.nlp.models.token_classification.token_classification_model",
    "PunctuationCapitalizationModel": (
        "nemo.collections.nlp.models.token_classification.punctuation_capitalization_model"
    ),
    "IntentSlotClassificationModel": (
        "nemo.collections.nlp.models.intent_slot_classification.intent_slot_classification_model"
    ),
    "BERTLMModel": "nemo.collections.nlp.models.language_modeling.bert_lm_model",
    "QAModel": "nemo.collections.nlp.models.question_answering.qa_model",
    "MTEncDecModel": "nemo.collections.nlp.models.machine_translation.mt_enc_dec_model",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
