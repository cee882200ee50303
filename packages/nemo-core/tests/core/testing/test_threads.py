"""torch_threads sets the thread count for a block and restores it, also when the block raises."""

import pytest
import torch

from nemo.core.testing import torch_threads


def test_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_one_torch_thread_fixture(one_torch_thread):
    assert torch.get_num_threads() == 1
