"""Reading a ``.nemo`` back into a model: the config to build from, the class to build and whether the weights fit.

Archives are untrusted input, so the class named by the config's ``target`` is only ever the class
``restore_from`` was called on or one of its subclasses, and no module outside ``nemo`` is imported to find it.
"""

import contextlib
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.archive import ArchiveError, NemoArchive
from nemo.core.classes.construction import resolve_target
from nemo.utils import logging

__all__ = [
    "class_path",
    "load_restore_config",
    "refuse_resolvers",
    "resolve_restore_target",
    "load_checked_state_dict",
    "build_with_weights",
]


def class_path(klass: type) -> str:
    """``"<module>.<qualified name>"``, the form stored as ``target`` in model configs."""
    return f"{klass.__module__}.{klass.__qualname__}"


def _loaded_class(path: str) -> Any:
    """The object at dotted ``path`` if its module is already imported (never imports anything), else None."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:split]))
        if module is not None:
            obj: Any = module
            for attribute in parts[split:]:
                obj = getattr(obj, attribute, None)
            return obj
    return None


def _subclass_named(base: type, path: str) -> Optional[type]:
    pending, seen = [base], set()
    while pending:
        klass = pending.pop()
        if klass in seen:
            continue
        seen.add(klass)
        if class_path(klass) == path:
            return klass
        pending.extend(klass.__subclasses__())
    return None


def _resolver_calls(value: str) -> List[str]:
    """The resolver names (``oc.env``, ...) called by the interpolations in ``value``; plain ``${key}`` calls none."""
    from omegaconf import grammar_parser
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

    try:
        tree = grammar_parser.parse(value)
    except Exception:  # noqa: BLE001 - not valid interpolation syntax: OmegaConf treats it as text or fails later
        return []
    names, pending = [], [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, OmegaConfGrammarParser.InterpolationResolverContext):
            names.append(node.resolverName().getText())
        pending.extend(getattr(node, "children", None) or [])
    return names


def refuse_resolvers(conf: Any, origin: str, where: str = "") -> None:
    """Refuse any interpolation that calls a resolver (``${oc.env:...}``, ``${oc.create:...}``...) in ``conf``.

    Resolving them would read the restoring machine (its environment, files) into a model that may later be saved
    and shared; plain ``${key}`` references are kept. ``conf`` is a raw (unresolved) container.
    """
    if isinstance(conf, Mapping):
        for key, value in conf.items():
            refuse_resolvers(value, origin, f"{where}.{key}" if where else str(key))
    elif isinstance(conf, list):
        for index, value in enumerate(conf):
            refuse_resolvers(value, origin, f"{where}[{index}]")
    elif isinstance(conf, str) and "${" in conf:
        names = _resolver_calls(conf)
        if names:
            raise ArchiveError(
                f"{origin}: config key '{where}' calls the resolver {names[0]!r} ({conf!r}); a restored config may "
                "only hold plain ${key} references. Pass trusted=True to restore_from if you trust this archive"
            )


def load_restore_config(
    archive: NemoArchive, override: Optional[Union[str, DictConfig, Mapping]], trusted: bool = False
) -> DictConfig:
    """The resolved struct-mode config: the archive's ``model_config.yaml`` or ``override`` (its ``model`` node).

    An archive's own config may not call resolvers (see ``refuse_resolvers``) unless ``trusted``; an override comes
    from the caller and is resolved as given.
    """
    if override is None:
        try:
            conf = OmegaConf.create(archive.read_config())  # OmegaConf's YAML loader is a yaml.SafeLoader
        except ArchiveError:
            raise
        except Exception as err:
            raise ArchiveError(f"{archive.path}: model_config.yaml is not a valid config: {err}") from err
    elif isinstance(override, (DictConfig, Mapping)):
        conf = OmegaConf.create(override)
    else:
        if not Path(override).is_file():
            raise FileNotFoundError(f"override_config_path {override} does not exist")
        conf = OmegaConf.load(override)
    if not isinstance(conf, DictConfig):
        raise ValueError(f"The config to restore from must be a mapping, got {type(conf).__name__}")
    if override is None and not trusted:
        refuse_resolvers(OmegaConf.to_container(conf, resolve=False), str(archive.path))
    if "model" in conf:
        conf = conf.model
    conf = OmegaConf.create(OmegaConf.to_container(conf, resolve=True))
    OmegaConf.set_struct(conf, True)
    return conf


def resolve_restore_target(cls: type, conf: DictConfig) -> type:
    """``cls``, or the subclass of ``cls`` that ``conf.target`` names; anything else is refused."""
    target = conf.get("target")
    if not target:
        return cls
    target = str(target)
    found = _subclass_named(cls, target)
    if found is not None:
        return found
    klass = _loaded_class(target)
    if klass is None and target.startswith("nemo."):
        with contextlib.suppress(ImportError):
            klass = resolve_target(target, object, "target")  # the checks below decide
    if klass is None:
        if getattr(cls, "__abstractmethods__", None):
            raise ValueError(
                f"The config's target {target!r} is not a loaded subclass of {class_path(cls)}; import the module "
                "that defines it, or call restore_from on that class"
            )
        logging.warning(f"The config's target {target!r} is not loaded; restoring it as {class_path(cls)}")
        return cls
    if isinstance(klass, type) and issubclass(klass, cls):
        return klass
    if isinstance(klass, type) and issubclass(cls, klass):
        return cls
    raise ValueError(
        f"The config's target {target!r} is not {class_path(cls)} or a subclass of it; "
        f"{cls.__name__}.restore_from refuses to build classes outside its hierarchy"
    )


def load_checked_state_dict(
    model: torch.nn.Module, state_dict: Dict[str, torch.Tensor], strict: bool, origin: Path, assign: bool = False
) -> None:
    """``model.load_state_dict`` with one error listing every missing/unexpected key and every shape mismatch.

    Shape mismatches are errors even with ``strict=False``; missing/unexpected keys then only warn.
    """
    own = model.state_dict()
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    mismatched = [
        f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}"
        for key, value in state_dict.items()
        if key in own and isinstance(value, torch.Tensor) and value.shape != own[key].shape
    ]
    problems = [f"shape mismatches: {mismatched}"] if mismatched else []
    if strict and missing:
        problems.append(f"missing keys: {missing}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {unexpected}")
    if problems:
        hint = "" if mismatched else " (pass strict=False to load the matching keys only)"
        raise RuntimeError(f"The weights in {origin} do not fit {type(model).__name__}: {'; '.join(problems)}{hint}")
    if missing or unexpected:
        logging.warning(f"Loading {origin} with strict=False: missing keys {missing}, unexpected keys {unexpected}")
    model.load_state_dict(state_dict, strict=strict, assign=assign)


def _has_shared_tensors(model: torch.nn.Module) -> bool:
    """Tied weights (one Parameter under two names) would come apart when loading with ``assign=True``."""
    named = list(model.named_parameters(remove_duplicate=False)) + list(model.named_buffers(remove_duplicate=False))
    return len({id(tensor) for _, tensor in named}) != len(named)


def _still_on_meta(model: torch.nn.Module) -> bool:
    """Any parameter, buffer or plain tensor attribute (e.g. a torchmetrics state) left on the meta device."""
    tensors = list(model.parameters()) + list(model.buffers())
    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, torch.Tensor):
                tensors.append(value)
            elif isinstance(value, (list, tuple)):
                tensors.extend(item for item in value if isinstance(item, torch.Tensor))
    return any(tensor.is_meta for tensor in tensors)


def build_with_weights(
    build: Callable[[], torch.nn.Module], state_dict: Dict[str, torch.Tensor], strict: bool, origin: Path
) -> torch.nn.Module:
    """Build a model and load ``state_dict`` into it, without paying for a random initialisation.

    The model is first built on the ``meta`` device and the loaded tensors are assigned in place of its parameters,
    so restoring holds one copy of the weights and skips initialising them. Constructors that cannot run on
    ``meta``, tied weights, and tensors the state dict does not cover (non-persistent buffers, ``strict=False``) fall
    back to an ordinary build and copy.
    """
    try:
        with torch.device("meta"):
            model = build()
    except Exception as err:  # any constructor that needs real data: build normally below
        logging.debug(f"Restoring {origin}: building on the meta device failed ({err}); building normally")
        model = None
    if model is not None and not _has_shared_tensors(model):
        load_checked_state_dict(model, state_dict, strict, origin, assign=True)
        if not _still_on_meta(model):
            return model
    model = build()
    load_checked_state_dict(model, state_dict, strict, origin)
    return model
