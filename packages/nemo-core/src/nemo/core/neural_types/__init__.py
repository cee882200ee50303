"""Neural types: axis layouts plus element semantics, used to check what NeMo modules consume and produce.

Pure Python (no torch, Lightning, Hydra or omegaconf), so it is cheap to import.
"""

from nemo.core.neural_types import axes as _axes
from nemo.core.neural_types import comparison as _comparison
from nemo.core.neural_types import elements as _elements
from nemo.core.neural_types import neural_type as _neural_type
from nemo.core.neural_types.axes import *
from nemo.core.neural_types.comparison import *
from nemo.core.neural_types.elements import *
from nemo.core.neural_types.neural_type import *

__all__ = [*_axes.__all__, *_comparison.__all__, *_elements.__all__, *_neural_type.__all__]
