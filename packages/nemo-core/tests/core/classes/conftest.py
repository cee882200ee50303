"""Fixtures of the ModelPT, save/restore, artifact and dataloader tests (their tiny models: ``modelpt_testing``)."""

import pytest


@pytest.fixture
def fresh_app_state():
    """Tests must not see AppState written by earlier tests (restore path, world size)."""
    from nemo.utils.app_state import AppState

    AppState.reset()
    yield
    AppState.reset()
