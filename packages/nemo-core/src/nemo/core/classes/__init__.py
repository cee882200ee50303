"""Base classes of NeMo: typed modules, datasets, losses, models and export (resolved lazily)."""

from nemo.core import _CLASSES
from nemo.core._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, _CLASSES)
__all__ = list(_CLASSES)
