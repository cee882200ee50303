"""Data loaders for ASR datasets from a data config, with optional duration-sorted batching.

Config keys read by ``build_dataloader``: ``batch_size`` (default 32), ``shuffle`` (False), ``num_workers`` (0),
``pin_memory`` (False), ``drop_last`` (False) and ``sort_by_duration`` (False). With ``sort_by_duration: true``,
batches hold utterances of similar duration (less padding, faster CTC training): samples are sorted by manifest
duration and cut into ``batch_size`` batches, whose order is shuffled every epoch when ``shuffle`` is set
(``shuffle_seed``, default 0, fixes that order). Under ``torch.distributed`` each rank takes every world-size-th batch;
with Lightning DDP set ``Trainer(use_distributed_sampler=False)`` so Lightning leaves this sampler alone.
"""

from typing import Any, Iterator, List, Mapping, Sequence

import torch
from torch.utils.data import DataLoader, Sampler

__all__ = ["DurationBatchSampler", "build_dataloader"]


class DurationBatchSampler(Sampler[List[int]]):
    """Batches of indices of similar ``durations``; ``set_epoch`` (called by Lightning) varies the batch order."""

    def __init__(
        self,
        durations: Sequence[float],
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"DurationBatchSampler: batch_size must be >= 1, got {batch_size}")
        order = sorted(range(len(durations)), key=lambda i: (durations[i], i))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        if drop_last and batches and len(batches[-1]) < batch_size:
            batches.pop()
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.epoch = 0
        self._batches = batches

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rank_batches(self, batches: List[List[int]]) -> List[List[int]]:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            world, rank = torch.distributed.get_world_size(), torch.distributed.get_rank()
            per_rank = len(batches) // world
            return batches[rank : per_rank * world : world]
        return batches

    def __iter__(self) -> Iterator[List[int]]:
        batches = self._batches
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        self.epoch += 1
        yield from (list(batch) for batch in self._rank_batches(batches))

    def __len__(self) -> int:
        return len(self._rank_batches(self._batches))


def build_dataloader(dataset: Any, config: Mapping[str, Any]) -> DataLoader:
    """A ``DataLoader`` over ``dataset`` (collating with ``dataset.collate_fn``) configured by ``config``."""
    batch_size = int(config.get("batch_size", 32))
    if batch_size < 1:
        raise ValueError(f"data config key 'batch_size' must be >= 1, got {batch_size}")
    shuffle = bool(config.get("shuffle", False))
    drop_last = bool(config.get("drop_last", False))
    common = dict(
        collate_fn=getattr(dataset, "collate_fn", None),
        num_workers=int(config.get("num_workers", 0) or 0),
        pin_memory=bool(config.get("pin_memory", False)),
    )
    if config.get("sort_by_duration", False):
        if not hasattr(dataset, "durations"):
            raise ValueError(f"sort_by_duration: {type(dataset).__name__} has no 'durations' to sort by")
        sampler = DurationBatchSampler(
            dataset.durations, batch_size, shuffle=shuffle, drop_last=drop_last, seed=int(config.get("shuffle_seed", 0))
        )
        return DataLoader(dataset, batch_sampler=sampler, **common)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, **common)
