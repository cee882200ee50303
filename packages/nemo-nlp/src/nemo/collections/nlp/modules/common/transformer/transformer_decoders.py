"""Transformer decoder stack: masked self-attention, encoder-decoder attention, feed-forward (post-LN or pre-LN)."""

from typing import Callable, List, Optional, Union

import torch
from torch import nn

from nemo.collections.nlp.modules.common.transformer.transformer_modules import (
    TransformerBlock,
    TransformerStack,
    form_attention_mask,
)

__all__ = ["TransformerDecoderBlock", "TransformerDecoder"]


class TransformerDecoderBlock(TransformerBlock):
    """One decoder layer: masked self-attention, attention to the encoder states, feed-forward (``pre_ln`` has the
    same meaning as in ``TransformerEncoderBlock``)."""

    def _add_sub_layers(self, attention: Callable, norm: Callable, feed_forward: Callable) -> None:
        self.second_sub_layer = attention()
        self.layer_norm_3 = norm()
        self.third_sub_layer = feed_forward()

    def forward(
        self,
        decoder_query: torch.Tensor,
        decoder_mask: torch.Tensor,
        decoder_keys: torch.Tensor,
        encoder_states: torch.Tensor,
        encoder_mask: torch.Tensor,
    ) -> torch.Tensor:
        hidden = self._self_attention(decoder_query, decoder_keys, decoder_mask)
        hidden = self._residual(
            self.layer_norm_2, lambda x: self.second_sub_layer(x, encoder_states, encoder_states, encoder_mask), hidden
        )
        return self._residual(self.layer_norm_3, self.third_sub_layer, hidden)


class TransformerDecoder(TransformerStack):
    """A stack of decoder blocks with causal self-attention.

    For incremental generation pass ``decoder_mems_list`` (the per-layer inputs cached from earlier steps, as
    returned with ``return_mems=True``) and only the new positions in ``decoder_states``; ``decoder_mask`` then covers
    the cached and the new positions. With ``return_mems`` the per-layer inputs (cached + new) and the final output
    are returned, so the last element's last position gives the newest hidden state.
    """

    block_class = TransformerDecoderBlock

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
        self_mask = form_attention_mask(decoder_mask, num_queries, causal=True)
        cross_mask = form_attention_mask(encoder_mask, num_queries)

        def step(layer: nn.Module, hidden: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
            return layer(hidden, self_mask, keys, encoder_states, cross_mask)

        return self._run_layers(decoder_states, decoder_mask, "decoder_mask", decoder_mems_list, return_mems, step)
