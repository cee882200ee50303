"""Loads ``modelpt_testing`` (tiny ModelPT subclasses) under a fixed name for the tests of this folder."""

import importlib.util
import sys
from pathlib import Path

import pytest

MODELPT_TESTING = Path(__file__).with_name("modelpt_testing.py")


def _load_modelpt_testing():
    if "modelpt_testing" not in sys.modules:
        spec = importlib.util.spec_from_file_location("modelpt_testing", MODELPT_TESTING)
        module = importlib.util.module_from_spec(spec)
        sys.modules["modelpt_testing"] = module
        spec.loader.exec_module(module)
    return sys.modules["modelpt_testing"]


@pytest.fixture(scope="session")
def mt():
    """The ``modelpt_testing`` helper module (TinyModel, VocabModel, quiet_trainer, ...)."""
    return _load_modelpt_testing()


@pytest.fixture
def fresh_app_state():
    """Tests must not see AppState written by earlier tests (restore path, world size)."""
    from nemo.utils.app_state import AppState

    AppState.reset()
    yield
    AppState.reset()
