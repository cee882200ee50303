"""Axis kinds and axis descriptions: the "layout" half of a neural type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

__all__ = ["AxisKindAbstract", "AxisKind", "AxisType"]


class AxisKindAbstract(Enum):
    """Base of every axis-kind enumeration; subclass it to declare your own kinds (e.g. ``Image = 0``)."""


class AxisKind(AxisKindAbstract):
    """The axis kinds NeMo knows. ``Channel`` is an alias of ``Dimension`` (``AxisKind.Channel is AxisKind.Dimension``)."""

    Batch = 0
    Time = 1
    Dimension = 2
    Channel = 2
    Width = 3
    Height = 4
    Any = 5
    Sequence = 6
    FlowGroup = 7
    Singleton = 8

    def __repr__(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.name.lower()

    @staticmethod
    def from_str(label: str) -> AxisKind:
        """Parse a short letter (``B``, ``N``, ``T``, ``D``, ``C``, ``W``, ``H``, ``S``) or a kind name, any case.

        Besides v1.0.0's spellings this also accepts every member name (``"dimension"``, ``"sequence"``), so that
        ``AxisKind.from_str(str(kind)) is kind`` holds for every kind.
        """
        kind = _LABELS.get(str(label).strip().lower())
        if kind is None:
            raise ValueError(
                f"Can't create AxisKind from {label!r}: expected one of the letters B, N, T, D, C, W, H, S or a kind "
                f"name ({', '.join(sorted({str(k) for k in AxisKind}))})"
            )
        return kind


_LABELS = {
    "b": AxisKind.Batch,
    "n": AxisKind.Batch,
    "t": AxisKind.Time,
    "d": AxisKind.Dimension,
    "c": AxisKind.Dimension,
    "channel": AxisKind.Dimension,
    "w": AxisKind.Width,
    "h": AxisKind.Height,
    "s": AxisKind.Singleton,
    **{name.lower(): kind for name, kind in AxisKind.__members__.items()},
}


@dataclass(frozen=True, init=False, slots=True)
class AxisType:
    """One axis of a tensor: its kind, optionally a fixed size, and whether it is a Python-list dimension.

    Instances are immutable values (equal when kind, size and is_list are equal), so they can be shared and hashed.
    """

    kind: AxisKindAbstract
    size: Optional[int]
    is_list: bool

    def __init__(self, kind: AxisKindAbstract, size: Optional[int] = None, is_list: bool = False) -> None:
        if size is not None and is_list:
            raise ValueError(f"AxisType({kind}) cannot have both a fixed size ({size}) and is_list=True")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "is_list", is_list)

    def __repr__(self) -> str:
        text = str(self.kind) if self.size is None else f"{self.kind}:{self.size}"
        return text + "_listdim" if self.is_list else text
