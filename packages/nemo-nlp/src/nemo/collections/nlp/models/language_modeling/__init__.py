from nemo.collections.nlp.models.language_modeling.bert_lm_model import BERTLMModel

__all__ = ["BERTLMModel"]
