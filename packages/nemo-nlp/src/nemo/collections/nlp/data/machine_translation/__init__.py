"""Parallel-text data for machine translation."""

from nemo.collections.nlp.data.machine_translation.machine_translation_dataset import (
    TranslationDataConfig,
    TranslationDataset,
    read_parallel_text,
)

__all__ = ["TranslationDataConfig", "TranslationDataset", "read_parallel_text"]
