"""The one checked path that builds objects from config nodes (every ``_target_`` read from a config goes here).

Configs come from users' YAML files and from ``.nemo`` archives, and restoring an archive must never run code. So a
``_target_`` must name a class (never a function such as ``os.makedirs``), the class must derive from one of the bases
the caller names for that node (a mel front end, a dataset, a tokenizer, an optimizer...), nested ``_target_`` nodes
are checked the same way, and only when the whole node passed is anything called. While an archive is restored, a
``_target_`` whose module is not imported yet is imported only from the ``nemo`` and ``torch`` namespaces, so naming
a module cannot run its import-time code either.

A user who trusts a config completely opts out with ``trusted_config()`` (or ``restore_from(..., trusted=True)``):
then any importable callable is built, as Hydra's ``instantiate`` would.

Class paths that NVIDIA NeMo writes into configs and archives but that name another module here (NeMo's
``nemo.collections.tts.modules.hifigan_modules.Generator`` is ``nemo.collections.tts.modules.hifigan.Generator``) go
through an explicit table of known renames, ``register_renamed_target(old, new)``, consulted before anything is
imported: the old path is never imported, and only a path some collection registered is rewritten. A collection
registers its renames in the module that defines the new class.

Hydra's special keys are honoured: ``_args_`` (positional arguments), ``_recursive_`` (build nested nodes first,
default true), ``_convert_`` (``none`` passes nested configs as OmegaConf objects, ``partial``/``all`` as plain
containers) and ``_partial_`` (return a ``functools.partial`` of the checked class).
"""

import contextlib
import contextvars
import functools
import sys
import types
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from omegaconf import DictConfig, ListConfig, OmegaConf

from nemo.utils.model_utils import import_class_by_path

__all__ = [
    "ConfigTargetError",
    "archive_config",
    "build_from_config",
    "buildable_bases",
    "check_targets",
    "default_nested_bases",
    "is_trusted",
    "register_buildable_base",
    "register_renamed_target",
    "renamed_target",
    "renamed_targets",
    "resolve_target",
    "scoped_renames",
    "trusted_config",
]

_SPECIAL_KEYS = ("_target_", "_args_", "_recursive_", "_convert_", "_partial_")
# Namespaces whose modules an archive's config may make us import: our own packages and torch's.
_ARCHIVE_IMPORTABLE = ("nemo.", "torch.")

_TRUSTED: contextvars.ContextVar[bool] = contextvars.ContextVar("nemo_trusted_config", default=False)
_FROM_ARCHIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("nemo_config_from_archive", default=False)

# A class, a tuple of classes, or a function returning the tuple (called after the target's module is imported, so
# bases that module registers count).
Bases = Union[type, Tuple[type, ...], Callable[[], Tuple[type, ...]]]


class ConfigTargetError(ValueError):
    """A config's ``_target_`` was refused: it names no class, or a class outside the bases allowed for its key."""


@contextlib.contextmanager
def trusted_config() -> Iterator[None]:
    """Build whatever configs name inside this block (any importable callable): only for configs you trust."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


@contextlib.contextmanager
def archive_config() -> Iterator[None]:
    """Mark configs built inside this block as read from an archive (``restore_from`` uses it): no new imports
    outside the ``nemo`` and ``torch`` namespaces."""
    token = _FROM_ARCHIVE.set(True)
    try:
        yield
    finally:
        _FROM_ARCHIVE.reset(token)


def is_trusted() -> bool:
    """Whether the current block opted out of the checks with ``trusted_config()``."""
    return _TRUSTED.get()


def default_nested_bases() -> Tuple[type, ...]:
    """What a nested ``_target_`` may build unless the caller says otherwise: modules, datasets, serializables."""
    import torch

    from nemo.core.classes.serialization import Serialization

    return (torch.nn.Module, torch.utils.data.Dataset, Serialization)


_EXTRA_BUILDABLE: list = []


def register_buildable_base(*bases: type) -> None:
    """Add classes whose subclasses some config key of a collection builds (e.g. the TTS text tokenizers' base).

    ``restore_from`` checks every ``_target_`` of an archive against ``buildable_bases()`` before building anything,
    so a collection registers the bases of the nodes it builds when it defines them.
    """
    for base in bases:
        if base not in _EXTRA_BUILDABLE:
            _EXTRA_BUILDABLE.append(base)


def buildable_bases() -> Tuple[type, ...]:
    """Every kind of class some config key may build: modules, datasets, serializables, optimizers, schedulers and
    their params dataclasses, and what was registered (tokenizers...)."""
    import torch

    from nemo.core.config.optimizers import OptimizerParams
    from nemo.core.config.schedulers import ReduceLROnPlateauParams, SchedulerParams

    kinds = (torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler, OptimizerParams, SchedulerParams)
    # The tokenizers' interface lives in nemo.collections.common, which nemo.core may not import: while its module is
    # not loaded, no class can derive from it anyway.
    spec = getattr(sys.modules.get("nemo.collections.common.tokenizers.tokenizer_spec"), "TokenizerSpec", None)
    tokenizers = (spec,) if spec is not None else ()
    return (*default_nested_bases(), *kinds, ReduceLROnPlateauParams, *tokenizers, *_EXTRA_BUILDABLE)


_RENAMED: Dict[str, str] = {}
_SCOPED: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "nemo_scoped_renames", default=types.MappingProxyType({})
)


def _is_class_path(path: Any) -> bool:
    return isinstance(path, str) and all(part.isidentifier() for part in path.split(".")) and "." in path


def register_renamed_target(old_path: str, new_path: str) -> None:
    """Resolve the class path ``old_path`` (as NVIDIA NeMo writes it in a ``_target_`` or a model's ``target``) as
    ``new_path``, without ever importing ``old_path``.

    Both are dotted class paths; registering the same pair again is a no-op, pointing ``old_path`` elsewhere (or
    chaining renames) is a ``ValueError``. The new class must still derive from the bases the config key allows.
    """
    if not (_is_class_path(old_path) and _is_class_path(new_path)):
        raise ValueError(f"register_renamed_target needs two dotted class paths, got {old_path!r} -> {new_path!r}")
    if old_path == new_path:
        raise ValueError(f"register_renamed_target: {old_path!r} is renamed to itself")
    known = _RENAMED.get(old_path)
    if known == new_path:
        return
    if known is not None:
        raise ValueError(f"{old_path!r} is already renamed to {known!r}; refusing to rename it to {new_path!r}")
    if new_path in _RENAMED or old_path in _RENAMED.values():
        raise ValueError(f"register_renamed_target: {old_path!r} -> {new_path!r} would chain renames")
    _RENAMED[old_path] = new_path


@contextlib.contextmanager
def scoped_renames(renames: Mapping[str, str]) -> Iterator[None]:
    """Within the block, also resolve each old class path of ``renames`` as its new one, never importing the old.

    For a rename that must not hold process-wide: NeMo's FastPitch archives name nemo-asr's
    ``AudioToMelSpectrogramPreprocessor``, a real class of a sibling collection, which only the TTS model reads as
    its own front end. ``ModelPT.restore_from`` applies the restored class's ``archive_target_renames`` so.
    """
    token = _SCOPED.set({**_SCOPED.get(), **renames})
    try:
        yield
    finally:
        _SCOPED.reset(token)


def _rename_of(path: str) -> Optional[str]:
    return _SCOPED.get().get(path) or _RENAMED.get(path)


def renamed_target(path: Any) -> Any:
    """The class path to import for ``path``: its rename (scoped or registered), else ``path`` itself."""
    return (_rename_of(path) or path) if isinstance(path, str) else path


def renamed_targets() -> Mapping[str, str]:
    """A copy of the table of known renames (old class path -> new class path) registered so far."""
    return dict(_RENAMED)


def _names(bases: Tuple[type, ...]) -> str:
    return ", ".join(f"{base.__module__}.{base.__qualname__}" for base in bases)


def _import_target(path: Any, key: str) -> Any:
    if not isinstance(path, str):
        raise ConfigTargetError(f"Config key '{key}' must be a dotted class path string, got {path!r}")
    new_path = _rename_of(path)
    if new_path is not None:  # a known rename: the old path is never imported
        try:
            return import_class_by_path(new_path)
        except ImportError as err:
            raise ImportError(f"Config key '{key}': {path!r} (known as {new_path!r}): {err}") from err
    if _FROM_ARCHIVE.get() and not _TRUSTED.get():
        if path.rsplit(".", 1)[0] not in sys.modules and not path.startswith(_ARCHIVE_IMPORTABLE):
            raise ConfigTargetError(
                f"Config key '{key}' names {path!r}, whose module is not imported; a restored archive may only "
                f"import modules under {', '.join(p.rstrip('.') for p in _ARCHIVE_IMPORTABLE)}. Import it first, or "
                "pass trusted=True to restore_from if you trust this archive"
            )
    try:
        return import_class_by_path(path)
    except ImportError as err:
        raise ImportError(f"Config key '{key}': {err}") from err


def resolve_target(path: Any, bases: Bases, key: str) -> Any:
    """The class ``path`` names, if it is a class deriving from one of ``bases``; else ``ConfigTargetError``.

    ``key`` is the config key path the target was read from, for the error. Under ``trusted_config()`` any importable
    callable is returned.
    """
    target = _import_target(path, key)
    bases = _as_tuple(bases)
    if _TRUSTED.get():
        if not callable(target):
            raise ConfigTargetError(f"Config key '{key}' names {path!r}, which is not callable")
        return target
    if not isinstance(target, type):
        raise ConfigTargetError(
            f"Config key '{key}' names {path!r}, which is not a class ({type(target).__name__}); a config may only "
            f"build classes deriving from {_names(bases)}"
        )
    if not issubclass(target, bases):
        raise ConfigTargetError(
            f"Config key '{key}' names {path!r}, which does not derive from any allowed base ({_names(bases)}); "
            "refusing to build it from a config"
        )
    return target


def _as_tuple(bases: Bases) -> Tuple[type, ...]:
    if isinstance(bases, tuple):
        return bases
    if isinstance(bases, type):
        return (bases,)
    return tuple(bases())


def _join(where: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def check_targets(node: Any, bases: Bases, where: str, nested_bases: Optional[Bases] = None) -> Dict[str, Any]:
    """Resolve and check every ``_target_`` in ``node`` (the top one against ``bases``) without building anything.

    Returns the classes, keyed by the config key path of each ``_target_``, so a build resolves nothing twice.
    """
    nested = default_nested_bases() if nested_bases is None else nested_bases
    resolved: Dict[str, Any] = {}
    _resolve_targets(node, bases, where, nested, resolved)
    return resolved


def _resolve_targets(node: Any, bases: Bases, where: str, nested: Bases, resolved: Dict[str, Any]) -> None:
    if isinstance(node, DictConfig):
        if "_target_" in node:
            key = _join(where, "_target_")
            resolved[key] = resolve_target(node["_target_"], bases, key)
            if node.get("_recursive_", True) is False:
                return
        for key, value in node.items():
            if key not in _SPECIAL_KEYS or key == "_args_":
                _resolve_targets(value, nested, _join(where, key), nested, resolved)
    elif isinstance(node, ListConfig):
        for index, value in enumerate(node):
            _resolve_targets(value, nested, _join(where, index), nested, resolved)


def _has_target(node: Any) -> bool:
    if isinstance(node, DictConfig):
        return "_target_" in node or any(_has_target(value) for value in node.values())
    if isinstance(node, ListConfig):
        return any(_has_target(value) for value in node)
    return False


def _argument(node: Any, convert: str, where: str, classes: Mapping[str, Any]) -> Any:
    """A constructor argument from a config value: nested targets built, containers converted as ``_convert_`` says."""
    if isinstance(node, DictConfig) and "_target_" in node:
        return _build(node, where, classes, {}, ())
    if not isinstance(node, (DictConfig, ListConfig)):
        return node
    if convert == "none" and not _has_target(node):
        return node
    if isinstance(node, DictConfig):
        return {key: _argument(value, convert, _join(where, key), classes) for key, value in node.items()}
    return [_argument(value, convert, _join(where, index), classes) for index, value in enumerate(node)]


def _build(node: DictConfig, where: str, classes: Mapping[str, Any], kwargs: dict, args: Sequence) -> Any:
    """Call the class ``check_targets`` resolved for ``node`` (``classes``) with the node's arguments."""
    target = classes[_join(where, "_target_")]
    recursive = bool(node.get("_recursive_", True))
    convert = str(node.get("_convert_", "none")).lower()
    if convert not in ("none", "partial", "all", "object"):
        raise ValueError(
            f"Config key '{_join(where, '_convert_')}' must be none, partial, all or object, got {convert}"
        )
    positional = list(args)
    if node.get("_args_") is not None:
        values = node["_args_"]
        positional += [
            _argument(value, convert, _join(where, f"_args_[{i}]"), classes) if recursive else value
            for i, value in enumerate(values)
        ]
    keywords = {}
    for key, value in node.items():
        if key in _SPECIAL_KEYS:
            continue
        keywords[key] = _argument(value, convert, _join(where, key), classes) if recursive else value
    keywords.update(kwargs)
    if node.get("_partial_", False):
        return functools.partial(target, *positional, **keywords)
    return target(*positional, **keywords)


def build_from_config(
    config: Any,
    bases: Bases,
    key: str,
    *args: Any,
    nested_bases: Optional[Bases] = None,
    **kwargs: Any,
) -> Any:
    """Build the object a ``_target_`` config node describes, after checking every target in it.

    Args:
        config: a DictConfig, dict or dataclass holding ``_target_`` (legacy ``cls``/``params`` nodes are upgraded).
        bases: the classes the top-level target must derive from.
        key: the config key path of ``config`` (e.g. ``"model.preprocessor"``), named in errors.
        *args: positional arguments passed before the config's ``_args_`` (e.g. an optimizer's parameters).
        nested_bases: what nested ``_target_`` nodes may build; modules, datasets and serializables by default.
        **kwargs: keyword arguments that override the config's keys.
    """
    from nemo.utils.model_utils import convert_model_config_to_dict_config, maybe_update_config_version

    node = maybe_update_config_version(convert_model_config_to_dict_config(config))
    if "_target_" not in node:
        raise ConfigTargetError(f"Config key '{key}' needs a `_target_` class path, got keys {list(node.keys())}")
    OmegaConf.set_struct(node, False)
    classes = check_targets(node, bases, key, nested_bases)  # every target checked before anything is called
    return _build(node, key, classes, kwargs, args)
