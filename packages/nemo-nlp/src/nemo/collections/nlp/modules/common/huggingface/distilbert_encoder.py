"""``DistilBertEncoder``: DistilBERT in plain PyTorch with HuggingFace's parameter names (``transformer.layer.N``)."""

from typing import Optional

import torch
from torch import nn

from nemo.collections.common.parts.dropout import Dropout
from nemo.collections.nlp.modules.common.bert_module import BertModule, LayerList
from nemo.collections.nlp.modules.common.huggingface.bert_encoder import (
    activation_function,
    init_encoder_weights,
    multi_head_attention,
)
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig

__all__ = ["DistilBertEncoder"]

_LAYER_NORM_EPS = 1e-12  # DistilBERT's LayerNorms use a fixed epsilon


def _sinusoidal_table(positions: int, dim: int) -> torch.Tensor:
    """Fixed sin/cos position embeddings (``sinusoidal_pos_embds: true``)."""
    pos = torch.arange(positions, dtype=torch.float64)[:, None]
    rates = torch.pow(10000.0, 2 * (torch.arange(dim, dtype=torch.float64) // 2) / dim)
    angles = pos / rates
    table = torch.zeros(positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table.float()


class _Embeddings(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.dropout = Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        return self.dropout(self.LayerNorm(x))


class _Attention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(config.dim, config.dim) for _ in range(4))
        self.heads = config.n_heads
        self.dropout = config.attention_dropout

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        p = self.dropout if self.training else 0.0
        return self.out_lin(multi_head_attention(self.q_lin(x), self.k_lin(x), self.v_lin(x), keep, self.heads, p))


class _FeedForward(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.act = activation_function(config.activation)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.lin2(self.act(self.lin1(x))))


class _Layer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.ffn = _FeedForward(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        x = self.sa_layer_norm(self.dropout.add_to(x, self.attention(x, keep)))
        return self.output_layer_norm(self.ffn(x) + x)


class DistilBertEncoder(BertModule):
    """DistilBERT encoder from an :class:`EncoderConfig`; ``token_type_ids`` is accepted and ignored (no segments)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        if config.dim % config.n_heads:
            raise ValueError(f"Encoder config: dim {config.dim} is not a multiple of n_heads {config.n_heads}")
        self.config = config
        self.embeddings = _Embeddings(config)
        self.transformer = LayerList(_Layer(config) for _ in range(config.n_layers))
        init_encoder_weights(self, config.initializer_range)
        if config.sinusoidal_pos_embds:
            with torch.no_grad():
                self.embeddings.position_embeddings.weight.copy_(
                    _sinusoidal_table(config.max_position_embeddings, config.dim)
                )
            self.embeddings.position_embeddings.weight.requires_grad_(False)

    @property
    def layers(self) -> nn.ModuleList:
        return self.transformer.layer

    def _embed(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor]) -> torch.Tensor:
        return self.embeddings(input_ids)  # DistilBERT has no segments
