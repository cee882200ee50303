"""Losses of the ASR collection."""

from nemo.collections.asr.losses.ctc import CTCLoss

__all__ = ["CTCLoss"]
