"""Config conversion and class lookup helpers shared by ``Serialization``, ``ModelPT`` and the collections."""

import copy
import dataclasses
import importlib
import re
from typing import TYPE_CHECKING, Any, List, Set

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import InterpolationToMissingValueError

if TYPE_CHECKING:
    from nemo.core.classes.model import PretrainedModelInfo

__all__ = [
    "maybe_update_config_version",
    "convert_model_config_to_dict_config",
    "import_class_by_path",
    "resolve_subclass_pretrained_model_info",
]


def _convert_legacy_node(node: Any) -> None:
    """In place: ``cls`` -> ``_target_`` and a ``params`` mapping merged into its parent, at every depth."""
    if isinstance(node, DictConfig):
        if "cls" in node and "_target_" not in node:
            node["_target_"] = node.pop("cls")
        params = node.get("params") if "params" in node else None
        if isinstance(params, DictConfig):
            node.pop("params")
            for key, value in params.items():
                node[key] = value
        for key in list(node.keys()):
            if not OmegaConf.is_missing(node, key):  # a mandatory `???` value has nothing to convert
                _convert_legacy_node(node[key])
    elif isinstance(node, ListConfig):
        for value in node:
            _convert_legacy_node(value)


def maybe_update_config_version(cfg: Any) -> Any:
    """Return a deep copy of ``cfg`` with Hydra-0.x ``cls``/``params`` nodes rewritten to ``_target_`` + flat keys.

    Old ``.nemo`` archives use the legacy form. The copy is in struct mode. ``None`` is returned unchanged, and so is
    anything OmegaConf cannot turn into a config.
    """
    if cfg is None:
        return None
    if not isinstance(cfg, DictConfig):
        try:
            cfg = OmegaConf.create(cfg)
        except Exception:  # not config-like (e.g. a scalar): nothing to convert
            return cfg
        if not isinstance(cfg, DictConfig):
            return cfg
    cfg = copy.deepcopy(cfg)
    OmegaConf.set_struct(cfg, False)
    _convert_legacy_node(cfg)
    OmegaConf.set_struct(cfg, True)
    return cfg


def convert_model_config_to_dict_config(cfg: Any) -> DictConfig:
    """Turn a DictConfig, dict or dataclass (class or instance) into a resolved, plain (non-structured) DictConfig.

    Raises ``ValueError`` naming the type for anything else, and naming the key when an interpolation points to a
    ``???`` value that was never set.
    """
    if isinstance(cfg, DictConfig):
        config = cfg
    elif isinstance(cfg, dict):
        config = OmegaConf.create(cfg)
    elif dataclasses.is_dataclass(cfg):
        config = OmegaConf.structured(cfg)
    else:
        raise ValueError(
            f"Model config must be an omegaconf DictConfig, a dict or a dataclass, got {type(cfg).__module__}."
            f"{type(cfg).__qualname__}"
        )
    try:
        container = OmegaConf.to_container(config, resolve=True)
    except InterpolationToMissingValueError as err:
        # e.g. a TTS example's `manifest_filepath: ${train_dataset}` with `train_dataset: ???` never set
        missing = re.search(r"Missing mandatory value: (\S+)", str(err.msg))
        target = missing.group(1) if missing else "the value it points to"
        raise ValueError(
            f"{err.full_key} points to {target}, which is '???' (mandatory) and was never set: set {target}=<value>"
        ) from None
    return OmegaConf.create(container)


def import_class_by_path(path: str) -> Any:
    """Import ``"package.module.Class"`` (nested attributes such as ``module.Outer.Inner`` work too).

    Raises ``ImportError`` naming the path when no prefix is an importable module or an attribute is missing.
    """
    if not isinstance(path, str) or "." not in path or path.startswith(".") or path.endswith("."):
        raise ImportError(f"Expected a dotted class path such as 'package.module.Class', got {path!r}")
    parts = path.split(".")
    module = None
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            # only "this prefix is not a module" means "try a shorter prefix"; a broken import inside it must surface
            if err.name is not None and not (module_name == err.name or module_name.startswith(err.name + ".")):
                raise
            continue
        break
    if module is None:
        raise ImportError(f"Cannot import {path!r}: no leading part of it is an importable module")
    obj: Any = module
    for attribute in parts[split:]:
        try:
            obj = getattr(obj, attribute)
        except AttributeError as err:
            raise ImportError(f"Cannot import {path!r}: {obj!r} has no attribute {attribute!r}") from err
    return obj


def resolve_subclass_pretrained_model_info(base_class: type) -> List["PretrainedModelInfo"]:
    """Collect ``list_available_models()`` of every (transitive) subclass of ``base_class``, sorted by name.

    Entries without ``class_`` get the subclass that listed them, so ``from_pretrained`` on the base class builds
    the right model. Each entry appears once.
    """
    found: Set[PretrainedModelInfo] = set()
    visited: Set[type] = set()

    def walk(klass: type) -> None:
        for subclass in klass.__subclasses__():
            if subclass in visited:
                continue
            visited.add(subclass)
            walk(subclass)
            for info in subclass.list_available_models() or []:
                if info.class_ is None:
                    info.class_ = subclass
                found.add(info)

    walk(base_class)
    return sorted(found)
