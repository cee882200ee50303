"""Fixtures of the ModelPT, save/restore, artifact and dataloader tests (their tiny models: ``modelpt_testing``)."""

import pytest


@pytest.fixture
def fresh_app_state():
    """Tests must not see AppState written by earlier tests (restore path, world size)."""
    from nemo.utils.app_state import AppState

    AppState.reset()
    yield
    AppState.reset()


@pytest.fixture
def full_typecheck():
    """Typecheck at level ``full`` during the test, whatever NEMO_TYPECHECK says; the previous level comes back."""
    from nemo.core.classes.typecheck import typecheck
    from nemo.utils.scoped import scoped

    with scoped(typecheck.get_typecheck_level, typecheck.set_typecheck_level, "full"):
        yield
