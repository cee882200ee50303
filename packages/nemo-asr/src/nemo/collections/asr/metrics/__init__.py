"""Metrics of the ASR collection."""

from nemo.collections.asr.metrics.wer import WER, word_error_rate

__all__ = ["WER", "word_error_rate"]
