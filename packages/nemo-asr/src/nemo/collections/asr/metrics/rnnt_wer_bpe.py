"""``RNNTBPEWER``: ``RNNTWER`` for sub-word transducers (NeMo 1.x's module; also exports ``RNNTBPEDecoding``)."""

from nemo.collections.asr.metrics.rnnt_wer import RNNTWER
from nemo.collections.asr.parts.submodules.rnnt_decoding import RNNTBPEDecoding, RNNTDecodingConfig

__all__ = ["RNNTBPEDecoding", "RNNTBPEWER", "RNNTDecodingConfig"]


class RNNTBPEWER(RNNTWER):
    """``RNNTWER`` over an ``RNNTBPEDecoding`` (texts are the tokenizer's detokenized pieces)."""
