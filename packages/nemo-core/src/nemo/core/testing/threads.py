"""A scoped torch thread count: tiny tensors run as fast on one thread, and immune to OpenMP spin-waiting when the
machine's cores are shared (which made tiny convolutions up to 50x slower); comparisons of a model before and after
a round trip also need the same thread count on both sides."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from nemo.utils.scoped import scoped

__all__ = ["torch_threads"]


@contextmanager
def torch_threads(count: int = 1) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(count)``; the previous count is restored afterwards."""
    import torch

    with scoped(torch.get_num_threads, torch.set_num_threads, count):
        yield
