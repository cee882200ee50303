"""Losses of the ASR collection."""

from nemo.collections.asr.losses.angularloss import AngularSoftmaxLoss
from nemo.collections.asr.losses.ctc import CTCLoss
from nemo.collections.asr.losses.rnnt import RNNTLoss

__all__ = ["AngularSoftmaxLoss", "CTCLoss", "RNNTLoss"]
