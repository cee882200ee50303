"""ASR datasets (audio + transcript, audio + class label) and helpers that build them and their data loaders."""
