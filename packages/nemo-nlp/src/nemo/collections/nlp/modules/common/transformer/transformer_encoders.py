"""Transformer encoder stack (self-attention + feed-forward blocks, post-LN or pre-LN)."""

import copy
from typing import List, Optional, Union

import torch
from torch import nn

from nemo.collections.nlp.modules.common.transformer.transformer_modules import (
    MultiHeadAttention,
    PositionWiseFF,
    form_attention_mask,
)

__all__ = ["TransformerEncoderBlock", "TransformerEncoder"]


class TransformerEncoderBlock(nn.Module):
    """One encoder layer: self-attention then feed-forward, each with a residual connection.

    ``pre_ln=False`` normalises after each residual sum (the original Transformer); ``pre_ln=True`` normalises the
    input of each sub-layer, which trains more stably for deep stacks.
    """

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
        self.second_sub_layer = PositionWiseFF(hidden_size, inner_size, ffn_dropout, hidden_act)

    def forward(self, encoder_query: torch.Tensor, encoder_mask: torch.Tensor, encoder_keys: torch.Tensor):
        if self.pre_ln:
            query, keys = self.layer_norm_1(encoder_query), self.layer_norm_1(encoder_keys)
            hidden = encoder_query + self.first_sub_layer(query, keys, keys, encoder_mask)
            return hidden + self.second_sub_layer(self.layer_norm_2(hidden))
        hidden = self.layer_norm_1(
            encoder_query + self.first_sub_layer(encoder_query, encoder_keys, encoder_keys, encoder_mask)
        )
        return self.layer_norm_2(hidden + self.second_sub_layer(hidden))


class TransformerEncoder(nn.Module):
    """A stack of ``num_layers`` identical encoder blocks.

    ``encoder_mems_list`` (one tensor per layer input) lets callers prepend cached states as extra keys;
    ``return_mems`` returns the input of every layer plus the final output instead of the output alone.
    """

    def __init__(
        self,
        num_layers: int,
        hidden_size: int,
        inner_size: int,
        mask_future: bool = False,
        num_attention_heads: int = 1,
        attn_score_dropout: float = 0.0,
        attn_layer_dropout: float = 0.0,
        ffn_dropout: float = 0.0,
        hidden_act: str = "relu",
        pre_ln: bool = False,
        pre_ln_final_layer_norm: bool = True,
    ):
        super().__init__()
        layer = TransformerEncoderBlock(
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
        self.mask_future = mask_future

    def forward(
        self,
        encoder_states: torch.Tensor,
        encoder_mask: torch.Tensor,
        encoder_mems_list: Optional[List[torch.Tensor]] = None,
        return_mems: bool = False,
    ) -> Union[torch.Tensor, List[torch.Tensor]]:
        num_queries = encoder_states.shape[1]
        cached = encoder_mems_list[0] if encoder_mems_list is not None else None
        keys = encoder_states if cached is None else torch.cat([cached, encoder_states], dim=1)
        key_mask = encoder_mask
        if key_mask.shape[1] != keys.shape[1]:
            raise ValueError(
                f"TransformerEncoder: encoder_mask covers {key_mask.shape[1]} positions but the states (with mems) "
                f"have {keys.shape[1]}"
            )
        attn_mask = form_attention_mask(key_mask, num_queries, causal=self.mask_future)
        mems = [keys]
        hidden = encoder_states
        for i, layer in enumerate(self.layers):
            hidden = layer(hidden, attn_mask, keys)
            cached = encoder_mems_list[i + 1] if encoder_mems_list is not None else None
            keys = hidden if cached is None else torch.cat([cached, hidden], dim=1)
            mems.append(keys)
        if self.final_layer_norm is not None:
            # Only the new positions are normalised: the cached last entry already holds normalised outputs.
            hidden = self.final_layer_norm(hidden)
            cached = encoder_mems_list[-1] if encoder_mems_list is not None else None
            mems[-1] = hidden if cached is None else torch.cat([cached, hidden], dim=1)
        return mems if return_mems else hidden
