"""Building objects from configs (``Serialization``) and the save/restore/config-file interface (``FileIO``).

Configs may come from untrusted ``.nemo`` archives, so ``from_config_dict`` builds through nemo-core's one checked
construction path (``nemo.core.classes.construction``): a ``target`` key (the model class ModelPT records) must name
the class it is called on or a subclass; ``_target_`` nodes, at the top as in NeMo's ``Model.from_config_dict(cfg.encoder)``
or nested, must name ``torch.nn.Module``, ``torch.utils.data.Dataset`` or ``Serialization`` subclasses (or the class
itself). ``trusted_config()`` lifts the checks for configs the caller trusts.
"""

import os
import tempfile
from abc import ABC
from pathlib import Path
from typing import Any, Optional, Union

from omegaconf import DictConfig, OmegaConf, open_dict

from nemo.core.classes.construction import (
    ConfigTargetError,
    build_from_config,
    default_nested_bases,
    is_trusted,
    resolve_target,
)
from nemo.utils import logging
from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

__all__ = ["Serialization", "FileIO"]



def _key_of(config: Any) -> str:
    """The key path of an OmegaConf node inside its parent config (e.g. ``encoder``), or ``""``."""
    if isinstance(config, DictConfig):
        try:
            return str(config._get_full_key(None) or "")
        except Exception:  # noqa: BLE001 - only for error messages
            return ""
    return ""


def _class_path(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Serialization(ABC):  # noqa: B024 - an ABC like in NeMo, so mixins share ABCMeta
    """Mixin that builds an instance from a config and returns the config the instance was built from."""

    @classmethod
    def _model_target(cls, config: DictConfig) -> type:
        """The class the ``target`` key (written by ModelPT) names: ``cls`` or a subclass; a base yields ``cls``."""
        path = config["target"]
        refusal = ConfigTargetError(
            f"Config key 'target' names {path!r}, which is not {_class_path(cls)} or a subclass of it; "
            f"{cls.__name__}.from_config_dict refuses to instantiate classes outside its hierarchy"
        )
        try:
            target = resolve_target(path, object, "target")
        except ImportError as err:
            if cls is Serialization:
                raise
            logging.warning(f"Config key 'target' names {path!r}, which cannot be imported ({err}); using {cls}")
            return cls
        except ConfigTargetError as err:
            raise refusal from err
        if cls is Serialization or is_trusted() or issubclass(target, cls):
            return target
        if issubclass(cls, target):
            return cls
        raise refusal

    @classmethod
    def from_config_dict(cls, config: Union[DictConfig, dict, Any], trainer: Optional[Any] = None) -> Any:
        """Instantiate from a config (DictConfig, dict or dataclass).

        ``_target_`` (also the legacy ``cls``/``params`` form) is built through the checked construction path
        (``nemo.core.classes.construction``): it must name ``cls``, a subclass, or a module, dataset or serializable
        class, and so must every nested ``_target_``. ``target`` (written by ModelPT) is called as
        ``target(cfg=config)`` and must be ``cls`` or a subclass; with neither, ``cls(cfg=config)``. ``trainer`` is
        forwarded as a keyword argument when given.
        """
        key = _key_of(config)
        config = convert_model_config_to_dict_config(config)
        config = maybe_update_config_version(config)  # a resolved deep copy in struct mode
        extra = {} if trainer is None else {"trainer": trainer}
        if "_target_" in config:
            nested = default_nested_bases()
            bases = nested if cls is Serialization else (cls, *nested)
            target = resolve_target(config["_target_"], bases, f"{key}._target_" if key else "_target_")
            if isinstance(target, type) and cls is not Serialization and target is not cls and issubclass(cls, target):
                with open_dict(config):  # a base of cls was named: build the more specific class asked for
                    config["_target_"] = _class_path(cls)
            instance = build_from_config(config, bases, key, **extra)
        elif "target" in config:
            instance = cls._model_target(config)(cfg=config, **extra)
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
