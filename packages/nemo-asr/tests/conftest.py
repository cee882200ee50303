"""Suite-wide settings and fixtures of the nemo-asr tests."""

from pathlib import Path

import asr_models_testing
import pytest

from nemo.core.testing import torch_threads


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are tiny: one thread is as fast, and immune to OpenMP spin-waiting when the machine's cores
    are shared with other processes (which made tiny convolutions up to 50x slower)."""
    with torch_threads(1):
        yield


@pytest.fixture
def text_corpus(tmp_path) -> Path:
    """Six short tone files with English transcripts and their manifest."""
    return asr_models_testing.write_corpus(tmp_path / "text", [{"text": text} for text in asr_models_testing.TEXTS])


@pytest.fixture
def tokenizer_dir(tmp_path) -> Path:
    """A 28-piece SentencePiece tokenizer trained on the corpus texts."""
    return asr_models_testing.make_tokenizer_dir(tmp_path / "spe", vocab_size=28)
