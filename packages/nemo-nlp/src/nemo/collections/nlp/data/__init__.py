"""Data sets of the NLP collection (loaded on first attribute access)."""

from nemo.core._lazy import lazy_exports

_EXPORTS = {
    "TextClassificationDataset": "nemo.collections.nlp.data.text_classification.text_classification_dataset",
    "BertTokenClassificationDataset": "nemo.collections.nlp.data.token_classification.token_classification_dataset",
    "BertTokenClassificationInferDataset": "nemo.collections.nlp.data.token_classification.token_classification_dataset",
    "BertPunctuationCapitalizationDataset": (
        "nemo.collections.nlp.data.token_classification.punctuation_capitalization_dataset"
    ),
    "IntentSlotClassificationDataset": (
        "nemo.collections.nlp.data.intent_slot_classification.intent_slot_classification_dataset"
    ),
    "BertPretrainingDataset": "nemo.collections.nlp.data.language_modeling.lm_bert_dataset",
    "SquadDataset": "nemo.collections.nlp.data.question_answering.qa_dataset",
    "TranslationDataset": "nemo.collections.nlp.data.machine_translation.machine_translation_dataset",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
