"""The outcomes of comparing two neural types (or two element types)."""

from enum import Enum

__all__ = ["NeuralTypeComparisonResult"]


class NeuralTypeComparisonResult(Enum):
    """Result of ``expected.compare(provided)``; a port accepts a value when the result is SAME or GREATER.

    ``CONTAINER_SIZE_MISMATCH`` and ``UNCHECKED`` exist for API compatibility; no comparison produces them.
    """

    SAME = 0
    LESS = 1  # the left type is a subtype of the right one
    GREATER = 2  # the right type is a subtype of the left one
    DIM_INCOMPATIBLE = 3  # same axis kinds in the same order, but fixed sizes disagree
    TRANSPOSE_SAME = 4  # same axis kinds in another order: a transpose would fix it
    CONTAINER_SIZE_MISMATCH = 5
    INCOMPATIBLE = 6
    SAME_TYPE_INCOMPATIBLE_PARAMS = 7  # same element class, different type parameters (e.g. sample rate)
    UNCHECKED = 8
