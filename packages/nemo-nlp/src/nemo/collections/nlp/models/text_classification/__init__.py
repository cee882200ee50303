from nemo.collections.nlp.models.text_classification.text_classification_model import TextClassificationModel

__all__ = ["TextClassificationModel"]
