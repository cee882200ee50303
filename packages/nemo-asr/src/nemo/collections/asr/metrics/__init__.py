"""Metrics of the ASR collection."""

from nemo.collections.asr.metrics.wer import WER, word_error_rate
from nemo.collections.asr.metrics.wer_bpe import WERBPE

__all__ = ["WER", "WERBPE", "word_error_rate"]
