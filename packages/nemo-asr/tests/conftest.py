"""Suite-wide settings for the nemo-asr tests."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are tiny: one thread is as fast, and immune to OpenMP spin-waiting when the machine's cores
    are shared with other processes (which made tiny convolutions up to 50x slower)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
