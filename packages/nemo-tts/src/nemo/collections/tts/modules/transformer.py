"""FastPitch's feed-forward transformers (FFT), in NVIDIA NeMo 3's layout and arithmetic.

``FFTransformerEncoder`` embeds token ids (padding id masked out) and ``FFTransformerDecoder`` takes length-regulated
vectors with their lengths; both add sinusoidal positions and run post-LayerNorm blocks of self-attention (fused
``qkv_net``, ``o_net`` without bias) and a two-convolution feed-forward (``CoreNet``, both of ``kernel_size``). The
names and the persistent ``pos_emb.inv_freq`` buffer are NeMo's, so NeMo's FastPitch archives restore with
``strict=True`` and ours restore in NeMo.
"""

from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from nemo.collections.common.data.masks import lengths_to_mask
from nemo.collections.common.parts.dense_conv import dense_conv1d
from nemo.collections.common.parts.dropout import Dropout
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.collections.common.parts.packed_conv import conv_norm_act
from nemo.collections.tts.modules.conditioning import ConditionalInput, ConditionalLayerNorm
from nemo.core.classes.module import NeuralModule

__all__ = ["FFTransformerDecoder", "FFTransformerEncoder", "PositionalEmbedding", "TransformerLayer"]


class PositionalEmbedding(nn.Module):
    """Sinusoidal positions ``[1, T, d]`` (sines then cosines), the frequencies a saved buffer as in NeMo."""

    def __init__(self, demb: int) -> None:
        super().__init__()
        self.demb = demb
        self.register_buffer("inv_freq", 1 / (10000 ** (torch.arange(0.0, demb, 2.0) / demb)))

    def forward(self, pos_seq: torch.Tensor) -> torch.Tensor:
        angles = torch.matmul(pos_seq[:, None], self.inv_freq[None, :])
        return torch.cat([angles.sin(), angles.cos()], dim=1)[None]


class PositionwiseConvFF(nn.Module):
    """Conv-ReLU-Conv with a residual and a (pre or post) LayerNorm."""

    def __init__(self, d_model: int, d_inner: int, kernel_size: int, dropout: float, pre_lnorm: bool = False,
                 condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.CoreNet = nn.Sequential(
            nn.Conv1d(d_model, d_inner, kernel_size, 1, kernel_size // 2),
            nn.ReLU(inplace=True),  # on the convolution's own output: one [B, d_inner, T] buffer fewer
            nn.Conv1d(d_inner, d_model, kernel_size, 1, kernel_size // 2),
            Dropout(dropout),
        )
        self.layer_norm = ConditionalLayerNorm(d_model, condition_dim=d_model, condition_types=condition_types)
        self.pre_lnorm = pre_lnorm

    def _core(self, x: torch.Tensor) -> torch.Tensor:
        """``CoreNet(x)`` on the ``[B, C, T]`` view of ``[B, T, C]`` it gets: with gradients each convolution through
        ``dense_conv1d`` (three taps: Winograd's F(4, 3) where its rule says so), without them through
        ``conv_norm_act`` (one oneDNN call, the first with its ReLU, or the Winograd form)."""
        net = self.CoreNet
        if net._forward_hooks or net._forward_pre_hooks or capturing_graph():
            return net(x)
        conv1, relu, conv2, drop = net
        if torch.is_grad_enabled() or net.training:
            return drop(dense_conv1d(conv2, relu(dense_conv1d(conv1, x))))
        return drop(conv_norm_act(conv2, conv_norm_act(conv1, x, activation=relu)))

    def forward(self, inp: torch.Tensor, conditioning: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.pre_lnorm:
            core = self._core(self.layer_norm(inp, conditioning).transpose(1, 2)).transpose(1, 2)
            return core + inp
        core = self._core(inp.transpose(1, 2)).transpose(1, 2)
        return self.layer_norm(inp + core, conditioning)


class MultiHeadAttn(nn.Module):
    """Self-attention over ``n_head`` heads of ``d_head`` with a key padding mask, residual and LayerNorm."""

    def __init__(self, n_head: int, d_model: int, d_head: int, dropout: float, dropatt: float = 0.1,
                 pre_lnorm: bool = False, condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.n_head, self.d_head, self.scale = n_head, d_head, d_head**-0.5
        self.pre_lnorm = pre_lnorm
        self.qkv_net = nn.Linear(d_model, 3 * n_head * d_head)
        self.drop = Dropout(dropout)
        self.dropatt = Dropout(dropatt)
        self.o_net = nn.Linear(n_head * d_head, d_model, bias=False)
        self.layer_norm = ConditionalLayerNorm(d_model, condition_dim=d_model, condition_types=condition_types)

    def forward(self, inp: torch.Tensor, pad_mask: torch.Tensor, conditioning: Optional[torch.Tensor] = None):
        """``pad_mask`` ``[B, T]`` is True at padding (keys there get no weight)."""
        residual = inp
        if self.pre_lnorm:
            inp = self.layer_norm(inp, conditioning)
        batch, length, _ = inp.shape
        q, k, v = self.qkv_net(inp).view(batch, length, 3, self.n_head, self.d_head).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale  # B x H x T x T
        scores = scores.masked_fill(pad_mask[:, None, None, :], -float("inf"))
        weights = self.dropatt(torch.softmax(scores, dim=-1))
        context = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, self.n_head * self.d_head)
        out = self.drop.add_to(residual, self.o_net(context))
        return out if self.pre_lnorm else self.layer_norm(out, conditioning)


class TransformerLayer(nn.Module):
    """Attention then the convolutional feed-forward, outputs zeroed at padding."""

    def __init__(self, n_head: int, d_model: int, d_head: int, d_inner: int, kernel_size: int, dropout: float,
                 dropatt: float = 0.1, pre_lnorm: bool = False, condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.dec_attn = MultiHeadAttn(n_head, d_model, d_head, dropout, dropatt, pre_lnorm, condition_types)
        self.pos_ff = PositionwiseConvFF(d_model, d_inner, kernel_size, dropout, pre_lnorm, condition_types)

    def forward(self, inp: torch.Tensor, mask: torch.Tensor, conditioning: Optional[torch.Tensor] = None):
        """``mask`` ``[B, T, 1]`` is True at real positions."""
        out = self.dec_attn(inp, ~mask[..., 0], conditioning) * mask
        return self.pos_ff(out, conditioning) * mask


class FFTransformerDecoder(NeuralModule):
    """``(input [B, T, d_model], seq_lens [B]) -> (out [B, T, d_model], mask [B, T, 1])``."""

    def __init__(self, n_layer: int, n_head: int, d_model: int, d_head: int, d_inner: int, kernel_size: int,
                 dropout: float, dropatt: float, dropemb: float = 0.0, pre_lnorm: bool = False,
                 condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__()
        self.d_model, self.n_head, self.d_head = d_model, n_head, d_head
        self.pos_emb = PositionalEmbedding(d_model)
        self.drop = Dropout(dropemb)
        self.cond_input = ConditionalInput(d_model, d_model, list(condition_types))
        self.layers = nn.ModuleList(
            TransformerLayer(
                n_head, d_model, d_head, d_inner, kernel_size, dropout, dropatt, pre_lnorm, condition_types
            )  # fmt: skip
            for _ in range(n_layer)
        )

    def forward(self, input: torch.Tensor, seq_lens: torch.Tensor, conditioning: Optional[torch.Tensor] = None):
        return self._forward(input, lengths_to_mask(seq_lens, input.shape[1])[..., None], conditioning)

    def _forward(self, inp: torch.Tensor, mask: torch.Tensor, conditioning: Optional[torch.Tensor]) -> Tuple:
        positions = torch.arange(inp.shape[1], device=inp.device).to(inp.dtype)
        out = self.drop(self.cond_input(inp + self.pos_emb(positions) * mask, conditioning))
        for layer in self.layers:
            out = layer(out, mask, conditioning)
        return out, mask


class FFTransformerEncoder(FFTransformerDecoder):
    """``(input [B, T] token ids) -> (out [B, T, d_model], mask [B, T, 1])``; ``padding_idx`` marks padding."""

    def __init__(self, n_layer: int, n_head: int, d_model: int, d_head: int, d_inner: int, kernel_size: int,
                 dropout: float, dropatt: float, dropemb: float = 0.0, pre_lnorm: bool = False,
                 n_embed: Optional[int] = None, d_embed: Optional[int] = None, padding_idx: int = 0,
                 condition_types: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__(n_layer, n_head, d_model, d_head, d_inner, kernel_size, dropout, dropatt, dropemb, pre_lnorm,
                         condition_types)  # fmt: skip
        if n_embed is None:
            raise ValueError("FFTransformerEncoder: `n_embed` (the vocabulary size) is required")
        self.padding_idx = padding_idx
        self.word_emb = nn.Embedding(n_embed, d_embed or d_model, padding_idx=padding_idx)

    def forward(self, input: torch.Tensor, conditioning: Optional[torch.Tensor] = None) -> Tuple:  # type: ignore[override]
        return self._forward(self.word_emb(input), (input != self.padding_idx)[..., None], conditioning)
