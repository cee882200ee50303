"""Suite-wide settings for the nemo-asr tests."""

import pytest

from nemo.core.testing import torch_threads


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are tiny: one thread is as fast, and immune to OpenMP spin-waiting when the machine's cores
    are shared with other processes (which made tiny convolutions up to 50x slower)."""
    with torch_threads(1):
        yield
