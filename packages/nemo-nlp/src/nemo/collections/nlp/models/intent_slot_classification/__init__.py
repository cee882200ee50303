from nemo.collections.nlp.models.intent_slot_classification.intent_slot_classification_model import (
    IntentSlotClassificationModel,
)

__all__ = ["IntentSlotClassificationModel"]
