"""TTS data layers: manifests of (audio, text) with cached mel and pitch targets."""
