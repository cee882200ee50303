"""Structured configs of ``MTEncDecModel`` (NeMo v1 names and keys), including the Transformer-base recipe.

Example (from the NeMo docs)::

    cfg = AAYNBaseConfig()
    cfg.encoder.num_layers = 8
    cfg.train_ds.tokens_in_batch = 8192
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from omegaconf import MISSING

from nemo.collections.nlp.data.machine_translation.machine_translation_dataset import TranslationDataConfig
from nemo.collections.nlp.modules.common.transformer.transformer import (
    NeMoTransformerConfig,
    NeMoTransformerEncoderConfig,
)
from nemo.core.config.modelPT import ModelConfig, OptimConfig, SchedConfig

__all__ = [
    "TokenClassifierConfig",
    "TokenizerConfig",
    "EncDecNLPModelConfig",
    "MTSchedConfig",
    "MTOptimConfig",
    "MTEncDecModelConfig",
    "AAYNBaseConfig",
]


@dataclass
class TokenClassifierConfig:
    """The ``head`` node: arguments of the ``TokenClassifier`` projecting decoder states onto the vocabulary."""

    num_layers: int = 1
    activation: str = "relu"
    log_softmax: bool = True
    dropout: float = 0.0
    use_transformer_init: bool = True


@dataclass
class TokenizerConfig:
    """An ``encoder_tokenizer``/``decoder_tokenizer`` node, passed to ``get_nmt_tokenizer``."""

    library: str = MISSING
    tokenizer_model: Optional[str] = None
    vocab_size: Optional[int] = None
    vocab_file: Optional[str] = None
    special_tokens: Optional[Dict[str, str]] = None
    bpe_dropout: Optional[float] = 0.0
    coverage: Optional[float] = 0.999
    training_sample_size: Optional[int] = None
    r2l: Optional[bool] = False


@dataclass
class EncDecNLPModelConfig(ModelConfig):
    """Keys shared by encoder-decoder NLP models: a tokenizer and a network per side, plus an output head."""

    encoder_tokenizer: Any = MISSING
    decoder_tokenizer: Any = MISSING
    encoder: Any = MISSING
    decoder: Any = MISSING
    head: Any = MISSING


@dataclass
class MTSchedConfig(SchedConfig):
    name: str = "InverseSquareRootAnnealing"
    warmup_ratio: Optional[float] = None
    last_epoch: int = -1


@dataclass
class MTOptimConfig(OptimConfig):
    """Adam-style optimizer settings of the NMT recipes."""

    name: str = "adam"
    lr: float = 1e-3
    betas: Tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.0
    sched: Optional[MTSchedConfig] = field(default_factory=MTSchedConfig)


def _data(clean: bool, shuffle: bool) -> TranslationDataConfig:
    return TranslationDataConfig(
        src_file_name=MISSING,
        tgt_file_name=MISSING,
        tokens_in_batch=512,
        clean=clean,
        shuffle=shuffle,
        cache_ids=False,
        use_cache=False,
    )


@dataclass
class MTEncDecModelConfig(EncDecNLPModelConfig):
    """``MTEncDecModel``'s ``model`` section; ``encoder``/``decoder`` and the tokenizers must be given."""

    num_val_examples: int = 3
    num_test_examples: int = 3
    max_generation_delta: int = 10
    label_smoothing: Optional[float] = 0.0
    beam_size: int = 4
    len_pen: float = 0.0
    src_language: str = "en"
    tgt_language: str = "en"
    find_unused_parameters: Optional[bool] = True
    shared_tokenizer: Optional[bool] = True
    preproc_out_dir: Optional[str] = None

    encoder_tokenizer: Any = MISSING
    encoder: Any = MISSING
    decoder_tokenizer: Any = MISSING
    decoder: Any = MISSING
    head: TokenClassifierConfig = field(default_factory=lambda: TokenClassifierConfig(log_softmax=True))

    train_ds: Optional[TranslationDataConfig] = field(default_factory=lambda: _data(clean=True, shuffle=True))
    validation_ds: Optional[TranslationDataConfig] = field(default_factory=lambda: _data(clean=False, shuffle=False))
    test_ds: Optional[TranslationDataConfig] = field(default_factory=lambda: _data(clean=False, shuffle=False))
    optim: Optional[OptimConfig] = field(default_factory=MTOptimConfig)


def _transformer(config_cls: type, **sizes: Any) -> Any:
    return config_cls(
        library="nemo",
        model_name=None,
        pretrained=False,
        inner_size=2048,
        num_layers=6,
        num_attention_heads=8,
        ffn_dropout=0.1,
        attn_score_dropout=0.1,
        attn_layer_dropout=0.1,
        **sizes,
    )


@dataclass
class AAYNBaseConfig(MTEncDecModelConfig):
    """ "Attention Is All You Need" Transformer-base: 6+6 layers, hidden 512, FFN 2048, 8 heads, dropout 0.1.

    The decoder's ``hidden_size`` is left unset and follows the encoder's. NeMo v1 used YouTokenToMe tokenizers here;
    set ``encoder_tokenizer.library``/``decoder_tokenizer.library`` to ``sentencepiece`` to build the model.
    """

    encoder_tokenizer: TokenizerConfig = field(default_factory=lambda: TokenizerConfig(library="yttm"))
    decoder_tokenizer: TokenizerConfig = field(default_factory=lambda: TokenizerConfig(library="yttm"))
    encoder: NeMoTransformerEncoderConfig = field(
        default_factory=lambda: _transformer(NeMoTransformerEncoderConfig, hidden_size=512)
    )
    decoder: NeMoTransformerConfig = field(default_factory=lambda: _transformer(NeMoTransformerConfig))
