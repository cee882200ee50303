"""Neural modules of the NLP collection (loaded on first attribute access)."""

from nemo.collections.nlp.modules.common import _EXPORTS
from nemo.core._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
