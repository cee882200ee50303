"""Utilities built on the ASR models (NeMo's ``nemo.collections.asr.parts.utils``)."""
