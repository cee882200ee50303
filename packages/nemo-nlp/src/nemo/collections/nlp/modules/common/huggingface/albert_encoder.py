"""``AlbertEncoder``: ALBERT in plain PyTorch, with HuggingFace's ``AlbertModel`` parameter names.

ALBERT embeds into a small ``embedding_size``, projects to ``hidden_size`` and runs ``num_hidden_layers`` layers that
share the weights of ``num_hidden_groups`` groups of ``inner_group_num`` layers each (one group in every released
model), so a 12-layer ALBERT stores one layer's weights.
"""

from typing import List, Optional

import torch
from torch import nn

from nemo.collections.common.parts.dropout import Dropout
from nemo.collections.nlp.modules.common.bert_module import BertModule
from nemo.collections.nlp.modules.common.huggingface.bert_encoder import (
    BertEmbeddings,
    activation_function,
    check_encoder_config,
    init_encoder_weights,
    multi_head_attention,
)
from nemo.collections.nlp.modules.common.huggingface.encoder_config import EncoderConfig

__all__ = ["AlbertEncoder"]


class _Attention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        size = config.hidden_size
        self.query, self.key, self.value, self.dense = (nn.Linear(size, size) for _ in range(4))
        self.LayerNorm = nn.LayerNorm(size, eps=config.layer_norm_eps)
        self.output_dropout = Dropout(config.hidden_dropout_prob)
        self.heads = config.num_attention_heads
        self.dropout = config.attention_probs_dropout_prob

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        p = self.dropout if self.training else 0.0
        context = multi_head_attention(self.query(x), self.key(x), self.value(x), keep, self.heads, p)
        return self.LayerNorm(self.output_dropout.add_to(x, self.dense(context)))


class _Layer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.full_layer_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = _Attention(config)
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.act = activation_function(config.hidden_act)

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.full_layer_layer_norm(self.ffn_output(self.act(self.ffn(x))) + x)


class _LayerGroup(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.albert_layers = nn.ModuleList(_Layer(config) for _ in range(config.inner_group_num))

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor]) -> torch.Tensor:
        for layer in self.albert_layers:
            x = layer(x, keep)
        return x


class _Transformer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.embedding_hidden_mapping_in = nn.Linear(config.embedding_size, config.hidden_size)
        self.albert_layer_groups = nn.ModuleList(_LayerGroup(config) for _ in range(config.num_hidden_groups))


class AlbertEncoder(BertModule):
    """ALBERT encoder from an :class:`EncoderConfig` (``model_type: albert``); checkpoints may say ``albert.``."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        check_encoder_config(config)
        if config.num_hidden_layers % config.num_hidden_groups:
            raise ValueError(
                f"Encoder config: num_hidden_layers {config.num_hidden_layers} is not a multiple of "
                f"num_hidden_groups {config.num_hidden_groups}"
            )
        self.config = config
        self.embeddings = BertEmbeddings(config, dim=config.embedding_size)
        self.encoder = _Transformer(config)
        init_encoder_weights(self, config.initializer_range)

    @property
    def layers(self) -> List[nn.Module]:
        """The layer groups in call order: layer ``i`` runs group ``i // (num_hidden_layers / num_hidden_groups)``."""
        groups = self.encoder.albert_layer_groups
        per_group = self.config.num_hidden_layers // len(groups)
        return [groups[i // per_group] for i in range(self.config.num_hidden_layers)]

    def _embed(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor]) -> torch.Tensor:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        return self.encoder.embedding_hidden_mapping_in(self.embeddings(input_ids, token_type_ids))
