"""NeMo's historical home of ``Typing``, ``typecheck``, ``Serialization``, ``FileIO`` and ``Model``.

Each concept lives in its own module; this module re-exports them so ``nemo.core.classes.common`` imports keep
working.
"""

from nemo.core.classes.model import Model, PretrainedModelInfo
from nemo.core.classes.serialization import FileIO, Serialization
from nemo.core.classes.typecheck import Typing, is_typecheck_enabled, typecheck

__all__ = ["Typing", "typecheck", "is_typecheck_enabled", "Serialization", "FileIO", "Model", "PretrainedModelInfo"]
