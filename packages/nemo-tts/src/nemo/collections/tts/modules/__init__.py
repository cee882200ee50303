"""TTS neural modules (encoders, decoders, predictors, aligners, vocoder networks)."""
