"""Fixtures of the ASR model tests."""

from pathlib import Path

import asr_models_testing
import pytest


@pytest.fixture
def text_corpus(tmp_path) -> Path:
    """Six short tone files with English transcripts and their manifest."""
    return asr_models_testing.write_corpus(tmp_path / "text", [{"text": text} for text in asr_models_testing.TEXTS])
