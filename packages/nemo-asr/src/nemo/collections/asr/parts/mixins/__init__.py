"""Mixins of ASR models (NeMo's module path)."""

from nemo.collections.asr.parts.mixins.mixins import ASRBPEMixin

__all__ = ["ASRBPEMixin"]
