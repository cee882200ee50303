"""Config dataclasses and typed NeuralModules wrapping the NeMo Transformer (embedding + encoder/decoder stack)."""

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import torch
from omegaconf import MISSING

from nemo.collections.nlp.modules.common.transformer.transformer_decoders import TransformerDecoder
from nemo.collections.nlp.modules.common.transformer.transformer_encoders import TransformerEncoder
from nemo.collections.nlp.modules.common.transformer.transformer_modules import TransformerEmbedding
from nemo.core.classes.module import NeuralModule
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import ChannelType, MaskType, NeuralType

__all__ = [
    "NeMoTransformerConfig",
    "NeMoTransformerEncoderConfig",
    "NeMoTransformerDecoderConfig",
    "TransformerNMBase",
    "TransformerEncoderNM",
    "TransformerDecoderNM",
    "get_nemo_transformer",
]


@dataclass
class NeMoTransformerConfig:
    """Architecture keys of a NeMo Transformer encoder or decoder (the ``model.encoder``/``model.decoder`` nodes)."""

    hidden_size: int = MISSING
    num_layers: int = MISSING
    inner_size: int = MISSING
    num_attention_heads: int = MISSING

    max_sequence_length: int = 512
    num_token_types: int = 2
    embedding_dropout: float = 0.0
    learn_positional_encodings: bool = False

    ffn_dropout: float = 0.0
    attn_score_dropout: float = 0.0
    attn_layer_dropout: float = 0.0
    hidden_act: str = "relu"
    pre_ln: bool = False
    pre_ln_final_layer_norm: bool = True

    library: str = "nemo"
    model_name: Optional[str] = None
    pretrained: bool = False


@dataclass
class NeMoTransformerEncoderConfig(NeMoTransformerConfig):
    mask_future: bool = False


@dataclass
class NeMoTransformerDecoderConfig(NeMoTransformerConfig):
    r2l: bool = False


_EMBEDDING_KEYS = ("max_sequence_length", "num_token_types", "embedding_dropout", "learn_positional_encodings")
_STACK_KEYS = (
    "num_layers",
    "inner_size",
    "num_attention_heads",
    "attn_score_dropout",
    "attn_layer_dropout",
    "ffn_dropout",
    "hidden_act",
    "pre_ln",
    "pre_ln_final_layer_norm",
)


class TransformerNMBase(NeuralModule):
    """Token embedding (``_embedding``) followed by a Transformer stack stored as ``stack_attribute``: the parts and
    properties ``TransformerEncoderNM`` and ``TransformerDecoderNM`` share (state-dict names are NeMo v1's).

    Arguments after the embedding's go to the stack (``TransformerEncoder``/``TransformerDecoder``). ``vocab_size``,
    ``hidden_size`` and ``max_sequence_length`` are kept as plain attributes (v1's read-only properties of the same
    names).
    """

    stack_class: type
    stack_attribute: str

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_layers: int,
        inner_size: int,
        num_attention_heads: int,
        max_sequence_length: int = 512,
        num_token_types: int = 2,
        embedding_dropout: float = 0.0,
        learn_positional_encodings: bool = False,
        **stack_options: Any,
    ):
        """``stack_options``: the stack's (``ffn_dropout``, ``attn_score_dropout``, ``attn_layer_dropout``,
        ``hidden_act``, ``pre_ln``, ``pre_ln_final_layer_norm``, and the encoder's ``mask_future``)."""
        super().__init__()
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.max_sequence_length = max_sequence_length
        self._embedding = TransformerEmbedding(
            vocab_size, hidden_size, max_sequence_length, num_token_types, embedding_dropout, learn_positional_encodings
        )
        stack = self.stack_class(
            num_layers, hidden_size, inner_size, num_attention_heads=num_attention_heads, **stack_options
        )
        setattr(self, self.stack_attribute, stack)

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"last_hidden_states": NeuralType(("B", "T", "D"), ChannelType())}

    @property
    def embedding(self) -> TransformerEmbedding:
        return self._embedding


class TransformerEncoderNM(TransformerNMBase):
    """Token embedding followed by a ``TransformerEncoder``: token ids in, contextual states out (``mask_future``:
    causal self-attention)."""

    stack_class = TransformerEncoder
    stack_attribute = "_encoder"

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {"input_ids": NeuralType(("B", "T"), ChannelType()), "encoder_mask": NeuralType(("B", "T"), MaskType())}

    @typecheck()
    def forward(self, input_ids: torch.Tensor, encoder_mask: torch.Tensor) -> torch.Tensor:
        return self._encoder(encoder_states=self._embedding(input_ids), encoder_mask=encoder_mask)

    @property
    def encoder(self) -> TransformerEncoder:
        return self._encoder


class TransformerDecoderNM(TransformerNMBase):
    """Token embedding followed by a ``TransformerDecoder`` attending to encoder states."""

    stack_class = TransformerDecoder
    stack_attribute = "_decoder"

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {
            "input_ids": NeuralType(("B", "T"), ChannelType()),
            "decoder_mask": NeuralType(("B", "T"), MaskType()),
            "encoder_embeddings": NeuralType(("B", "T", "D"), ChannelType()),
            "encoder_mask": NeuralType(("B", "T"), MaskType()),
        }

    @typecheck()
    def forward(
        self,
        input_ids: torch.Tensor,
        decoder_mask: torch.Tensor,
        encoder_embeddings: torch.Tensor,
        encoder_mask: torch.Tensor,
    ) -> torch.Tensor:
        return self._decoder(
            decoder_states=self._embedding(input_ids),
            decoder_mask=decoder_mask,
            encoder_states=encoder_embeddings,
            encoder_mask=encoder_mask,
        )

    @property
    def decoder(self) -> TransformerDecoder:
        return self._decoder


def get_nemo_transformer(config_dict: Mapping[str, Any], vocab_size: int, encoder: bool = True) -> NeuralModule:
    """Build a ``TransformerEncoderNM``/``TransformerDecoderNM`` from an ``encoder``/``decoder`` config node."""
    cfg = dict(config_dict)
    library = cfg.get("library", "nemo")
    if library != "nemo":
        raise ValueError(
            f"{'encoder' if encoder else 'decoder'}.library={library!r}: only NeMo's own Transformer ('nemo') is "
            "supported for machine translation"
        )
    if cfg.get("pretrained"):
        raise ValueError("NeMo Transformers have no pretrained weights to load; set pretrained: false")
    required = ("hidden_size",) + _STACK_KEYS[:3]
    missing = [key for key in required if cfg.get(key) in (None, MISSING, "???")]
    if missing:
        raise ValueError(f"{'encoder' if encoder else 'decoder'} config is missing required keys {missing}")
    kwargs = {key: cfg[key] for key in _EMBEDDING_KEYS + _STACK_KEYS if key in cfg}
    if encoder:
        return TransformerEncoderNM(
            vocab_size=vocab_size, hidden_size=cfg["hidden_size"], mask_future=cfg.get("mask_future", False), **kwargs
        )
    if cfg.get("r2l"):
        raise ValueError("decoder.r2l=True (right-to-left decoding) is not supported")
    return TransformerDecoderNM(vocab_size=vocab_size, hidden_size=cfg["hidden_size"], **kwargs)
