"""Building objects from configs (``Serialization``) and the save/restore/config-file interface (``FileIO``).

Configs may come from untrusted ``.nemo`` archives, so ``from_config_dict`` called on a class builds, for a ``target``
key (the model class ModelPT records), only that class or one of its subclasses; ``_target_`` nodes, at the top as
in NeMo's ``Model.from_config_dict(cfg.encoder)`` or nested ones that Hydra instantiates recursively, must name
``torch.nn.Module``, ``Serialization`` or ``torch.utils.data.Dataset`` subclasses. Only ``Serialization.from_config_dict`` itself (the
base, for trusted configs) builds whatever the config names.
"""

import os
import tempfile
from abc import ABC
from pathlib import Path
from typing import Any, Optional, Union

from omegaconf import DictConfig, ListConfig, OmegaConf

from nemo.utils import logging
from nemo.utils.model_utils import (
    convert_model_config_to_dict_config,
    import_class_by_path,
    maybe_update_config_version,
)

__all__ = ["Serialization", "FileIO"]

_TARGET_KEYS = ("_target_", "target")


def _class_path(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _nested_target_bases() -> tuple:
    import torch

    return (torch.nn.Module, torch.utils.data.Dataset, Serialization)


def _check_nested_targets(node: Any, where: str) -> None:
    """Refuse nested ``_target_`` values that are not classes of the module/dataset/serializable kinds."""
    if isinstance(node, DictConfig):
        if where and "_target_" in node:
            path = node["_target_"]
            try:
                target = import_class_by_path(path)
            except ImportError as err:
                raise ImportError(f"Config key '{where}._target_': {err}") from err
            if not isinstance(target, type) or not issubclass(target, _nested_target_bases()):
                raise ValueError(
                    f"Config key '{where}._target_' names {path!r}, which is not a torch.nn.Module, "
                    "torch.utils.data.Dataset or nemo Serialization subclass; refusing to instantiate it from a config"
                )
        if node.get("_recursive_", True) is False:
            return
        for key, value in node.items():
            _check_nested_targets(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, ListConfig):
        for index, value in enumerate(node):
            _check_nested_targets(value, f"{where}[{index}]")


class Serialization(ABC):  # noqa: B024 - an ABC like in NeMo, so mixins share ABCMeta
    """Mixin that builds an instance from a config and returns the config the instance was built from."""

    @classmethod
    def _resolve_config_target(cls, config: DictConfig, key: str) -> type:
        """The class ``config[key]`` names, if calling ``cls.from_config_dict`` may build it.

        A target that is a base of ``cls`` yields ``cls`` itself (build the more specific class asked for).
        """
        path = config[key]
        try:
            target = import_class_by_path(path)
        except ImportError as err:
            if key == "target" and cls is not Serialization:
                logging.warning(f"Config key 'target' names {path!r}, which cannot be imported ({err}); using {cls}")
                return cls
            raise ImportError(f"Config key '{key}': {err}") from err
        if cls is Serialization:
            return target
        if isinstance(target, type):
            if issubclass(target, cls):
                return target
            if issubclass(cls, target):
                return cls
            if key == "_target_" and issubclass(target, _nested_target_bases()):
                # NeMo models build their parts as ``Model.from_config_dict(cfg.encoder)``: a module-kind
                # ``_target_`` is allowed, as it is for nested nodes; the model class (``target``) stays strict.
                return target
        raise ValueError(
            f"Config key '{key}' names {path!r}, which is not {_class_path(cls)} or a subclass of it; "
            f"{cls.__name__}.from_config_dict refuses to instantiate classes outside its hierarchy "
            "(call it on a common base class such as NeuralModule if this config is trusted)"
        )

    @classmethod
    def from_config_dict(cls, config: Union[DictConfig, dict, Any], trainer: Optional[Any] = None) -> Any:
        """Instantiate from a config (DictConfig, dict or dataclass).

        ``_target_`` (also the legacy ``cls``/``params`` form) goes through Hydra's recursive ``instantiate``;
        ``target`` (written by ModelPT) is imported and called as ``target(cfg=config)``; with neither,
        ``cls(cfg=config)``. ``trainer`` is forwarded as a keyword argument when given.
        """
        config = convert_model_config_to_dict_config(config)
        config = maybe_update_config_version(config)  # a resolved deep copy in struct mode
        extra = {} if trainer is None else {"trainer": trainer}
        if "_target_" in config:
            import hydra.utils

            target = cls._resolve_config_target(config, "_target_")
            if cls is not Serialization:
                _check_nested_targets(config, "")
            arguments = OmegaConf.to_container(config, resolve=True)
            arguments["_target_"] = target
            instance = hydra.utils.instantiate(arguments, **extra)
        elif "target" in config:
            target = cls._resolve_config_target(config, "target")
            instance = target(cfg=config, **extra)
        else:
            instance = cls(cfg=config, **extra)
        if not hasattr(instance, "_cfg"):
            try:
                instance._cfg = config
            except (AttributeError, TypeError):  # e.g. a dict or a slotted object built by a trusted config
                pass
        return instance

    def to_config_dict(self) -> DictConfig:
        """The resolved config this object was built from (also stored back, updated, as ``self._cfg``)."""
        cfg = getattr(self, "_cfg", None)
        if not isinstance(cfg, DictConfig):
            raise NotImplementedError(
                f"{type(self).__name__}.to_config_dict needs `self._cfg` to be an omegaconf DictConfig, "
                f"got {type(cfg).__name__}"
            )
        config = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
        config = maybe_update_config_version(config)
        self._cfg = config
        return config


class FileIO(ABC):  # noqa: B024 - an ABC like in NeMo, so mixins share ABCMeta
    """Save/restore interface of models and modules, plus reading and writing their YAML config."""

    def save_to(self, save_path: str) -> None:
        """Save this object to ``save_path`` (models write a ``.nemo`` archive)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement save_to")

    @classmethod
    def restore_from(
        cls,
        restore_path: str,
        override_config_path: Optional[Union[str, DictConfig]] = None,
        map_location: Optional[Any] = None,
        strict: bool = True,
        return_config: bool = False,
    ) -> Any:
        """Restore an object saved with ``save_to``."""
        raise NotImplementedError(f"{cls.__name__} does not implement restore_from")

    @classmethod
    def from_config_file(cls, path2yaml_file: Union[str, os.PathLike]) -> Any:
        """Build an instance (with freshly initialised weights) from a YAML config file."""
        if not issubclass(cls, Serialization):
            raise NotImplementedError(
                f"{cls.__name__} is not a Serialization subclass and cannot be built from a config"
            )
        path = Path(path2yaml_file)
        if not path.is_file():
            raise FileNotFoundError(f"Config file {str(path)!r} does not exist")
        return cls.from_config_dict(OmegaConf.load(path))

    def to_config_file(self, path2yaml_file: Union[str, os.PathLike]) -> None:
        """Write the resolved config to ``path2yaml_file`` atomically (a reader never sees a half-written file)."""
        cfg = getattr(self, "_cfg", None)
        if cfg is None:
            raise NotImplementedError(f"{type(self).__name__}.to_config_file needs a `_cfg` config")
        text = OmegaConf.to_yaml(maybe_update_config_version(cfg), resolve=True)
        path = Path(path2yaml_file)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp creates 0600; match a normally created file
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
