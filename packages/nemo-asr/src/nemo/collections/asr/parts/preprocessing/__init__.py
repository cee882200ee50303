"""Data preprocessing for ASR datasets: manifest samples, audio segments, text normalization and tokenization
(manifests are read and audio is loaded by nemo-core's ``nemo.collections.common.data``)."""
