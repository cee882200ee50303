"""Data preprocessing for ASR datasets: manifests, audio segments, text normalization and tokenization."""
