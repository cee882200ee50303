"""BERT-family encoders in plain PyTorch that load HuggingFace checkpoints without ``transformers``."""

from nemo.collections.nlp.modules.common.huggingface.albert_encoder import AlbertEncoder
from nemo.collections.nlp.modules.common.huggingface.bert_encoder import BertEncoder
from nemo.collections.nlp.modules.common.huggingface.distilbert_encoder import DistilBertEncoder
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig
from nemo.collections.nlp.modules.common.huggingface.roberta_encoder import RobertaEncoder

__all__ = ["AlbertEncoder", "BertEncoder", "DistilBertEncoder", "EncoderConfig", "RobertaEncoder"]
