"""NeMo's own Transformer: embeddings, encoder/decoder stacks and sequence generators."""

from nemo.collections.nlp.modules.common.transformer.transformer import (
    NeMoTransformerConfig,
    NeMoTransformerDecoderConfig,
    NeMoTransformerEncoderConfig,
    TransformerDecoderNM,
    TransformerEncoderNM,
    get_nemo_transformer,
)
from nemo.collections.nlp.modules.common.transformer.transformer_decoders import (
    TransformerDecoder,
    TransformerDecoderBlock,
)
from nemo.collections.nlp.modules.common.transformer.transformer_encoders import (
    TransformerEncoder,
    TransformerEncoderBlock,
)
from nemo.collections.nlp.modules.common.transformer.transformer_generators import (
    BeamSearchSequenceGenerator,
    GreedySequenceGenerator,
    length_penalty,
)
from nemo.collections.nlp.modules.common.transformer.transformer_modules import (
    FixedPositionalEncoding,
    MultiHeadAttention,
    PositionWiseFF,
    TransformerEmbedding,
    form_attention_mask,
    transformer_weights_init,
)

__all__ = [
    "BeamSearchSequenceGenerator",
    "FixedPositionalEncoding",
    "GreedySequenceGenerator",
    "MultiHeadAttention",
    "NeMoTransformerConfig",
    "NeMoTransformerDecoderConfig",
    "NeMoTransformerEncoderConfig",
    "PositionWiseFF",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerDecoderNM",
    "TransformerEmbedding",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "TransformerEncoderNM",
    "form_attention_mask",
    "get_nemo_transformer",
    "length_penalty",
    "transformer_weights_init",
]
