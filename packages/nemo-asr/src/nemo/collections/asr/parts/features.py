"""ASR's names for the shared mel front end: ``FilterbankFeatures`` and its helpers live in nemo-core
(``nemo.collections.common.parts.filterbank_features``), one implementation for ASR and TTS; see that module."""

from nemo.collections.common.data.masks import lengths_to_mask as make_seq_mask
from nemo.collections.common.parts.filterbank_features import (
    CONSTANT,
    TORCH_WINDOWS,
    FilterbankFeatures,
    normalize_batch,
    splice_frames,
)

__all__ = ["CONSTANT", "FilterbankFeatures", "make_seq_mask", "normalize_batch", "splice_frames", "TORCH_WINDOWS"]
