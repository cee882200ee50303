"""Utterance-level pooling of speaker models: statistics pooling (x-vector, TAP) and attentive statistics pooling.

Class names, arguments and submodule layout follow NeMo's ``parts/submodules/tdnn_attention.py`` so TitaNet and
SpeakerNet state dicts load strictly (``_pooling.attention_layer.0.conv_layer.weight`` ...). Both poolings honour
``length``: padded frames never enter a statistic.
"""

from typing import Optional, Tuple

import torch
from torch import nn

from nemo.collections.asr.parts.jasper import get_same_padding
from nemo.collections.common.data.masks import lengths_to_mask

__all__ = ["AttentivePoolLayer", "StatsPoolLayer", "TDNNModule", "masked_mean_std"]

_POOL_MODES = ("xvector", "tap")


def masked_mean_std(x: torch.Tensor, weights: torch.Tensor, eps: float = 1e-10) -> Tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and standard deviation of ``x`` ``(B, D, T)`` over time; ``weights`` ``(B, 1|D, T)`` sum to 1 over
    the valid frames and are 0 on padding (NeMo's ``get_statistics_with_mask``; the variance is clamped at ``eps``)."""
    mean = (weights * x).sum(dim=2)
    var = (weights * (x - mean.unsqueeze(2)).pow(2)).sum(dim=2)
    return mean, var.clamp(min=eps).sqrt()


class StatsPoolLayer(nn.Module):
    """``(B, D, T)`` -> ``(B, 2D)`` mean and standard deviation over valid frames (``xvector``) or ``(B, D)`` mean
    (``tap``). ``unbiased`` divides the variance by ``length - 1``, as ``torch.std`` does (by 1 for a single frame,
    where NeMo gives NaN)."""

    def __init__(self, feat_in: int, pool_mode: str = "xvector", eps: float = 1e-10, unbiased: bool = True) -> None:
        super().__init__()
        if pool_mode not in _POOL_MODES:
            raise ValueError(f"StatsPoolLayer: pool_mode must be one of {list(_POOL_MODES)}, got {pool_mode!r}")
        self.pool_mode = pool_mode
        self.eps = eps
        self.unbiased = unbiased
        self.feat_in = 2 * feat_in if pool_mode == "xvector" else feat_in

    def forward(self, encoder_output: torch.Tensor, length: Optional[torch.Tensor] = None) -> torch.Tensor:
        steps = encoder_output.shape[-1]
        if length is None:
            length = torch.full((encoder_output.shape[0],), steps, device=encoder_output.device)
        valid = lengths_to_mask(length, steps).unsqueeze(1)
        count = length.to(encoder_output.dtype).view(-1, 1)
        x = encoder_output.masked_fill(~valid, 0.0)
        mean = x.sum(dim=-1) / count
        if self.pool_mode == "tap":
            return mean
        squares = (x - mean.unsqueeze(-1)).masked_fill(~valid, 0.0).pow(2).sum(dim=-1)
        std = (squares / (count - int(self.unbiased)).clamp(min=1)).clamp(min=self.eps).sqrt()
        return torch.cat([mean, std], dim=-1)


class TDNNModule(nn.Module):
    """Conv1d with 'same' padding -> ReLU -> BatchNorm: a time-delay layer (NeMo's ``stride``/``padding`` arguments,
    which its pooling never sets, are left out)."""

    def __init__(self, inp_filters: int, out_filters: int, kernel_size: int = 1, dilation: int = 1) -> None:
        super().__init__()
        padding = get_same_padding(kernel_size, stride=1, dilation=dilation)
        self.conv_layer = nn.Conv1d(inp_filters, out_filters, kernel_size, dilation=dilation, padding=padding)
        self.activation = nn.ReLU()
        self.bn = nn.BatchNorm1d(out_filters)

    def forward(self, x: torch.Tensor, length: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.bn(self.activation(self.conv_layer(x)))


class AttentivePoolLayer(nn.Module):
    """Attentive statistics pooling (ECAPA-TDNN, TitaNet): ``(B, D, T)`` -> ``(B, 2D, 1)``.

    Each channel's attention over time is computed from the frames and the utterance's global mean and standard
    deviation; the output is the attention-weighted mean and standard deviation. ``length=None`` takes every frame
    as valid (NeMo then uses only the first frame, an accident of its default).
    """

    def __init__(
        self,
        inp_filters: int,
        attention_channels: int = 128,
        kernel_size: int = 1,
        dilation: int = 1,
        eps: float = 1e-10,
    ) -> None:
        super().__init__()
        self.feat_in = 2 * inp_filters
        self.attention_layer = nn.Sequential(
            TDNNModule(inp_filters * 3, attention_channels, kernel_size=kernel_size, dilation=dilation),
            nn.Tanh(),
            nn.Conv1d(attention_channels, inp_filters, kernel_size=kernel_size, dilation=dilation),
        )
        self.eps = eps

    def forward(self, x: torch.Tensor, length: Optional[torch.Tensor] = None) -> torch.Tensor:
        steps = x.shape[2]
        if length is None:
            length = torch.full((x.shape[0],), steps, device=x.device)
        valid = lengths_to_mask(length, steps).unsqueeze(1)
        uniform = valid.to(x.dtype) / length.to(x.dtype).view(-1, 1, 1)
        mean, std = masked_mean_std(x, uniform, self.eps)
        context = torch.cat([x, mean.unsqueeze(2).expand_as(x), std.unsqueeze(2).expand_as(x)], dim=1)
        scores = self.attention_layer(context).masked_fill(~valid, float("-inf"))
        alpha = torch.softmax(scores, dim=2)
        mu, sigma = masked_mean_std(x, alpha, self.eps)
        return torch.cat([mu, sigma], dim=1).unsqueeze(2)
