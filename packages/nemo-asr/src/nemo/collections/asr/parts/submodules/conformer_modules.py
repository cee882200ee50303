"""The Conformer block (Gulati et al., 2020) with NeMo's submodule names, so NeMo's state dicts load strictly.

``ConformerLayer``: ``x + 0.5 * FF1(LN(x))`` -> ``+ MHSA(LN(.))`` -> ``+ Conv(LN(.))`` -> ``+ 0.5 * FF2(LN(.))`` ->
``LN`` (``norm_feed_forward1``, ``feed_forward1``, ``norm_self_att``, ``self_attn``, ``norm_conv``, ``conv``,
``norm_feed_forward2``, ``feed_forward2``, ``norm_out``), dropout on every branch before the residual sum.
``ConformerConvolution``: pointwise conv to ``2 * d_model`` -> GLU -> padded frames zeroed -> depthwise conv ->
``batch_norm`` (BatchNorm1d, LayerNorm, InstanceNorm1d or GroupNorm: the attribute keeps NeMo's name) -> Swish ->
pointwise conv. ``ConformerFeedForward``: ``linear1`` -> Swish -> dropout -> ``linear2``.
"""

from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from nemo.collections.asr.parts.submodules.causal_convs import CausalConv1D
from nemo.collections.asr.parts.submodules.multi_head_attention import (
    MultiHeadAttention,
    RelPositionMultiHeadAttention,
)
from nemo.collections.common.parts.dropout import Dropout

__all__ = ["ConformerConvolution", "ConformerFeedForward", "ConformerLayer"]

_SELF_ATTENTION_MODELS = ("rel_pos", "abs_pos")


class ConformerLayer(nn.Module):
    """One Conformer block. ``forward(x (B, T, d_model), att_mask (B, T, T), pos_emb, pad_mask (B, T))``; masks are
    True where masked (padding, or outside the attention context)."""

    def __init__(
        self,
        d_model: int,
        d_ff: int,
        self_attention_model: str = "rel_pos",
        n_heads: int = 4,
        conv_kernel_size: int = 31,
        conv_norm_type: str = "batch_norm",
        conv_context_size: Optional[Union[List[int], str]] = None,
        dropout: float = 0.1,
        dropout_att: float = 0.1,
        pos_bias_u: Optional[nn.Parameter] = None,
        pos_bias_v: Optional[nn.Parameter] = None,
        att_context_size: Sequence[int] = (-1, -1),
        use_bias: bool = True,
        use_pytorch_sdpa: Optional[bool] = None,
        use_pytorch_sdpa_backends: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__()
        if self_attention_model not in _SELF_ATTENTION_MODELS:
            raise ValueError(
                f"'{self_attention_model}' is not a valid value for 'self_attention_model'; this implementation "
                f"supports {list(_SELF_ATTENTION_MODELS)} (NeMo's 'rel_pos_local_attn' is not implemented)"
            )
        self.self_attention_model = self_attention_model
        self.n_heads = n_heads
        self.fc_factor = 0.5

        self.norm_feed_forward1 = nn.LayerNorm(d_model)
        self.feed_forward1 = ConformerFeedForward(d_model=d_model, d_ff=d_ff, dropout=dropout, use_bias=use_bias)

        self.norm_conv = nn.LayerNorm(d_model)
        self.conv = ConformerConvolution(
            d_model=d_model,
            kernel_size=conv_kernel_size,
            norm_type=conv_norm_type,
            conv_context_size=conv_context_size,
            use_bias=use_bias,
        )

        self.norm_self_att = nn.LayerNorm(d_model)
        attention = dict(
            n_head=n_heads,
            n_feat=d_model,
            dropout_rate=dropout_att,
            max_cache_len=att_context_size[0],
            use_bias=use_bias,
            use_pytorch_sdpa=use_pytorch_sdpa,
            use_pytorch_sdpa_backends=use_pytorch_sdpa_backends,
        )
        if self_attention_model == "rel_pos":
            self.self_attn = RelPositionMultiHeadAttention(pos_bias_u=pos_bias_u, pos_bias_v=pos_bias_v, **attention)
        else:
            self.self_attn = MultiHeadAttention(**attention)

        self.norm_feed_forward2 = nn.LayerNorm(d_model)
        self.feed_forward2 = ConformerFeedForward(d_model=d_model, d_ff=d_ff, dropout=dropout, use_bias=use_bias)

        self.dropout = Dropout(dropout)
        self.norm_out = nn.LayerNorm(d_model)

    def forward(
        self,
        x: torch.Tensor,
        att_mask: Optional[torch.Tensor] = None,
        pos_emb: Optional[torch.Tensor] = None,
        pad_mask: Optional[torch.Tensor] = None,
        cache_last_channel: Optional[torch.Tensor] = None,
        cache_last_time: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        if cache_last_channel is not None or cache_last_time is not None:
            raise NotImplementedError("ConformerLayer: streaming caches are not supported")
        residual = x
        x = self.feed_forward1(self.norm_feed_forward1(x))
        residual = self.dropout.add_to(residual, x, self.fc_factor)

        x = self.norm_self_att(residual)
        if self.self_attention_model == "rel_pos":
            x = self.self_attn(query=x, key=x, value=x, mask=att_mask, pos_emb=pos_emb)
        else:
            x = self.self_attn(query=x, key=x, value=x, mask=att_mask)
        residual = self.dropout.add_to(residual, x)

        x = self.conv(self.norm_conv(residual), pad_mask=pad_mask)
        residual = self.dropout.add_to(residual, x)

        x = self.feed_forward2(self.norm_feed_forward2(residual))
        residual = self.dropout.add_to(residual, x, self.fc_factor)
        return self.norm_out(residual)


class ConformerConvolution(nn.Module):
    """The convolution module. ``forward(x (B, T, d_model), pad_mask (B, T) True at padding)`` -> (B, T, d_model).

    ``norm_type``: ``batch_norm``, ``layer_norm``, ``instance_norm`` or ``group_normN`` (N groups); NeMo's
    ``fused_batch_norm`` is not supported. ``conv_context_size`` ``[left, right]`` (summing to ``kernel_size - 1``)
    makes the depthwise convolution asymmetric; None is ``[(k - 1) // 2] * 2``.
    """

    def __init__(
        self,
        d_model: int,
        kernel_size: int,
        norm_type: str = "batch_norm",
        conv_context_size: Optional[Union[List[int], str]] = None,
        pointwise_activation: str = "glu_",
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        if (kernel_size - 1) % 2 != 0:
            raise ValueError(f"conv_kernel_size must be odd, got {kernel_size}")
        if pointwise_activation != "glu_":
            raise ValueError(f"pointwise_activation '{pointwise_activation}' is not supported (only 'glu_')")
        self.d_model = d_model
        self.kernel_size = kernel_size
        self.norm_type = norm_type
        self.use_bias = use_bias
        if conv_context_size is None:
            conv_context_size = (kernel_size - 1) // 2
        elif not isinstance(conv_context_size, int):
            conv_context_size = [int(c) for c in conv_context_size]
        self.pointwise_activation = pointwise_activation
        dw_conv_input_dim = d_model

        self.pointwise_conv1 = nn.Conv1d(d_model, d_model * 2, kernel_size=1, stride=1, padding=0, bias=use_bias)
        self.depthwise_conv = CausalConv1D(
            in_channels=dw_conv_input_dim,
            out_channels=dw_conv_input_dim,
            kernel_size=kernel_size,
            stride=1,
            padding=conv_context_size,
            groups=dw_conv_input_dim,
            bias=use_bias,
        )
        if norm_type == "batch_norm":
            self.batch_norm = nn.BatchNorm1d(dw_conv_input_dim)
        elif norm_type == "instance_norm":
            self.batch_norm = nn.InstanceNorm1d(dw_conv_input_dim)
        elif norm_type == "layer_norm":
            self.batch_norm = nn.LayerNorm(dw_conv_input_dim)
        elif norm_type.startswith("group_norm") and norm_type[len("group_norm") :].isdigit():
            self.batch_norm = nn.GroupNorm(num_groups=int(norm_type[len("group_norm") :]), num_channels=d_model)
        else:
            raise ValueError(
                f"conv_norm_type={norm_type} is not valid! Use batch_norm, layer_norm, instance_norm or group_normN"
            )
        self.activation = nn.SiLU()
        self.pointwise_conv2 = nn.Conv1d(dw_conv_input_dim, d_model, kernel_size=1, stride=1, padding=0, bias=use_bias)

    def forward(
        self, x: torch.Tensor, pad_mask: Optional[torch.Tensor] = None, cache: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        if cache is not None:
            raise NotImplementedError("ConformerConvolution: streaming caches are not supported")
        x = nn.functional.glu(self.pointwise_conv1(x.transpose(1, 2)), dim=1)
        if pad_mask is not None:  # a multiply: masked_fill broadcast over channels is several times slower on CPU
            x = x * (~pad_mask).unsqueeze(1).to(x.dtype)
        x = self.depthwise_conv(x)
        if self.norm_type == "layer_norm":
            x = self.batch_norm(x.transpose(1, 2)).transpose(1, 2)
        else:
            x = self.batch_norm(x)
        x = self.pointwise_conv2(self.activation(x))
        return x.transpose(1, 2)


class ConformerFeedForward(nn.Module):
    """``linear2(dropout(swish(linear1(x))))`` with ``d_ff`` hidden units."""

    def __init__(
        self, d_model: int, d_ff: int, dropout: float, activation: Optional[nn.Module] = None, use_bias: bool = True
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.d_ff = d_ff
        self.use_bias = use_bias
        self.linear1 = nn.Linear(d_model, d_ff, bias=use_bias)
        self.activation = activation if activation is not None else nn.SiLU()
        self.dropout = Dropout(p=dropout)
        self.linear2 = nn.Linear(d_ff, d_model, bias=use_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))
