"""English text for TTS: normalization, eSpeak NG phonemes and tokenizers."""
