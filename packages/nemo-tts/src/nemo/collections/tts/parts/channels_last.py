"""1-D convolutions that also run in the channels-last layout ``[B, C, 1, T]`` (memory ``[B, T, C]``).

oneDNN's channels-last 2-D kernels are 15-45% faster than its 1-D ones on HiFi-GAN's generator shapes (few channels,
tens of thousands of samples; forward and backward, measured on every shipped generator config, see
``modules.hifigan.Generator``), with the same sums to float32 rounding (<= 1e-7 on the waveform). ``Conv1d`` and
``ConvTranspose1d`` are ``torch.nn``'s with the same parameters, state-dict names and weight-norm hooks; a 3-D input
takes torch's own path, a 4-D one (made by ``to_channels_last``) the 2-D kernel over the same weights.

At ``MAX_FOLDED_CHANNELS`` channels or fewer those kernels run at half the rate they reach at 16 (HiFi-GAN v2's last
stage: 8 channels x 40,960 samples, 11 taps, 4.15 ms against 4.06 ms for 16 x 20,480). There an undilated stride-1
``Conv1d`` of ``MIN_FOLDED_TAPS`` or more taps over an even length folds pairs of steps into channels: ``[B, T, C]``
memory read as ``[B, T / 2, 2 C]`` (a view), the kernel rewritten for the pairs (``2 C`` channels each way, 7
taps for 11, 5 for 7: 1.27x and 1.43x the multiply-adds) and the output read back the same way. Measured (one
thread, 8 channels, batch 4 x 8,192-40,960 samples): forward 0.66-0.77 of the unfolded kernel at 11 taps and
0.76-0.90 at 7, forward plus backward 0.74-0.89; at 3 taps 1.07-1.31 and on 16 channels 1.3-2.3, so those stay.
"""

from functools import cache
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.common.parts.graph_capture import capturing_graph

__all__ = [
    "MAX_FOLDED_CHANNELS",
    "MIN_FOLDED_TAPS",
    "Conv1d",
    "ConvTranspose1d",
    "from_channels_last",
    "to_channels_last",
]

MAX_FOLDED_CHANNELS = 8
"""Convolutions with at most this many input and output channels fold pairs of steps into channels."""

MIN_FOLDED_TAPS = 7
"""...and at least this many taps (measured at 7 and 11; at 3 the rewritten kernel's extra multiply-adds cost more
than the faster kernel saves)."""


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, T]`` -> ``[B, C, 1, T]`` stored as ``[B, T, C]``."""
    return x[:, :, None].contiguous(memory_format=torch.channels_last)


def from_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, 1, T]`` -> ``[B, C, T]`` (a view; contiguous when ``C`` is 1)."""
    return x[:, :, 0]


@cache
def _pair_taps(kernel: int, padding: int) -> Tuple[torch.Tensor, int]:
    """For a kernel of ``kernel`` taps at zero padding ``padding`` run over pairs of steps: the index of each folded
    tap ``(r, r', m)`` (output step ``2 t + r`` reads input step ``2 (t + m) + r'``, which is the original tap
    ``2 m + r' - r + padding``) into the kernel padded by one zero tap on each side, and the pairs' own padding.
    Built once per geometry (the forward of every folded layer reads it; nothing writes it)."""
    low, high = (-padding) // 2, (kernel - padding) // 2
    r = torch.arange(2).view(2, 1, 1)
    r_in = torch.arange(2).view(1, 2, 1)
    m = torch.arange(low, high + 1).view(1, 1, -1)
    taps = (2 * m + r_in - r + padding + 1).clamp(0, kernel + 1)  # outside the kernel: one of the zero taps
    return taps.reshape(-1), -low


def _folds(conv: nn.Conv1d, x: torch.Tensor) -> bool:
    return (
        conv.in_channels <= MAX_FOLDED_CHANNELS
        and conv.out_channels <= MAX_FOLDED_CHANNELS
        and conv.kernel_size[0] >= MIN_FOLDED_TAPS
        and conv.stride[0] == 1
        and conv.dilation[0] == 1
        and conv.groups == 1
        and 2 * conv.padding[0] == conv.kernel_size[0] - 1  # "same" length, so the pairs stay pairs
        and x.shape[3] % 2 == 0
        and x.device.type == "cpu"
        and x.is_contiguous(memory_format=torch.channels_last)
        and not capturing_graph()  # an exported graph keeps the plain kernel (ONNX needs its static shape)
    )


def _folded_conv(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], padding: int) -> torch.Tensor:
    """The ``same``-length convolution of ``x`` ``[B, C, 1, T]`` (channels last) over pairs of steps."""
    batch, channels, _, steps = x.shape
    out_channels, _, kernel = weight.shape
    taps, pair_padding = _pair_taps(kernel, padding)
    pair_weight = F.pad(weight, (1, 1)).index_select(2, taps.to(weight.device))
    pair_weight = pair_weight.view(out_channels, channels, 2, 2, -1).permute(2, 0, 3, 1, 4)
    pair_weight = pair_weight.reshape(2 * out_channels, 2 * channels, 1, -1)
    pairs = x.permute(0, 2, 3, 1).reshape(batch, 1, steps // 2, 2 * channels).permute(0, 3, 1, 2)
    out = F.conv2d(pairs, pair_weight, None if bias is None else bias.repeat(2), 1, (0, pair_padding))
    return out.permute(0, 2, 3, 1).reshape(batch, 1, steps, out_channels).permute(0, 3, 1, 2)


class Conv1d(nn.Conv1d):
    """``nn.Conv1d`` that also takes a ``to_channels_last`` tensor (zero padding only, as HiFi-GAN's)."""

    def _conv_forward(self, input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        if input.dim() != 4 or self.padding_mode != "zeros":
            return super()._conv_forward(input, weight, bias)
        if _folds(self, input):
            return _folded_conv(input, weight, bias, self.padding[0])
        stride, padding, dilation = (1, self.stride[0]), (0, self.padding[0]), (1, self.dilation[0])
        return F.conv2d(input, weight[:, :, None], bias, stride, padding, dilation, self.groups)


class ConvTranspose1d(nn.ConvTranspose1d):
    """``nn.ConvTranspose1d`` that also takes a ``to_channels_last`` tensor (no ``output_size``)."""

    def forward(self, input: torch.Tensor, output_size: Optional[List[int]] = None) -> torch.Tensor:
        if input.dim() != 4 or output_size is not None:
            return super().forward(input, output_size)
        stride, padding, dilation = (1, self.stride[0]), (0, self.padding[0]), (1, self.dilation[0])
        output_padding = (0, self.output_padding[0])
        return F.conv_transpose2d(
            input, self.weight[:, :, None], self.bias, stride, padding, output_padding, self.groups, dilation
        )
