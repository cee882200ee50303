"""Transformer encoder stack (self-attention + feed-forward blocks, post-LN or pre-LN)."""

from typing import Any, Callable, List, Optional, Union

import torch
from torch import nn

from nemo.collections.nlp.modules.common.transformer.transformer_modules import (
    TransformerBlock,
    TransformerStack,
    form_attention_mask,
)

__all__ = ["TransformerEncoderBlock", "TransformerEncoder"]


class TransformerEncoderBlock(TransformerBlock):
    """One encoder layer: self-attention then feed-forward, each with a residual connection (see ``pre_ln`` in
    ``TransformerBlock``)."""

    def _add_sub_layers(self, attention: Callable, norm: Callable, feed_forward: Callable) -> None:
        self.second_sub_layer = feed_forward()

    def forward(self, encoder_query: torch.Tensor, encoder_mask: torch.Tensor, encoder_keys: torch.Tensor):
        hidden = self._self_attention(encoder_query, encoder_keys, encoder_mask)
        return self._residual(self.layer_norm_2, self.second_sub_layer, hidden)


class TransformerEncoder(TransformerStack):
    """A stack of ``num_layers`` identical encoder blocks (``mask_future``: causal self-attention).

    ``encoder_mems_list`` (one tensor per layer input) lets callers prepend cached states as extra keys;
    ``return_mems`` returns the input of every layer plus the final output instead of the output alone.
    """

    block_class = TransformerEncoderBlock

    def __init__(self, num_layers: int, hidden_size: int, inner_size: int, mask_future: bool = False, **kwargs: Any):
        """``kwargs``: ``TransformerStack``'s (``num_attention_heads``, dropouts, ``hidden_act``, ``pre_ln``...)."""
        super().__init__(num_layers, hidden_size, inner_size, **kwargs)
        self.mask_future = mask_future

    def forward(
        self,
        encoder_states: torch.Tensor,
        encoder_mask: torch.Tensor,
        encoder_mems_list: Optional[List[torch.Tensor]] = None,
        return_mems: bool = False,
    ) -> Union[torch.Tensor, List[torch.Tensor]]:
        attn_mask = form_attention_mask(encoder_mask, encoder_states.shape[1], causal=self.mask_future)

        def step(layer: nn.Module, hidden: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
            return layer(hidden, attn_mask, keys)

        return self._run_layers(encoder_states, encoder_mask, "encoder_mask", encoder_mems_list, return_mems, step)
