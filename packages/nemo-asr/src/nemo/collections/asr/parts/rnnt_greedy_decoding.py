"""NeMo 1.0's module path of the greedy transducer decoders (they live in ``parts.submodules.rnnt_greedy_decoding``)."""

from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import *  # noqa: F403
from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import __all__  # noqa: F401
