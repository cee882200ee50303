"""Tokenizers named after HuggingFace models, resolved offline (no ``transformers``, no downloads)."""

from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import AutoTokenizer

__all__ = ["AutoTokenizer"]
