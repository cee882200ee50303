"""``Model``, the abstract base of every NeMo model, and ``PretrainedModelInfo``, one entry of its model card list.

``Model.from_pretrained(name)`` finds ``name`` (or an alias) among ``list_available_models()``, fetches the ``.nemo``
through the download cache (:func:`nemo.core.pretrained_cache.resolve_location`) and restores it.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from functools import total_ordering
from typing import Any, List, Optional, Type

from nemo.core.classes.serialization import FileIO, Serialization
from nemo.core.classes.typecheck import Typing
from nemo.core.pretrained_cache import resolve_location

__all__ = ["PretrainedModelInfo", "Model"]


@total_ordering
@dataclass
class PretrainedModelInfo:
    """A downloadable checkpoint: its name, a description, where the ``.nemo`` lives and which class restores it.

    Entries are equal when they share a location or a name (so lists gathered from several subclasses de-duplicate),
    hash by location and sort by name. ``sha256``, when given, is checked after download.
    """

    pretrained_model_name: str
    description: str
    location: str
    class_: Optional[Type[Model]] = None
    aliases: Optional[List[str]] = None
    sha256: Optional[str] = None

    def __hash__(self) -> int:
        return hash(self.location)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PretrainedModelInfo):
            return NotImplemented
        return self.location == other.location or self.pretrained_model_name == other.pretrained_model_name

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PretrainedModelInfo):
            return NotImplemented
        return self.pretrained_model_name < other.pretrained_model_name

    def __repr__(self) -> str:
        fields = [
            f"pretrained_model_name={self.pretrained_model_name}",
            f"description={self.description}",
            f"location={self.location}",
        ]
        if self.class_ is not None:
            fields.append(f"class_={self.class_}")
        if self.aliases:
            fields.append(f"aliases={self.aliases}")
        body = ",\n\t".join(fields)
        return f"{type(self).__name__}(\n\t{body}\n)"


class Model(Typing, Serialization, FileIO):
    """Abstract parent of every model: lists its pretrained checkpoints and restores them by name."""

    @classmethod
    @abstractmethod
    def list_available_models(cls) -> Optional[List[PretrainedModelInfo]]:
        """The pretrained checkpoints this class can restore (``None`` or ``[]`` when there are none)."""

    @classmethod
    def get_available_model_names(cls) -> List[str]:
        """Names of the checkpoints in ``list_available_models()`` (aliases not included)."""
        return [info.pretrained_model_name for info in cls.list_available_models() or []]

    @classmethod
    def _find_pretrained(cls, model_name: str) -> PretrainedModelInfo:
        models = cls.list_available_models() or []
        for info in models:
            if model_name == info.pretrained_model_name or model_name in (info.aliases or []):
                return info
        names = ", ".join(sorted(info.pretrained_model_name for info in models)) or "none"
        raise FileNotFoundError(
            f"Model {model_name} was not found. Check {cls.__name__}.list_available_models() for the pretrained "
            f"models this class can restore; available: {names}"
        )

    @classmethod
    def from_pretrained(
        cls,
        model_name: str,
        refresh_cache: bool = False,
        override_config_path: Optional[Any] = None,
        map_location: Optional[Any] = None,
        strict: bool = True,
        return_config: bool = False,
    ) -> Any:
        """Download (or reuse from the cache) the checkpoint named ``model_name`` or one of its aliases, then
        restore it with ``(info.class_ or cls).restore_from``; ``return_config=True`` returns only its config.
        """
        info = cls._find_pretrained(model_name)
        path = resolve_location(info.location, refresh=refresh_cache, sha256=info.sha256)
        restorer = info.class_ or cls
        return restorer.restore_from(
            str(path),
            override_config_path=override_config_path,
            map_location=map_location,
            strict=strict,
            return_config=return_config,
        )
