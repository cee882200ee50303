"""Registers ``asr_models_testing`` (tiny configs, synthetic audio) under a fixed name for the tests of this folder."""

import importlib.util
import sys
from pathlib import Path

import pytest

if "asr_models_testing" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "asr_models_testing", Path(__file__).with_name("asr_models_testing.py")
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["asr_models_testing"] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def text_corpus(tmp_path) -> Path:
    """Six short tone files with English transcripts and their manifest."""
    helpers = sys.modules["asr_models_testing"]
    return helpers.write_corpus(tmp_path / "text", [{"text": text} for text in helpers.TEXTS])
