"""Weights mapped from the file that holds them instead of read into memory: ``map_checkpoint``.

A ``torch.save`` checkpoint is a zip whose tensor records are stored uncompressed, so each record can be used in
place. ``torch.load(map_location="meta", weights_only=True)`` unpickles the structure as safely as any load (tensors
and plain containers only) and records where each storage starts in the zip; every storage then becomes a slice of
one private (copy-on-write) mapping of the file, ``torch.UntypedStorage.from_file``, what ``torch.load(mmap=True)``
does for a whole file. The zip may start anywhere in the file, e.g. as a member of an uncompressed ``.nemo`` tar, so
restoring reads no weights and writes no temp copy: pages come from the page cache when a tensor is first used, and
the process holds the weights once.

As with ``torch.load(mmap=True)``, the tensors see the file: rewriting it *in place* while they live changes or
invalidates them. ``save_to`` writes a new file and renames it over the old one, which is safe.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from typing import Any, BinaryIO, Dict, Optional, Union

import torch

__all__ = ["map_checkpoint"]

_ZIP_MAGIC = b"PK\x03\x04"


class _Unmappable(Exception):
    """The checkpoint holds something that cannot be mapped; it is loaded the ordinary way instead."""


def _little_endian(source: BinaryIO) -> bool:
    """Whether the zip's tensors are little-endian (torch writes ``<archive>/byteorder`` since 1.13; older files are)."""
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if name.endswith("/byteorder") or name == "byteorder":
                return archive.read(name).strip() == b"little"
    return True


class _Mapper:
    """Replaces the meta tensors of a loaded structure by tensors on slices of one file mapping."""

    def __init__(self, path: Union[str, os.PathLike], start: int, size: int) -> None:
        self.whole = torch.UntypedStorage.from_file(os.fspath(path), False, os.path.getsize(path))
        self.start, self.end = start, start + size
        self.slices: Dict[int, torch.UntypedStorage] = {}  # record offset -> its storage (views share one)

    def tensor(self, meta: torch.Tensor) -> torch.Tensor:
        storage = meta.untyped_storage()
        offset = getattr(storage, "_checkpoint_offset", None)
        if offset is None or meta.layout is not torch.strided or meta.is_quantized or type(meta) is not torch.Tensor:
            raise _Unmappable
        mapped = self.slices.get(offset)
        if mapped is None:
            begin = self.start + offset
            if begin + storage.nbytes() > self.end:  # a record said to run past the zip: let torch.load judge it
                raise _Unmappable
            mapped = self.slices[offset] = self.whole[begin : begin + storage.nbytes()]
        return torch.empty(0, dtype=meta.dtype).set_(mapped, meta.storage_offset(), meta.shape, meta.stride())

    def value(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return self.tensor(value)
        if type(value) in (list, tuple):
            return type(value)(self.value(item) for item in value)
        if isinstance(value, dict):
            for key, item in value.items():  # in place: keeps the dict's type and its _metadata
                value[key] = self.value(item)
        return value


def map_checkpoint(path: Union[str, os.PathLike], start: int, source: BinaryIO) -> Optional[Any]:
    """What ``torch.load(weights_only=True)`` returns for the zip checkpoint at byte ``start`` of file ``path``, with
    every tensor on the CPU and mapped from the file; ``source`` is a seekable reader of that zip (positioned
    anywhere). None when it cannot be mapped (a legacy non-zip checkpoint, a big-endian file or host, a torch that
    does not report storage offsets, quantized or sparse tensors): the caller then loads it the ordinary way."""
    source.seek(0)
    if sys.byteorder != "little" or source.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
        return None
    source.seek(0)
    if not _little_endian(source):
        return None
    source.seek(0)
    structure = torch.load(source, map_location="meta", weights_only=True)
    size = source.seek(0, io.SEEK_END)
    try:
        return _Mapper(path, start, size).value(structure)
    except _Unmappable:
        return None
