"""1-D convolutions that also run in the channels-last layout ``[B, C, 1, T]`` (memory ``[B, T, C]``).

oneDNN's channels-last 2-D kernels are 15-45% faster than its 1-D ones on HiFi-GAN's generator shapes (few channels,
tens of thousands of samples; forward and backward, measured on every shipped generator config, see
``modules.hifigan.Generator``), with the same sums to float32 rounding (<= 1e-7 on the waveform). ``Conv1d`` and
``ConvTranspose1d`` are ``torch.nn``'s with the same parameters, state-dict names and weight-norm hooks; a 3-D input
takes torch's own path, a 4-D one (made by ``to_channels_last``) the 2-D kernel over the same weights.
"""

from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Conv1d", "ConvTranspose1d", "from_channels_last", "to_channels_last"]


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, T]`` -> ``[B, C, 1, T]`` stored as ``[B, T, C]``."""
    return x[:, :, None].contiguous(memory_format=torch.channels_last)


def from_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, 1, T]`` -> ``[B, C, T]`` (a view; contiguous when ``C`` is 1)."""
    return x[:, :, 0]


class Conv1d(nn.Conv1d):
    """``nn.Conv1d`` that also takes a ``to_channels_last`` tensor (zero padding only, as HiFi-GAN's)."""

    def _conv_forward(self, input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        if input.dim() != 4 or self.padding_mode != "zeros":
            return super()._conv_forward(input, weight, bias)
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
