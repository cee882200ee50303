"""``NeuralType``: axis layout plus element semantics, and how two of them compare."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple, Union

from nemo.core.neural_types.axes import AxisKind, AxisKindAbstract, AxisType
from nemo.core.neural_types.comparison import NeuralTypeComparisonResult
from nemo.core.neural_types.elements import ElementType, VoidType

__all__ = ["NeuralType", "NeuralTypeError", "NeuralPortNameMismatchError", "NeuralPortNmTensorMismatchError"]

_R = NeuralTypeComparisonResult
_AxesKey = Optional[Tuple[Tuple[int, Optional[int], bool], ...]]
# Short-notation axes are parsed once per distinct spelling and the resulting AxisType tuple is shared (AxisType is
# immutable), with its key: identical tuples let comparisons of equal layouts finish with an identity test.
_SHORT_AXES: Dict[Tuple[str, ...], Tuple[Tuple[AxisType, ...], _AxesKey]] = {}
_SHORT_AXES_LIMIT = 4096


def _axes_key(axes: Tuple[AxisType, ...]) -> _AxesKey:
    """A tuple of plain ints/bools describing the axes; enum members are singletons, so their ids identify them."""
    return tuple((id(axis.kind), axis.size, axis.is_list) for axis in axes)


def _parse_axes(axes: Optional[Iterable[Union[str, AxisType]]]) -> Tuple[Optional[Tuple[AxisType, ...]], _AxesKey]:
    """Turn short (strings) or long (AxisType) notation into a tuple of AxisType (and its key), validating it."""
    if axes is None:
        return None, None
    if type(axes) is tuple:
        cached = _SHORT_AXES.get(axes)
        if cached is not None:
            return cached
    items = tuple(axes)
    strings = [isinstance(item, str) for item in items]
    if all(strings):
        parsed = tuple(AxisType(AxisKind.from_str(item)) for item in items)
        entry = (parsed, _axes_key(parsed))
        if len(_SHORT_AXES) < _SHORT_AXES_LIMIT:
            entry = _SHORT_AXES.setdefault(items, entry)
        return entry
    if any(strings):
        raise ValueError(f"Either use full class names or all strings for axes, got a mix: {items!r}")
    seen_tensor_axis = False
    for position, item in enumerate(items):
        if not isinstance(item, AxisType):
            raise ValueError(f"Axis {position} must be a string or an AxisType, got {type(item).__name__}: {item!r}")
        if not item.is_list:
            seen_tensor_axis = True
        elif seen_tensor_axis:
            raise ValueError(f"List axes must come before tensor axes, but axis {position} ({item!r}) follows one")
    return items, _axes_key(items)


def _element_key(element: ElementType) -> Optional[Tuple[Any, ...]]:
    """Class, type parameters and fields as a hashable tuple; None when they are not hashable."""
    cls = type(element)
    try:
        key = (cls, tuple(sorted(element.type_parameters.items())), element.fields)
        hash(key)
    except TypeError:
        return None
    return key


def _compare_axes(axes_a: Optional[Tuple[AxisType, ...]], axes_b: Optional[Tuple[AxisType, ...]]) -> int:
    """0: same layout; 1: same kinds in another order; 2: same kinds but sizes differ; 3: incompatible.

    A left-hand ``Any`` axis matches any axis at its position; unlike v1.0.0 it never hides a mismatch elsewhere.
    """
    if axes_a is None or axes_b is None:
        return 0 if axes_a is axes_b else 3
    if axes_a is axes_b:
        return 0
    if len(axes_a) != len(axes_b):
        return 3
    same = True
    kinds_a: Dict[AxisKindAbstract, Optional[int]] = {}
    kinds_b: Dict[AxisKindAbstract, Optional[int]] = {}
    for axis_a, axis_b in zip(axes_a, axes_b):
        kinds_a[axis_a.kind] = axis_a.size
        kinds_b[axis_b.kind] = axis_b.size
        if axis_a.kind is AxisKind.Any:
            continue
        if (
            axis_a.kind is not axis_b.kind
            or axis_a.is_list != axis_b.is_list
            or (axis_a.size is not None and axis_a.size != axis_b.size)
        ):
            same = False
    if same:
        return 0
    if kinds_a.keys() != kinds_b.keys():
        return 3
    return 2 if any(kinds_b[kind] != size for kind, size in kinds_a.items()) else 1


class NeuralType:
    """The type of a tensor (or of a port): an axis layout plus the semantics of its elements.

    Args:
        axes: ``None`` for "any shape"; short notation (strings such as ``('B', 'D', 'T')``) or long notation
            (``AxisType`` instances, which may fix sizes).
        elements_type: an ``ElementType`` *instance*; ``VoidType()`` (accepts anything) when omitted.
        optional: whether a port of this type may be left out of a call.

    Neural types are immutable values: ``==`` is True when axes (kinds, sizes, list flags) and element types are
    equal, ``optional`` aside, and ``hash`` agrees with it. Use :meth:`compare` for compatibility, not ``==``.
    """

    __slots__ = ("_axes", "_elements_type", "_optional", "_key", "_hash")

    def __init__(
        self,
        axes: Optional[Iterable[Union[str, AxisType]]] = None,
        elements_type: Optional[ElementType] = None,
        optional: bool = False,
    ) -> None:
        if elements_type is None:
            elements_type = VoidType()
        elif ElementType not in type(elements_type).__mro__ and not isinstance(elements_type, ElementType):
            raise ValueError(
                f"elements_type of NeuralType must be an instance of an ElementType subclass, got {elements_type!r}. "
                "Did you pass a class instead?"
            )
        entry = _SHORT_AXES.get(axes) if type(axes) is tuple else None  # the common case, inlined
        self._axes, axes_key = entry if entry is not None else _parse_axes(axes)
        self._elements_type = elements_type
        self._optional = bool(optional)
        element_key = type(elements_type)._plain_key or _element_key(elements_type)
        # _key: everything equality (and comparison) depends on, as plain hashable data; None if not hashable.
        self._key = None if element_key is None else (axes_key, element_key)
        self._hash = hash((axes_key, type(elements_type)))

    @property
    def axes(self) -> Optional[Tuple[AxisType, ...]]:
        return self._axes

    @property
    def elements_type(self) -> ElementType:
        return self._elements_type

    @property
    def optional(self) -> bool:
        return self._optional

    def __reduce__(self) -> Tuple[Any, ...]:
        # Rebuild through the constructor so the cached hash is recomputed in the receiving process.
        return (type(self), (self._axes, self._elements_type, self._optional))

    def __str__(self) -> str:
        return f"axes: {self._axes}; elements_type: {type(self._elements_type).__name__}"

    def __repr__(self) -> str:
        optional = ", optional=True" if self._optional else ""
        return f"NeuralType(axis={self._axes}, element_type={type(self._elements_type).__name__}{optional})"

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, NeuralType):
            return NotImplemented
        if self._hash != other._hash:
            return False
        if self._key is not None and other._key is not None:
            return self._key == other._key
        return self._axes == other._axes and self._elements_type == other._elements_type

    def __hash__(self) -> int:
        return self._hash

    def compare(self, second: NeuralType) -> NeuralTypeComparisonResult:
        """Compare ``self`` (the expected type) with ``second`` (the provided one); SAME or GREATER means accepted."""
        if not isinstance(second, NeuralType):
            raise TypeError(f"NeuralType.compare expects a NeuralType, got {type(second).__name__}: {second!r}")
        if self._axes is None:
            if isinstance(self._elements_type, VoidType):
                return _R.SAME
            if second._axes is None:
                return self._elements_type.compare(second._elements_type)
            return _R.INCOMPATIBLE
        axes_result = _compare_axes(self._axes, second._axes)
        if axes_result == 3:
            return _R.INCOMPATIBLE
        elements_result = self._elements_type.compare(second._elements_type)
        if axes_result == 0:
            return elements_result
        if elements_result is not _R.SAME:
            return _R.INCOMPATIBLE
        return _R.TRANSPOSE_SAME if axes_result == 1 else _R.DIM_INCOMPATIBLE

    def compare_and_raise_error(self, parent_type_name: str, port_name: str, second_object: Any) -> None:
        """Raise NeuralPortNmTensorMismatchError unless ``second_object``'s type is accepted by this port type.

        ``second_object`` is a NeuralType or anything carrying one as ``.neural_type`` (or legacy ``.ntype``).
        """
        second = second_object
        if not isinstance(second, NeuralType):
            second = getattr(second_object, "neural_type", None) or getattr(second_object, "ntype", None)
        result = self.compare(second)
        if result is not _R.SAME and result is not _R.GREATER:
            raise NeuralPortNmTensorMismatchError(parent_type_name, port_name, str(self), str(second), result)


class NeuralTypeError(Exception):
    """Base class of the errors raised when neural types do not fit."""


class NeuralPortNameMismatchError(NeuralTypeError):
    """A value was connected to a port name the module does not have."""

    def __init__(self, input_port_name: str) -> None:
        self.message = f"Wrong input port name: {input_port_name}"
        super().__init__(self.message)


class NeuralPortNmTensorMismatchError(NeuralTypeError):
    """A port received a value whose neural type it does not accept."""

    def __init__(
        self,
        class_name: str,
        port_name: str,
        first_type: Any,
        second_type: Any,
        type_comatibility: NeuralTypeComparisonResult,
    ) -> None:
        self.message = (
            f"In {class_name}, port '{port_name}' of type {first_type} cannot accept a value of type {second_type}: "
            f"comparison result is {type_comatibility}"
        )
        super().__init__(self.message)
