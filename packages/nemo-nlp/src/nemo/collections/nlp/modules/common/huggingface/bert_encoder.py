"""``BertEncoder``: BERT (post-LayerNorm Transformer encoder) in plain PyTorch, with HuggingFace parameter names.

Submodule names follow HF's ``BertModel`` (``embeddings.word_embeddings``, ``encoder.layer.N.attention.self.query``
...), so its checkpoints load without conversion and without ``transformers``.
"""

import math
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.common.parts.dropout import Dropout, dropout
from nemo.collections.nlp.modules.common.bert_module import BertModule, LayerList
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig

__all__ = [
    "BertEmbeddings",
    "BertEncoder",
    "activation_function",
    "check_encoder_config",
    "init_encoder_weights",
    "multi_head_attention",
]

_ACTIVATIONS: Dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}


def activation_function(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"Encoder config: hidden_act {name!r} is not supported; expected one of {sorted(_ACTIVATIONS)}"
        )
    return _ACTIVATIONS[name]


def multi_head_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    keep: Optional[torch.Tensor],
    heads: int,
    dropout_p: float,
) -> torch.Tensor:
    """Scaled dot-product attention of ``[B, T, D]`` projections split into ``heads``; ``keep`` is ``[B, T]`` bool.

    With ``dropout_p`` on CPU the weights are computed here and dropped by nemo-core's cheaper ``dropout``: SDPA takes
    the same unfused path for dropout but draws its mask with ``bernoulli_`` (BERT-small's attention, forward and
    backward, one thread: 23 ms instead of 27). Otherwise SDPA's fused kernel. On this explicit path (and in ONNX
    export) a fully padded row attends evenly instead of giving zeros.
    """
    batch, length, dim = query.shape
    if dim % heads:
        raise ValueError(f"Encoder config: hidden size {dim} is not a multiple of the {heads} attention heads")

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.view(batch, -1, heads, dim // heads).transpose(1, 2)

    mask = None if keep is None else keep[:, None, None, :]
    q, k, v = split(query), split(key), split(value)
    if torch.onnx.is_in_onnx_export() or (dropout_p > 0.0 and query.device.type == "cpu"):
        # ONNX opsets below 14 have no fused attention; CPU dropout is cheaper here (see above)
        scores = (q @ k.transpose(-1, -2)).div_(math.sqrt(dim // heads))  # in place: no [B, H, T, T] copies
        if mask is not None:
            scores.masked_fill_(~mask, torch.finfo(scores.dtype).min)
        out = dropout(torch.softmax(scores, dim=-1), dropout_p) @ v
    else:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    return out.transpose(1, 2).reshape(batch, length, dim)


def init_encoder_weights(module: nn.Module, std: float) -> None:
    """BERT's initialisation: normal(0, ``initializer_range``) weights, zero biases, unit LayerNorms."""
    for sub in module.modules():
        if isinstance(sub, (nn.Linear, nn.Embedding)):
            nn.init.normal_(sub.weight, mean=0.0, std=std)
        if isinstance(sub, nn.Linear) and sub.bias is not None:
            nn.init.zeros_(sub.bias)
        if isinstance(sub, nn.LayerNorm):
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)


class BertEmbeddings(nn.Module):
    """Word + position + segment embeddings, LayerNorm, dropout; ``dim`` is ALBERT's ``embedding_size``."""

    def __init__(self, config: EncoderConfig, dim: Optional[int] = None) -> None:
        super().__init__()
        dim = dim or config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, dim, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, dim)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, positions: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """``positions`` defaults to ``0..T-1`` for every row (RoBERTa passes its padding-aware ones)."""
        if positions is None:
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)[None]
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        x = x + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class _SelfAttention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(config.hidden_size, config.hidden_size) for _ in range(3))


class _DenseNorm(nn.Module):
    """``LayerNorm(dropout(dense(x)) + residual)``: BERT's output sub-block."""

    def __init__(self, d_in: int, d_out: int, config: EncoderConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout.add_to(residual, self.dense(x)))


class _Attention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(config)
        self.output = _DenseNorm(config.hidden_size, config.hidden_size, config)
        self.heads = config.num_attention_heads
        self.dropout = config.attention_probs_dropout_prob

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        attn = self.self
        p = self.dropout if self.training else 0.0
        context = multi_head_attention(attn.query(x), attn.key(x), attn.value(x), keep, self.heads, p)
        return self.output(context, x)


class _Intermediate(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = activation_function(config.hidden_act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _DenseNorm(config.intermediate_size, config.hidden_size, config)

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.output(self.intermediate(x), x)


def check_encoder_config(config: EncoderConfig) -> None:
    """Refuse what BERT-style layers cannot build: relative positions, a width not split evenly into heads."""
    if config.position_embedding_type != "absolute":
        raise ValueError(
            f"Encoder config: position_embedding_type {config.position_embedding_type!r} is not supported; "
            "only 'absolute' is"
        )
    if config.hidden_size % config.num_attention_heads:
        raise ValueError(
            f"Encoder config: hidden_size {config.hidden_size} is not a multiple of num_attention_heads "
            f"{config.num_attention_heads}"
        )


class BertEncoder(BertModule):
    """BERT encoder built from an :class:`EncoderConfig` (random weights; see ``restore_weights``)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        check_encoder_config(config)
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = LayerList(_Layer(config) for _ in range(config.num_hidden_layers))
        init_encoder_weights(self, config.initializer_range)

    @property
    def layers(self) -> nn.ModuleList:
        return self.encoder.layer

    def _embed(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor]) -> torch.Tensor:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        return self.embeddings(input_ids, token_type_ids)
