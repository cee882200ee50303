from nemo.collections.nlp.models.token_classification.token_classification_model import TokenClassificationModel

__all__ = ["TokenClassificationModel"]
