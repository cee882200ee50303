"""Joint intent and slot data in NeMo v1's format."""

from nemo.collections.nlp.data.intent_slot_classification.intent_slot_classification_dataset import (
    IntentSlotClassificationDataset,
    IntentSlotInferenceDataset,
    read_intent_slot_dicts,
    read_intent_slot_files,
)

__all__ = [
    "IntentSlotClassificationDataset",
    "IntentSlotInferenceDataset",
    "read_intent_slot_dicts",
    "read_intent_slot_files",
]
