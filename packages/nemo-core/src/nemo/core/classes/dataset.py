"""Typed datasets: ``collate_fn`` attaches the dataset's ``output_types`` to the collated batch."""

from dataclasses import dataclass
from typing import Any, Optional

from torch.utils import data

from nemo.core.classes.serialization import Serialization
from nemo.core.classes.typecheck import Typing, typecheck

__all__ = ["Dataset", "IterableDataset", "DatasetConfig"]

_INPUT_TYPES_ERROR = "Datasets should not implement `input_types` as they are not checked"


class _TypedCollate(Typing, Serialization):
    """The typed ``collate_fn`` that map-style and iterable datasets share."""

    def _collate_fn(self, batch: Any) -> Any:
        """Collate a list of samples; override this rather than ``collate_fn`` to keep type attachment."""
        return data.default_collate(batch)

    @typecheck()
    def collate_fn(self, batch: Any) -> Any:
        """Collate ``batch`` and attach ``output_types`` to the results (datasets must not declare ``input_types``)."""
        if self.input_types is not None:
            raise TypeError(_INPUT_TYPES_ERROR)
        return self._collate_fn(batch)


class Dataset(data.Dataset, _TypedCollate):
    """Map-style dataset whose batches carry neural types (pass ``dataset.collate_fn`` to the DataLoader)."""


class IterableDataset(data.IterableDataset, _TypedCollate):
    """Iterable-style counterpart of ``Dataset`` with the same typed ``collate_fn``."""


@dataclass
class DatasetConfig:
    """Common data-loader settings of dataset configs."""

    batch_size: int = 32
    drop_last: bool = False
    shuffle: bool = False
    num_workers: Optional[int] = None
    pin_memory: bool = True
