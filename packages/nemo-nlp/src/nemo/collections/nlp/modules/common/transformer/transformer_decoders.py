"""Transformer decoder stack: masked self-attention, encoder-decoder attention, feed-forward (post-LN or pre-LN)."""

import copy
from typing import List, Optional, Union

import torch
from torch import nn

from nemo.collections.nlp.modules.common.transformer.transformer_modules import (
    MultiHeadAttention,
    PositionWiseFF,
    form_attention_mask,
)

__all__ = ["TransformerDecoderBlock", "TransformerDecoder"]


class TransformerDecoderBlock(nn.Module):
    """One decoder layer; ``pre_ln`` has the same meaning as in ``TransformerEncoderBlock``."""

    def __init__(
        self,
        hidden_size: int,
        inner_size: int,
        num_attention_heads: int = 1,
        attn_score_dropout: float = 0.0,
        attn_layer_dropout: float = 0.0,
        ffn_dropout: float = 0.0,
        hidden_act: str = "relu",
        pre_ln: bool = False,
    ):
        super().__init__()
        self.pre_ln = pre_ln
        self.layer_norm_1 = nn.LayerNorm(hidden_size, eps=1e-5)
        self.first_sub_layer = MultiHeadAttention(
            hidden_size, num_attention_heads, attn_score_dropout, attn_layer_dropout
        )
        self.layer_norm_2 = nn.LayerNorm(hidden_size, eps=1e-5)
        self.second_sub_layer = MultiHeadAttention(
            hidden_size, num_attention_heads, attn_score_dropout, attn_layer_dropout
        )
        self.layer_norm_3 = nn.LayerNorm(hidden_size, eps=1e-5)
        self.third_sub_layer = PositionWiseFF(hidden_size, inner_size, ffn_dropout, hidden_act)

    def forward(
        self,
        decoder_query: torch.Tensor,
        decoder_mask: torch.Tensor,
        decoder_keys: torch.Tensor,
        encoder_states: torch.Tensor,
        encoder_mask: torch.Tensor,
    ) -> torch.Tensor:
        if self.pre_ln:
            query, keys = self.layer_norm_1(decoder_query), self.layer_norm_1(decoder_keys)
            hidden = decoder_query + self.first_sub_layer(query, keys, keys, decoder_mask)
            normed = self.layer_norm_2(hidden)
            hidden = hidden + self.second_sub_layer(normed, encoder_states, encoder_states, encoder_mask)
            return hidden + self.third_sub_layer(self.layer_norm_3(hidden))
        hidden = self.layer_norm_1(
            decoder_query + self.first_sub_layer(decoder_query, decoder_keys, decoder_keys, decoder_mask)
        )
        hidden = self.layer_norm_2(hidden + self.second_sub_layer(hidden, encoder_states, encoder_states, encoder_mask))
        return self.layer_norm_3(hidden + self.third_sub_layer(hidden))


class TransformerDecoder(nn.Module):
    """A stack of decoder blocks with causal self-attention.

    For incremental generation pass ``decoder_mems_list`` (the per-layer inputs cached from earlier steps, as
    returned with ``return_mems=True``) and only the new positions in ``decoder_states``; ``decoder_mask`` then covers
    the cached and the new positions. With ``return_mems`` the per-layer inputs (cached + new) and the final output
    are returned, so the last element's last position gives the newest hidden state.
    """

    def __init__(
        self,
        num_layers: int,
        hidden_size: int,
        inner_size: int,
        num_attention_heads: int = 1,
        attn_score_dropout: float = 0.0,
        attn_layer_dropout: float = 0.0,
        ffn_dropout: float = 0.0,
        hidden_act: str = "relu",
        pre_ln: bool = False,
        pre_ln_final_layer_norm: bool = True,
    ):
        super().__init__()
        layer = TransformerDecoderBlock(
            hidden_size,
            inner_size,
            num_attention_heads,
            attn_score_dropout,
            attn_layer_dropout,
            ffn_dropout,
            hidden_act,
            pre_ln,
        )
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.final_layer_norm = nn.LayerNorm(hidden_size, eps=1e-5) if pre_ln and pre_ln_final_layer_norm else None

    def forward(
        self,
        decoder_states: torch.Tensor,
        decoder_mask: torch.Tensor,
        encoder_states: torch.Tensor,
        encoder_mask: torch.Tensor,
        decoder_mems_list: Optional[List[torch.Tensor]] = None,
        return_mems: bool = False,
    ) -> Union[torch.Tensor, List[torch.Tensor]]:
        num_queries = decoder_states.shape[1]
        cached = decoder_mems_list[0] if decoder_mems_list is not None else None
        keys = decoder_states if cached is None else torch.cat([cached, decoder_states], dim=1)
        if decoder_mask.shape[1] != keys.shape[1]:
            raise ValueError(
                f"TransformerDecoder: decoder_mask covers {decoder_mask.shape[1]} positions but the states (with "
                f"mems) have {keys.shape[1]}"
            )
        self_mask = form_attention_mask(decoder_mask, num_queries, causal=True)
        cross_mask = form_attention_mask(encoder_mask, num_queries)
        mems = [keys]
        hidden = decoder_states
        for i, layer in enumerate(self.layers):
            hidden = layer(hidden, self_mask, keys, encoder_states, cross_mask)
            cached = decoder_mems_list[i + 1] if decoder_mems_list is not None else None
            keys = hidden if cached is None else torch.cat([cached, hidden], dim=1)
            mems.append(keys)
        if self.final_layer_norm is not None:
            # Only the new positions are normalised: the cached last entry already holds normalised outputs.
            hidden = self.final_layer_norm(hidden)
            cached = decoder_mems_list[-1] if decoder_mems_list is not None else None
            mems[-1] = hidden if cached is None else torch.cat([cached, hidden], dim=1)
        return mems if return_mems else hidden
