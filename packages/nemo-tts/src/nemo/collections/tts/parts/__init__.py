"""TTS building blocks shared by models: mel features, pitch, text normalization and tokenizers, plots."""
