"""Tokenizers shared by the collections. Importing this is cheap: ``sentencepiece`` and ``tokenizers`` load on use."""

from nemo.collections.common.tokenizers.bert_wordpiece_tokenizer import BertWordPieceTokenizer
from nemo.collections.common.tokenizers.bytelevel_tokenizers import ByteLevelTokenizer
from nemo.collections.common.tokenizers.char_tokenizer import CharTokenizer
from nemo.collections.common.tokenizers.huggingface.auto_tokenizer import AutoTokenizer
from nemo.collections.common.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer, create_spt_model
from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.common.tokenizers.tokenizer_utils import get_nmt_tokenizer, get_tokenizer, get_tokenizer_list
from nemo.collections.common.tokenizers.word_tokenizer import WordTokenizer

__all__ = [
    "AutoTokenizer",
    "BertWordPieceTokenizer",
    "ByteLevelTokenizer",
    "CharTokenizer",
    "SentencePieceTokenizer",
    "TokenizerSpec",
    "WordTokenizer",
    "create_spt_model",
    "get_nmt_tokenizer",
    "get_tokenizer",
    "get_tokenizer_list",
]
