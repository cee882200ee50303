from nemo.collections.nlp.models.token_classification.punctuation_capitalization_model import (
    PunctuationCapitalizationModel,
)
from nemo.collections.nlp.models.token_classification.token_classification_model import TokenClassificationModel

__all__ = ["PunctuationCapitalizationModel", "TokenClassificationModel"]
