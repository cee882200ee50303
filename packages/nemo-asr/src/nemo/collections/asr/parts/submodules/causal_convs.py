"""Convolutions with explicit (possibly one-sided) zero padding: NeMo's ``CausalConv1D`` and ``CausalConv2D``.

Both are ``nn.Conv1d``/``nn.Conv2d`` subclasses built with ``padding=0`` that pad their input themselves, so their
parameters are a plain convolution's (``weight``, ``bias``: NeMo's state-dict keys). ``CausalConv1D`` takes ``padding``
as an int (both sides), ``[left, right]`` with ``left + right == kernel_size - 1``, or None (causal: ``kernel_size - 1``
on the left, ``stride - 1`` on the right). Stride-1 depthwise layers on CPU run through
:func:`nemo.collections.asr.parts.depthwise_conv.depthwise_conv1d` where its rule says it is faster than ``conv1d``
(wide kernels such as the Conformer's 31 taps); CUDA, tracing, scripting and ONNX export use the convolution itself.
Streaming caches (NeMo's ``cache`` argument) are not supported.
"""

from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.asr.parts.depthwise_conv import depthwise_conv1d, prefer_depthwise_kernel

__all__ = ["CausalConv1D", "CausalConv2D"]


class CausalConv2D(nn.Conv2d):
    """``nn.Conv2d`` padded ``kernel_size - 1`` before and ``stride - 1`` after, in both dimensions (``padding`` must be
    None, as in NeMo)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: Optional[int] = None,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding is not None:
            raise ValueError("Argument padding should be set to None for CausalConv2D.")
        self._left_padding = kernel_size - 1
        self._right_padding = stride - 1
        super().__init__(
            in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias, padding_mode, device, dtype
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = (self._left_padding, self._right_padding, self._left_padding, self._right_padding)
        return super().forward(F.pad(x, pad=pads))


class CausalConv1D(nn.Conv1d):
    """``nn.Conv1d`` with ``left``/``right`` zero padding applied to the input (see the module docstring)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: Union[int, List[int], None] = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        self.cache_drop_size = None
        if padding is None:
            left, right = kernel_size - 1, stride - 1
        else:
            if stride != 1 and padding != kernel_size - 1:
                raise ValueError("No striding allowed for non-symmetric convolutions!")
            if isinstance(padding, int):
                left = right = padding
            elif (
                isinstance(padding, (list, tuple)) and len(padding) == 2 and padding[0] + padding[1] == kernel_size - 1
            ):
                left, right = int(padding[0]), int(padding[1])
            else:
                raise ValueError(f"Invalid padding param: {padding}!")
        self._left_padding = left
        self._right_padding = right
        self._max_cache_len = left
        super().__init__(
            in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias, padding_mode, device, dtype
        )
        self._depthwise_stride1 = groups == in_channels == out_channels and stride == 1 and padding_mode == "zeros"

    def forward(self, x: torch.Tensor, cache: Optional[torch.Tensor] = None) -> torch.Tensor:
        if cache is not None:
            raise NotImplementedError("CausalConv1D: streaming caches are not supported")
        left, right = self._left_padding, self._right_padding
        if (
            left == right
            and self._depthwise_stride1
            and prefer_depthwise_kernel(x, self.weight, left, self.dilation[0])
        ):
            return depthwise_conv1d(x, self.weight, self.bias, padding=left, dilation=self.dilation[0])
        if left or right:
            x = F.pad(x, pad=(left, right))
        return super().forward(x)
