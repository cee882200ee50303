"""NeMo's TTS collection (the nemo-tts distribution).

The models, modules and data layers arrive with the collection's issue; until then this package holds only its
metadata, so that the dependency edges and the isolation checks can be tested.
"""

from nemo.collections.tts.version import __version__

__all__ = ["__version__"]
