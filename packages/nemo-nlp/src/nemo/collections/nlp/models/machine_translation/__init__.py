"""Neural machine translation: the Transformer encoder-decoder ``MTEncDecModel`` and its configs."""

from nemo.collections.nlp.models.machine_translation.mt_enc_dec_config import (
    AAYNBaseConfig,
    MTEncDecModelConfig,
    MTOptimConfig,
    MTSchedConfig,
    TokenizerConfig,
)
from nemo.collections.nlp.models.machine_translation.mt_enc_dec_model import MTEncDecModel

__all__ = [
    "AAYNBaseConfig",
    "MTEncDecModel",
    "MTEncDecModelConfig",
    "MTOptimConfig",
    "MTSchedConfig",
    "TokenizerConfig",
]
