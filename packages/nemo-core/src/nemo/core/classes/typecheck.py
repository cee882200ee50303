"""The ``Typing`` interface and the ``@typecheck()`` decorator that enforces it.

Levels
    ``full`` (default): typed inputs by keyword only, every name known, every mandatory port present, container
    nesting, ranks, and the neural type a value carries (``value.neural_type``) accepted by the port (SAME or
    GREATER). Outputs are counted, checked for nesting and rank, and get ``.neural_type`` attached.
    ``shapes``: all of the above except the neural-type comparison. ``off``: the method is called directly.
    Set the level with ``typecheck.set_typecheck_level("full" | "shapes" | "off")`` or
    ``typecheck.set_typecheck_enabled(bool)``, for a block with ``typecheck.disable_checks()`` /
    ``typecheck.disable_semantic_checks()`` (both restore the previous level on exit, so they nest), or for a
    process with the environment variable ``NEMO_TYPECHECK`` (read once at import). The level is process-wide.
    Under ``torch.compile``/``torch.export``, ``torch.jit`` tracing or scripting and ONNX export the checks step
    aside, so no graph breaks and no Python attributes on traced tensors.

Caching
    ``input_types``/``output_types`` may depend on instance state. A property whose code never reads its instance
    (``nemo.core.classes.typecheck_plan``: no ``self``, closure, ``super()`` or frame introspection, the constant dicts
    most modules return) is read once per class, on the first checked call; any other is read on every call. What is
    derived from a types dict (``TypecheckMetadata``) is not recomputed. Each decorated method keeps, per class, its
    "Class.method" label and the metadata read once, and, per direction, (1) the last types dict it saw and its
    metadata, reused when a property returns the *identical* object again, and (2) a table keyed by a structural
    fingerprint of the dict (port names, nesting depths, the NeuralTypes by value and their ``optional`` flags), so
    properties that build a fresh but equal dict on every call also reuse metadata, while a property whose result
    really changes (e.g. with the sample rate) gets new metadata. Returned types dicts are therefore treated as
    immutable values: return a new dict to change types, never mutate the old one in place. Types whose parameters
    are unhashable have no fingerprint; their metadata is rebuilt per call (correct, just slower). The metadata also
    remembers, per port, which provided NeuralType objects it accepted; outputs are tagged with the metadata's own
    NeuralType objects, so a chain of typed modules keeps hitting that memo. Both tables are bounded.

Cost
    ``off`` adds nothing to a decorated method: switching checks off puts the undecorated function back into its
    class (and switching on puts the checking wrapper back; a few microseconds per decorated method). ``full`` adds
    about 1.7-1.9 µs to a NeMo-style 2-in/2-out module call on a slow CPU (NVIDIA NeMo 3.0: about 19-21 µs): plain
    tensors of the declared ranks, with neural types seen before, take a fast path (unrolled for methods of one or two
    ranked ports, ``TypecheckMetadata.fast_inputs``/``fast_outputs``, which the wrapper calls first); anything else
    gets every check in order. ``benchmarks/typecheck.py`` measures each level.
"""

from __future__ import annotations

import enum
import functools
import os
import sys
import weakref
from abc import ABC
from typing import Any, Callable, ContextManager, Dict, List, NoReturn, Optional, Tuple, TypeVar

import torch

from nemo.core.classes.typecheck_plan import DYNAMIC, static_types
from nemo.core.classes.typecheck_validation import MetadataCache, TypecheckMetadata, check_inputs, check_outputs
from nemo.utils.scoped import scoped

__all__ = ["Typing", "typecheck", "is_typecheck_enabled", "TypecheckMetadata"]

_OFF, _SHAPES, _FULL = 0, 1, 2
_LEVELS = {"off": _OFF, "shapes": _SHAPES, "full": _FULL}
_LEVEL_NAMES = {value: name for name, value in _LEVELS.items()}
_F = TypeVar("_F", bound=Callable[..., Any])


def _parse_level(level: Any, source: str) -> int:
    if isinstance(level, str) and level.strip().lower() in _LEVELS:
        return _LEVELS[level.strip().lower()]
    raise ValueError(f"{source}={level!r} is not a typecheck level; expected one of 'full', 'shapes', 'off'")


def _level_from_environment() -> int:
    raw = os.environ.get("NEMO_TYPECHECK", "")
    return _parse_level(raw, "environment variable NEMO_TYPECHECK") if raw.strip() else _FULL


_level: int = _level_from_environment()


def _get_level() -> int:
    return _level


def _set_level(level: int) -> None:
    """Change the process-wide level; switching checks on or off re-installs every decorated method."""
    global _level
    was_on, _level = bool(_level), level
    if was_on != bool(level):
        _TypecheckedMethod.install_all()


def is_typecheck_enabled() -> bool:
    """Whether ``@typecheck()`` checks anything (level ``full`` or ``shapes``)."""
    return _level != _OFF


def _onnx_export_probe() -> Callable[[], bool]:
    """``torch.onnx.is_in_onnx_export`` imports inside every call (~4 µs); read the flags it reads when they exist."""
    try:
        from torch.onnx._internal.exporter import _flags
        from torch.onnx._internal.torchscript_exporter._globals import GLOBALS

        def probe() -> bool:
            return bool(GLOBALS.in_onnx_export or _flags._is_onnx_exporting)

        probe()
        return probe
    except (ImportError, AttributeError):
        return torch.onnx.is_in_onnx_export


_onnx_probe: Optional[Callable[[], bool]] = None


def _in_onnx_export() -> bool:
    global _onnx_probe
    if "torch.onnx" not in _modules:  # no export can be running before torch.onnx is imported
        return False
    if _onnx_probe is None:
        _onnx_probe = _onnx_export_probe()
    return _onnx_probe()


# Looked up once: the wrapper asks them on every call. ``is_compiling`` comes first: dynamo folds it to True and
# never looks at the rest. TorchScript compiles the undecorated body (the wrapper is looked through), so torch's own
# tracing flag is read directly; ONNX export cannot run before ``torch.onnx`` is imported.
_is_compiling = torch.compiler.is_compiling
_is_tracing = torch._C._is_tracing
_modules = sys.modules
_Plan = Tuple[str, Any, Any]


def _refuse_positional(where: str, count: int, inputs: TypecheckMetadata) -> NoReturn:
    raise TypeError(
        f"{where}: all arguments must be passed by keyword for typed methods; got {count} positional argument(s), "
        f"expected keywords {list(inputs.original_types)}"
    )


class Typing(ABC):  # noqa: B024 - an interface with defaults, as in NeMo
    """Interface of objects whose methods declare neural types for their inputs and outputs.

    Override the properties to return ``{port name: NeuralType}`` dicts (ordered: outputs match by position). A port
    may also be a container declaration, a list nesting exactly one NeuralType (``[NT]``, ``[[NT]]``).
    """

    # torch.jit.script compiles every property of an nn.Module; these are Python-only metadata.
    __jit_unused_properties__ = ["input_types", "output_types"]

    @property
    def input_types(self) -> Optional[Dict[str, Any]]:
        """Input port name -> NeuralType (or container declaration); None when inputs are not typed."""
        return None

    @property
    def output_types(self) -> Optional[Dict[str, Any]]:
        """Output port name -> NeuralType (or container declaration); None when outputs are not typed."""
        return None

    def _validate_input_types(
        self, input_types: Optional[Dict[str, Any]] = None, ignore_collections: bool = False, **kwargs: Any
    ) -> None:
        """Fully check ``kwargs`` against ``input_types`` (what ``@typecheck()`` does before a call)."""
        if input_types is not None:
            where = f"{type(self).__name__}._validate_input_types"
            check_inputs(TypecheckMetadata(input_types, ignore_collections), kwargs, True, where)

    def _attach_and_validate_output_types(
        self, out_objects: Any, ignore_collections: bool = False, output_types: Optional[Dict[str, Any]] = None
    ) -> None:
        """Check ``out_objects`` against ``output_types`` and attach ``.neural_type`` (what happens after a call)."""
        if output_types is not None:
            where = f"{type(self).__name__}._attach_and_validate_output_types"
            check_outputs(TypecheckMetadata(output_types, ignore_collections), out_objects, where)


class _TypecheckedMethod:
    """What ``@typecheck()`` returns: it puts into its class either the checking wrapper or, at level ``off``, the
    undecorated function itself, and is put back whenever checks switch on or off, so ``off`` costs nothing per call.

    Where it is not a class attribute at class creation (a plain function, or wrapped again by another decorator) it
    stays a callable that checks the level on every call.
    """

    _installed: List[Tuple[weakref.ref, str, _TypecheckedMethod]] = []

    def __init__(self, wrapped: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
        functools.update_wrapper(self, wrapped)
        self._wrapped = wrapped
        self._wrapper = wrapper

    def __set_name__(self, owner: type, name: str) -> None:
        type(self)._installed.append((weakref.ref(owner), name, self))
        setattr(owner, name, self._current())

    def _current(self) -> Callable[..., Any]:
        return self._wrapper if _level else self._wrapped

    @classmethod
    def install_all(cls) -> None:
        alive = []
        for owner_ref, name, method in cls._installed:
            owner = owner_ref()
            if owner is None:
                continue
            alive.append((owner_ref, name, method))
            if owner.__dict__.get(name) in (method._wrapper, method._wrapped):  # leave user monkeypatches alone
                setattr(owner, name, method._current())
        cls._installed[:] = alive

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        return self._wrapper.__get__(instance, owner)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapper(*args, **kwargs)


class typecheck:  # noqa: N801 - NeMo's public name
    """Decorator (``@typecheck()``, with parentheses) that checks a ``Typing`` method's inputs and outputs.

    Args:
        input_types / output_types: dicts that override the instance's ``input_types`` / ``output_types`` for this
            method; ``typecheck.TypeState.UNINITIALIZED`` (default) reads the properties on every call.
        ignore_collections: skip the container-depth checks.

    Typed inputs must be passed by keyword; positional arguments are allowed when the method has no input types
    (e.g. ``Dataset.collate_fn(self, batch)``). Errors are ``TypeError``s naming class, method, port, the expected
    type and what was received. Put it above ``@torch.no_grad()``/``@torch.inference_mode()`` or below: both work.
    """

    class TypeState(enum.Enum):
        UNINITIALIZED = 0

    LEVELS = tuple(_LEVELS)

    def __init__(
        self,
        input_types: Any = TypeState.UNINITIALIZED,
        output_types: Any = TypeState.UNINITIALIZED,
        ignore_collections: bool = False,
    ) -> None:
        self.input_types = input_types
        self.output_types = output_types
        self.input_override = input_types is not self.TypeState.UNINITIALIZED
        self.output_override = output_types is not self.TypeState.UNINITIALIZED
        self.ignore_collections = ignore_collections
        self._inputs = MetadataCache(ignore_collections)
        self._outputs = MetadataCache(ignore_collections)
        for override in (self.input_types, self.output_types):
            if isinstance(override, dict):
                TypecheckMetadata(override, ignore_collections)  # reject malformed declarations at decoration time
        # Class seen valid -> ("Class.method" for error messages, input and output metadata or DYNAMIC).
        self._plans: Dict[type, _Plan] = {}

    def __call__(self, wrapped: _F) -> _F:
        if not callable(wrapped):
            raise TypeError(f"@typecheck() decorates callables, got {wrapped!r}; did you forget the parentheses?")
        plans, inputs_cache, outputs_cache, dynamic = self._plans, self._inputs, self._outputs, DYNAMIC

        @functools.wraps(wrapped)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _level or _is_compiling() or _is_tracing() or ("torch.onnx" in _modules and _in_onnx_export()):
                return wrapped(*args, **kwargs)
            try:
                where, inputs, outputs = plans[type(args[0])]
            except (KeyError, IndexError):
                where, inputs, outputs = self._plan(args, wrapped)
            if inputs is dynamic:
                types = args[0].input_types
                inputs = None if types is None else inputs_cache.get(types)
            if outputs is dynamic:
                types = args[0].output_types
                outputs = None if types is None else outputs_cache.get(types)
            if inputs is not None:
                if len(args) > 1:
                    _refuse_positional(where, len(args) - 1, inputs)
                full, fast = _level == _FULL, inputs.fast_inputs  # the unrolled fast paths first: one call less
                if fast is None or not fast(kwargs, full):
                    check_inputs(inputs, kwargs, full, where)
            result = wrapped(*args, **kwargs)
            if outputs is not None:
                fast = outputs.fast_outputs
                if fast is None or not fast(result):
                    check_outputs(outputs, result, where)
            return result

        return _TypecheckedMethod(wrapped, wrapper)  # type: ignore[return-value]

    def _plan(self, args: Tuple[Any, ...], wrapped: Callable[..., Any]) -> _Plan:
        """Validate a class on first sight; remember its "Class.method" label and the types read once per class."""
        instance = args[0] if args else None
        if not isinstance(instance, Typing):
            raise RuntimeError(
                "Only classes which inherit nemo.core.Typing can use this decorator ! "
                f"({wrapped.__qualname__} was called on {type(instance).__name__})"
            )
        if hasattr(instance, "input_ports") or hasattr(instance, "output_ports"):
            raise RuntimeError(
                f"{type(instance).__name__} defines input_ports/output_ports (NeMo 0.x); rename them to "
                "input_types/output_types"
            )
        inputs = self.input_types if self.input_override else static_types(instance, "input_types")
        outputs = self.output_types if self.output_override else static_types(instance, "output_types")
        plan = (
            f"{type(instance).__name__}.{wrapped.__name__}",
            inputs if inputs is None or inputs is DYNAMIC else self._inputs.get(inputs),
            outputs if outputs is None or outputs is DYNAMIC else self._outputs.get(outputs),
        )
        self._plans[type(instance)] = plan
        return plan

    @staticmethod
    def set_typecheck_enabled(enabled: bool = True) -> None:
        """True: level ``full``; False: level ``off``."""
        _set_level(_FULL if enabled else _OFF)

    @staticmethod
    def set_typecheck_level(level: str) -> None:
        """Set the level: ``"full"``, ``"shapes"`` (no neural-type comparison) or ``"off"``."""
        _set_level(_parse_level(level, "typecheck level"))

    @staticmethod
    def get_typecheck_level() -> str:
        return _LEVEL_NAMES[_level]

    @staticmethod
    def disable_checks() -> ContextManager[None]:
        """Turn checks off inside the block; the previous level comes back on exit."""
        return scoped(_get_level, _set_level, _OFF)

    @staticmethod
    def disable_semantic_checks() -> ContextManager[None]:
        """Keep names, counts, containers and ranks but skip neural-type comparison inside the block."""
        return scoped(_get_level, _set_level, min(_level, _SHAPES))
