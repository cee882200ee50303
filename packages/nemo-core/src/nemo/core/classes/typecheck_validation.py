"""Checking values against declared neural types: ``TypecheckMetadata``, its cache and the input/output checks.

``nemo.core.classes.typecheck`` drives these; see its docstring for the levels and the caching design. ``where`` is
the ``"Class.method"`` label that every error message starts with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, NoReturn, Optional, Tuple

import torch

from nemo.core.neural_types import NeuralType, NeuralTypeComparisonResult

__all__ = ["TypecheckMetadata", "MetadataCache", "check_inputs", "check_outputs"]

_SAME = NeuralTypeComparisonResult.SAME
_GREATER = NeuralTypeComparisonResult.GREATER
_CACHE_LIMIT = 64
_Tensor = torch.Tensor
_UNKNOWN = object()  # a port name the types do not declare


def _unwrap_declaration(name: str, declared: Any) -> Tuple[NeuralType, int]:
    """Return the NeuralType inside a (possibly nested) container declaration and its nesting depth."""
    base, depth = declared, 0
    while isinstance(base, (list, tuple)):
        if len(base) != 1:
            raise TypeError(
                f"Port '{name}' is declared as {declared!r}: a container type must nest exactly one NeuralType"
            )
        base, depth = base[0], depth + 1
    if not isinstance(base, NeuralType):
        raise TypeError(
            f"Port '{name}' is declared as {declared!r}: expected a NeuralType or a list nesting exactly one NeuralType"
        )
    return base, depth


@dataclass(eq=False)
class TypecheckMetadata:
    """Everything a check needs from one types dict, derived once.

    ``base_types`` unwraps container declarations (``[[NT]]`` -> ``NT``), ``container_depth`` is their nesting depth
    (0 for a plain NeuralType), ``mandatory_types`` the non-optional ports, and ``is_singular_container_type`` marks a
    single declared port that is a container (its method returns one list, not a tuple of outputs).
    """

    original_types: Dict[str, Any]
    ignore_collections: bool = False
    has_container_types: bool = field(init=False)
    is_singular_container_type: bool = field(init=False)
    base_types: Dict[str, NeuralType] = field(init=False)
    container_depth: Dict[str, int] = field(init=False)
    mandatory_types: Dict[str, NeuralType] = field(init=False)
    names: Tuple[str, ...] = field(init=False, repr=False)
    name_set: FrozenSet[str] = field(init=False, repr=False)
    mandatory_names: FrozenSet[str] = field(init=False, repr=False)
    ranks: Dict[str, Optional[int]] = field(init=False, repr=False)
    memo: Dict[str, Dict[int, NeuralType]] = field(init=False, repr=False)
    plain_outputs: Optional[Tuple[Tuple[Optional[int], NeuralType], ...]] = field(init=False, repr=False)
    fast_inputs: Optional[Callable[[Dict[str, Any], bool], bool]] = field(init=False, repr=False)
    fast_outputs: Optional[Callable[[Any], bool]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_types, self.container_depth = {}, {}
        for name, declared in self.original_types.items():
            self.base_types[name], self.container_depth[name] = _unwrap_declaration(name, declared)
        self.has_container_types = any(depth > 0 for depth in self.container_depth.values())
        self.is_singular_container_type = self.has_container_types and len(self.base_types) == 1
        self.mandatory_types = {name: nt for name, nt in self.base_types.items() if not nt.optional}
        self.names = tuple(self.base_types)
        self.name_set = frozenset(self.base_types)
        self.mandatory_names = frozenset(self.mandatory_types)
        self.ranks = {name: None if nt.axes is None else len(nt.axes) for name, nt in self.base_types.items()}
        # Per port: id(provided NeuralType) -> that object, for the provided types found acceptable.
        self.memo = {name: {} for name in self.base_types}
        self.fast_inputs, self.fast_outputs = _unrolled_inputs(self), _unrolled_outputs(self)
        # (rank, type) per port when a method returns a tuple of plain tensors, one per port: check_outputs' fast path
        # for the port lists ``fast_outputs`` does not unroll (it accepts exactly what this would)
        plain = len(self.names) > 1 and not self.has_container_types and self.fast_outputs is None
        self.plain_outputs = tuple((self.ranks[n], self.base_types[n]) for n in self.names) if plain else None

    def accepts(self, name: str, provided: Any) -> bool:
        """Whether port ``name`` accepts a value of neural type ``provided``; memoised by the identity of ``provided``."""
        memo = self.memo[name]
        if memo.get(id(provided)) is provided:
            return True
        result = self.base_types[name].compare(provided)
        if result is not _SAME and result is not _GREATER:
            return False
        if len(memo) >= _CACHE_LIMIT:
            memo.clear()
        memo[id(provided)] = provided  # holding the object keeps its id from being reused
        return True


def _unrollable(metadata: TypecheckMetadata) -> bool:
    """One or two ports, no containers, every port ranked: the shape of most modules' types, which the checks below
    unroll (a loop over the ports costs about as much as the checks themselves)."""
    names = metadata.names
    return 1 <= len(names) <= 2 and not metadata.has_container_types and None not in metadata.ranks.values()


def _unrolled_inputs(metadata: TypecheckMetadata) -> Optional[Callable[[Dict[str, Any], bool], bool]]:
    """``check_inputs``' fast path for an unrollable port list: True when ``kwargs`` holds every port as a plain
    tensor of its rank whose neural type, if it carries one, the port accepted before; else False (the general checks
    decide)."""
    if not _unrollable(metadata):
        return None
    if len(metadata.names) == 1:
        (n0,) = metadata.names
        r0, m0 = metadata.ranks[n0], metadata.memo[n0]

        def one(kwargs: Dict[str, Any], full: bool) -> bool:
            if len(kwargs) != 1:
                return False
            a = kwargs.get(n0)
            if type(a) is not _Tensor or a.ndim != r0:
                return False
            if full:
                p = getattr(a, "neural_type", None)
                if p is not None and m0.get(id(p)) is not p:
                    return False
            return True

        return one
    n0, n1 = metadata.names
    r0, r1, m0, m1 = metadata.ranks[n0], metadata.ranks[n1], metadata.memo[n0], metadata.memo[n1]

    def two(kwargs: Dict[str, Any], full: bool) -> bool:
        if len(kwargs) != 2:
            return False
        a, b = kwargs.get(n0), kwargs.get(n1)
        if type(a) is not _Tensor or type(b) is not _Tensor or a.ndim != r0 or b.ndim != r1:
            return False
        if full:
            p = getattr(a, "neural_type", None)
            if p is not None and m0.get(id(p)) is not p:
                return False
            p = getattr(b, "neural_type", None)
            if p is not None and m1.get(id(p)) is not p:
                return False
        return True

    return two


def _unrolled_outputs(metadata: TypecheckMetadata) -> Optional[Callable[[Any], bool]]:
    """``check_outputs``' fast path for an unrollable port list: tags and returns True when the method returned one
    plain tensor of its rank (one port) or a 2-tuple of them (two ports); else False (the general checks decide)."""
    if not _unrollable(metadata):
        return None
    n0 = metadata.names[0]
    r0, t0 = metadata.ranks[n0], metadata.base_types[n0]
    if len(metadata.names) == 1:

        def one(outputs: Any) -> bool:
            if type(outputs) is _Tensor and outputs.ndim == r0:
                outputs.neural_type = t0
                return True
            return False

        return one
    n1 = metadata.names[1]
    r1, t1 = metadata.ranks[n1], metadata.base_types[n1]

    def two(outputs: Any) -> bool:
        if type(outputs) is tuple and len(outputs) == 2:
            a, b = outputs
            if type(a) is _Tensor and type(b) is _Tensor and a.ndim == r0 and b.ndim == r1:
                a.neural_type, b.neural_type = t0, t1
                return True
        return False

    return two


def _fingerprint(types: Dict[str, Any]) -> Optional[Tuple[Any, ...]]:
    """A hashable structural key of a types dict (names, depths, types by value, optional flags), or None."""
    key = []
    for name, declared in types.items():
        if type(declared) is NeuralType:  # the common case, without the container loop
            if declared._key is None:
                return None
            key.append((name, declared._key, declared._optional))
            continue
        depth = 0
        while type(declared) is list or type(declared) is tuple:
            if len(declared) != 1:
                return None
            declared, depth = declared[0], depth + 1
        if not isinstance(declared, NeuralType) or declared._key is None:
            return None
        key.append((name, declared._key, declared._optional, depth))
    return tuple(key)


class MetadataCache:
    """Types dict -> TypecheckMetadata: the last dict by identity or by fingerprint, then a bounded table."""

    __slots__ = ("ignore_collections", "last", "table")

    def __init__(self, ignore_collections: bool) -> None:
        self.ignore_collections = ignore_collections
        self.last: Tuple[Any, Any, Any] = (None, None, None)  # (types dict, its fingerprint, metadata)
        self.table: Dict[Tuple[Any, ...], TypecheckMetadata] = {}

    def get(self, types: Dict[str, Any]) -> TypecheckMetadata:
        last_types, last_key, metadata = self.last
        if types is last_types:
            return metadata
        key = _fingerprint(types)
        if key is None or key != last_key:
            metadata = self.table.get(key) if key is not None else None
            if metadata is None:
                metadata = TypecheckMetadata(types, self.ignore_collections)
                if key is not None:
                    if len(self.table) >= _CACHE_LIMIT:
                        self.table.clear()
                    self.table[key] = metadata
        self.last = (types, key, metadata)  # one tuple, replaced atomically
        return metadata


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a {type(value).__name__} of rank {len(shape)} with shape {tuple(shape)}"
    return f"a {type(value).__name__}"


def _type_details(nt: NeuralType) -> str:
    params = nt.elements_type.type_parameters
    return f"{nt!r} with type parameters {params}" if params else repr(nt)


def _raise_rank(metadata: TypecheckMetadata, name: str, value: Any, where: str, role: str) -> NoReturn:
    raise TypeError(
        f"{where}: {role} '{name}' expected rank {metadata.ranks[name]} ({metadata.base_types[name]!r}) but received "
        f"{_describe(value)}"
    )


def _raise_depth(metadata: TypecheckMetadata, name: str, value: Any, where: str, role: str, depth: int) -> NoReturn:
    raise TypeError(
        f"{where}: {role} '{name}' is declared with container depth {metadata.container_depth[name]} "
        f"({metadata.original_types[name]!r}) but received {_describe(value)} at nesting depth {depth}"
    )


def _raise_neural_type(metadata: TypecheckMetadata, name: str, value: Any, provided: Any, where: str) -> NoReturn:
    if not isinstance(provided, NeuralType):
        raise TypeError(
            f"{where}: input '{name}' received a value whose .neural_type is not a NeuralType: {provided!r}"
        )
    result = metadata.base_types[name].compare(provided)
    raise TypeError(
        f"{where}: input '{name}' expected {_type_details(metadata.base_types[name])} but received "
        f"{_describe(value)} of neural type {_type_details(provided)} (comparison result: {result.name})"
    )


def _check_neural_type(metadata: TypecheckMetadata, name: str, value: Any, provided: Any, where: str) -> None:
    if metadata.memo[name].get(id(provided)) is provided:  # seen and accepted before
        return
    if not isinstance(provided, NeuralType) or not metadata.accepts(name, provided):
        _raise_neural_type(metadata, name, value, provided, where)


def _check_input_items(metadata: TypecheckMetadata, name: str, items: Any, full: bool, where: str, depth: int) -> None:
    """Depth-first over a container input; its items are at ``depth`` (1 for the top-level container's items)."""
    for value in items:
        if isinstance(value, (list, tuple)):
            _check_input_items(metadata, name, value, full, where, depth + 1)
            continue
        if not metadata.ignore_collections and depth != metadata.container_depth[name]:
            _raise_depth(metadata, name, value, where, "input", depth)
        if full:
            provided = getattr(value, "neural_type", None)
            if provided is not None:
                _check_neural_type(metadata, name, value, provided, where)
        rank = metadata.ranks[name]
        shape = getattr(value, "shape", None)
        if rank is not None and shape is not None and len(shape) != rank:
            _raise_rank(metadata, name, value, where, "input")


def _raise_names(metadata: TypecheckMetadata, kwargs: Dict[str, Any], where: str) -> NoReturn:
    unknown = [name for name in kwargs if name not in metadata.name_set]
    if unknown:
        raise TypeError(
            f"{where}: input argument(s) {unknown} have no corresponding input type; declared inputs are "
            f"{list(metadata.names)}"
        )
    missing = [name for name in metadata.mandatory_types if name not in kwargs]
    raise TypeError(
        f"{where}: mandatory input(s) {missing} missing; {len(kwargs)} provided ({list(kwargs)}), the method has "
        f"{len(metadata.names)} inputs of which {len(metadata.mandatory_names)} are mandatory"
    )


def check_inputs(metadata: TypecheckMetadata, kwargs: Dict[str, Any], full: bool, where: str) -> None:
    """Names (unknown and missing mandatory ports), container depths, ranks and, if ``full``, neural types (the
    ``@typecheck()`` wrapper tries ``metadata.fast_inputs`` before calling this)."""
    ranks, memo = metadata.ranks, metadata.memo
    for name, value in kwargs.items():  # fast path: known names, plain tensors of the right rank, types seen before
        rank = ranks.get(name, _UNKNOWN)
        if type(value) is not _Tensor or rank is _UNKNOWN or (rank is not None and value.ndim != rank):
            break
        if full:
            provided = getattr(value, "neural_type", None)
            if provided is not None and memo[name].get(id(provided)) is not provided:
                break
    else:
        if len(kwargs) == len(ranks) or kwargs.keys() >= metadata.mandatory_names:
            return
    _check_inputs_in_order(metadata, kwargs, full, where)


def _check_inputs_in_order(metadata: TypecheckMetadata, kwargs: Dict[str, Any], full: bool, where: str) -> None:
    """Every check on every input, names first, raising the first failure (and memoising newly accepted types)."""
    keys = kwargs.keys()
    if not (keys <= metadata.name_set and keys >= metadata.mandatory_names):
        _raise_names(metadata, kwargs, where)
    ranks = metadata.ranks
    for name, value in kwargs.items():
        if full:
            provided = getattr(value, "neural_type", None)
            if provided is not None:
                _check_neural_type(metadata, name, value, provided, where)
        shape = getattr(value, "shape", None)
        if shape is not None:
            rank = ranks[name]
            if rank is not None and len(shape) != rank:
                _raise_rank(metadata, name, value, where, "input")
        elif isinstance(value, (list, tuple)):
            _check_input_items(metadata, name, value, full, where, 1)


def _tag(value: Any, neural_type: NeuralType) -> None:
    """Attach ``.neural_type``; values that cannot carry attributes (ints, None, slotted objects) are left alone."""
    try:
        value.neural_type = neural_type
    except (AttributeError, TypeError):
        pass


def _check_output(metadata: TypecheckMetadata, name: str, value: Any, where: str, depth: int) -> None:
    """Tag one output value (recursing into lists/tuples, whose items sit one level deeper) after checking it."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_output(metadata, name, item, where, depth + 1)
        return
    if not metadata.ignore_collections and depth != metadata.container_depth[name]:
        _raise_depth(metadata, name, value, where, "output", depth)
    rank = metadata.ranks[name]
    shape = getattr(value, "shape", None)
    if rank is not None and shape is not None and len(shape) != rank:
        _raise_rank(metadata, name, value, where, "output")
    _tag(value, metadata.base_types[name])


def check_outputs(metadata: TypecheckMetadata, outputs: Any, where: str) -> None:
    """Count, container depths and ranks of what a method returned; tags every leaf with its ``.neural_type`` (the
    ``@typecheck()`` wrapper tries ``metadata.fast_outputs`` before calling this)."""
    plain = metadata.plain_outputs
    if plain is not None and type(outputs) is tuple and len(outputs) == len(plain):
        for (rank, neural_type), item in zip(plain, outputs):
            if type(item) is not _Tensor or (rank is not None and item.ndim != rank):
                break  # the general path below tags what it accepts and names what it does not
            item.neural_type = neural_type
        else:
            return
    names = metadata.names
    is_container = type(outputs) is list or type(outputs) is tuple
    if not metadata.is_singular_container_type:
        count = len(outputs) if is_container else 1
        if count != len(names):
            raise TypeError(
                f"{where}: number of outputs returned ({count}) does not match the {len(names)} declared output "
                f"types {list(names)} (a method returning one list of values should declare it as a container type, "
                "by wrapping its NeuralType in [])"
            )
    if not is_container:
        rank = metadata.ranks[names[0]]
        shape = getattr(outputs, "shape", None)
        if rank is not None and shape is not None and len(shape) != rank:
            _raise_rank(metadata, names[0], outputs, where, "output")
        _tag(outputs, metadata.base_types[names[0]])
    elif metadata.is_singular_container_type:
        # A returned list is the container itself (items at depth 1); an explicit 1-tuple wraps it (depth 0).
        start = 0 if type(outputs) is tuple and len(outputs) == 1 else 1
        for item in outputs:
            _check_output(metadata, names[0], item, where, start)
    else:
        for name, item in zip(names, outputs):
            _check_output(metadata, name, item, where, 0)
