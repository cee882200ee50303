"""Reading a ``.nemo`` back into a model: the config to build from, the class to build and whether the weights fit.

Archives are untrusted input, so the class named by the config's ``target`` is only ever the class
``restore_from`` was called on or one of its subclasses, and no module outside ``nemo`` is imported to find it.
"""

import contextlib
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.core.archive import ArchiveError, NemoArchive
from nemo.core.classes.construction import renamed_target, resolve_target
from nemo.utils import logging

__all__ = [
    "class_path",
    "load_restore_config",
    "refuse_resolvers",
    "resolve_restore_target",
    "load_checked_state_dict",
    "STATE_DICT_UPGRADE_HOOK",
    "upgrade_state_dict",
    "build_with_weights",
    "BUFFER_HOOK",
    "materialize_buffers",
    "meta_tensors",
    "named_tensors",
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
    """``cls``, or the subclass of ``cls`` that ``conf.target`` names; anything else is refused.

    A ``target`` registered with ``nemo.core.classes.construction.register_renamed_target`` (a model class NVIDIA
    NeMo keeps under another module path) is looked up under its new path; the old one is never imported.
    """
    target = conf.get("target")
    if not target:
        return cls
    target = renamed_target(str(target))
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


STATE_DICT_UPGRADE_HOOK = "upgrade_state_dict"
"""Name of the method a submodule defines to rename the weights of an older layout (see ``upgrade_state_dict``)."""


def upgrade_state_dict(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """``state_dict`` after every submodule of ``model`` that defines ``upgrade_state_dict(state_dict, prefix)``
    (``STATE_DICT_UPGRADE_HOOK``) renamed the entries of its older layouts, e.g. NeMo 1.0's flat HiFi-GAN residual
    blocks; ``prefix`` is the submodule's path in ``model`` (``"generator."``). An explicit table, like the class
    renames of ``nemo.core.classes.construction.register_renamed_target``: only keys a module knows are renamed."""
    for path, module in model.named_modules():
        if callable(getattr(type(module), STATE_DICT_UPGRADE_HOOK, None)):
            state_dict = getattr(module, STATE_DICT_UPGRADE_HOOK)(state_dict, f"{path}." if path else "")
    return state_dict


def load_checked_state_dict(
    model: torch.nn.Module, state_dict: Dict[str, torch.Tensor], strict: bool, origin: Path, assign: bool = False
) -> None:
    """``model.load_state_dict`` with one error listing every missing/unexpected key and every shape mismatch.

    Shape mismatches are errors even with ``strict=False``; missing/unexpected keys then only warn. Older weight
    layouts the model's modules know are renamed first (``upgrade_state_dict``).
    """
    state_dict = upgrade_state_dict(model, state_dict)
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


BUFFER_HOOK = "reset_buffers"
"""Name of the method a module defines to (re)compute the tensors that are not weights (see ``build_with_weights``)."""


def _tensor_items(value: Any) -> List[Tuple[str, torch.Tensor]]:
    """``(suffix, tensor)`` for a tensor attribute, or the tensors held in a list, tuple or dict attribute."""
    if isinstance(value, torch.Tensor):
        return [("", value)]
    if isinstance(value, (list, tuple)):
        return [(f"[{index}]", item) for index, item in enumerate(value) if isinstance(item, torch.Tensor)]
    if isinstance(value, dict):
        return [(f"[{key!r}]", item) for key, item in value.items() if isinstance(item, torch.Tensor)]
    return []


def _own_tensors(module: torch.nn.Module, prefix: str = "") -> List[Tuple[str, torch.Tensor]]:
    """``(qualified name, tensor)`` of the tensors ``module`` itself holds (not its children's): parameters, buffers
    and plain tensor attributes (a torchmetrics state and its default, a weight-norm ``weight``...)."""
    found = []
    for name, value in vars(module).items():
        if name in ("_parameters", "_buffers"):
            found += [(f"{prefix}{key}", tensor) for key, tensor in value.items() if tensor is not None]
        elif name != "_modules":
            found += [(f"{prefix}{name}{suffix}", tensor) for suffix, tensor in _tensor_items(value)]
    return found


def named_tensors(model: torch.nn.Module) -> List[Tuple[str, torch.Tensor]]:
    """Every tensor of ``model`` by qualified name: what ``named_parameters`` and ``named_buffers`` give (tied ones
    under each name) plus plain tensor attributes, e.g. metric states."""
    return [item for path, module in model.named_modules() for item in _own_tensors(module, path and f"{path}.")]


def meta_tensors(model: torch.nn.Module) -> List[str]:
    """Qualified names of every tensor of ``model`` still on the meta device (empty once it is fully built)."""
    return [name for name, tensor in named_tensors(model) if tensor.is_meta]


def _tied_groups(model: torch.nn.Module) -> List[List[str]]:
    """Names sharing one Parameter or buffer (tied weights), each group in ``load_state_dict``'s order."""
    groups: Dict[int, List[str]] = {}
    named = list(model.named_parameters(remove_duplicate=False)) + list(model.named_buffers(remove_duplicate=False))
    for name, tensor in named:
        groups.setdefault(id(tensor), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def _retie(model: torch.nn.Module, groups: List[List[str]]) -> None:
    """Make each group of tied names share one tensor again: ``load_state_dict(assign=True)`` gives every name its own.

    The last loaded one is kept, the one an ordinary ``load_state_dict`` (which copies into the shared tensor name
    after name) would leave.
    """
    for names in groups:
        slots = []
        for name in names:
            path, _, leaf = name.rpartition(".")
            module = model.get_submodule(path)
            slots.append((module._parameters if leaf in module._parameters else module._buffers, leaf))
        loaded = [table[leaf] for table, leaf in slots if not table[leaf].is_meta]
        if loaded:
            for table, leaf in slots:
                table[leaf] = loaded[-1]


def _recompute_normalized_weights(module: torch.nn.Module) -> None:
    """``torch.nn.utils.weight_norm``/``spectral_norm`` keep the normalized weight as a plain attribute computed from
    their parameters; recompute it from the assigned ones (as their forward pre-hook does, without a power step)."""
    from torch.nn.utils.spectral_norm import SpectralNorm
    from torch.nn.utils.weight_norm import WeightNorm

    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, (WeightNorm, SpectralNorm)) and getattr(module, hook.name).is_meta:
            if isinstance(hook, WeightNorm):
                weight = hook.compute_weight(module)
            else:
                weight = hook.compute_weight(module, do_power_iteration=False)
            setattr(module, hook.name, weight)


def materialize_buffers(model: torch.nn.Module, device: Union[str, torch.device] = "cpu") -> None:
    """Recompute, on ``device``, the tensors a meta-device build left on ``meta`` that are not weights.

    Each module holding such tensors itself and defining ``reset_buffers()`` (``BUFFER_HOOK``) has it called, children
    before their parents (a parent's buffer may be derived from a child's), inside ``with torch.device(device)``;
    weight-normalized and spectral-normalized weights are recomputed from their parameters.
    """
    with torch.device(device):
        for module in reversed(list(model.modules())):
            hook = getattr(module, BUFFER_HOOK, None)
            if callable(hook) and any(tensor.is_meta for _, tensor in _own_tensors(module)):
                hook()
            _recompute_normalized_weights(module)


def _weights_device(state_dict: Mapping[str, Any]) -> torch.device:
    for value in state_dict.values():
        if isinstance(value, torch.Tensor):
            return value.device
    return torch.device("cpu")


def build_with_weights(
    build: Callable[[], torch.nn.Module],
    state_dict: Dict[str, torch.Tensor],
    strict: bool,
    origin: Path,
    name: str = "the model",
) -> torch.nn.Module:
    """Build a model once and load ``state_dict`` into it, without paying for a random initialisation.

    ``build()`` runs under ``with torch.device("meta")``: parameters and buffers get shapes but no memory, and no
    initialiser runs. The loaded tensors are then assigned in place of the parameters and persistent buffers
    (``load_state_dict(assign=True)``), so restoring holds one copy of the weights; tied weights are tied again.
    What the state dict does not cover is then computed for real by ``materialize_buffers``:

    * a module whose constructor makes tensors that are not weights (a window, a mel filterbank, a positional
      frequency table: non-persistent buffers; a torchmetrics state) defines ``reset_buffers()``, the buffers'
      counterpart of torch's ``reset_parameters()``: it (re)computes exactly those tensors with the default device,
      its constructor calls it, and it is called here after the weights are assigned, under the weights' device;
    * ``torch.nn.utils.weight_norm``/``spectral_norm`` weights are recomputed from their assigned parameters.

    Constructors must therefore run on ``meta``: no ``.item()``, ``.tolist()``, numpy conversion or data-dependent
    branch on a tensor they create (compute such values in Python, or on an explicit ``device="cpu"`` scalar).

    When the constructor fails on ``meta``, or a tensor stays on ``meta`` (a module without ``reset_buffers``,
    parameters missing from the state dict with ``strict=False``), the model is built a second time normally and the
    weights copied in (a random init and about twice the weights' memory); that logs one WARNING naming ``name``
    (the model class) and the cause, so the fix (make the constructor meta-safe, add ``reset_buffers``) is visible.
    """
    try:
        with torch.device("meta"):
            model = build()
    except Exception as err:  # any constructor that needs real data: build normally below
        reason = f"its constructor fails on the meta device ({type(err).__name__}: {err})"
    else:
        ties = _tied_groups(model)
        load_checked_state_dict(model, state_dict, strict, origin, assign=True)
        _retie(model, ties)
        materialize_buffers(model, _weights_device(state_dict))
        left = meta_tensors(model)
        if not left:
            return model
        shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        reason = (
            f"{shown} stayed on the meta device after the weights were assigned (not in the weights, and no "
            f"{BUFFER_HOOK}() of their module recomputed them)"
        )
        del model
    logging.warning(
        f"Restoring {name} from {origin}: {reason}; building it a second time normally (random init, then a copy of "
        "the weights: about twice their memory). See nemo.core.classes.restore.build_with_weights"
    )
    model = build()
    load_checked_state_dict(model, state_dict, strict, origin)
    return model
