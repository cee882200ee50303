"""Pieces shared by the ASR, NLP and TTS collections: tokenizers, losses and metrics (shipped by nemo-core)."""
