"""BERT-family encoders in plain PyTorch that load HuggingFace checkpoints without ``transformers``."""

from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder
from nemo.collections.nlp.modules.common.huggingface.distilbert_encoder import DistilBertEncoder
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig

__all__ = ["BertEncoder", "DistilBertEncoder", "EncoderConfig"]
