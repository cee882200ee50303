"""Metrics of the TTS collection."""

from nemo.collections.tts.metrics.mcd import MCD_CONSTANT, mel_cepstral_distortion, mel_cepstrum

__all__ = ["MCD_CONSTANT", "mel_cepstral_distortion", "mel_cepstrum"]
