"""Time subsampling in front of the Conformer layers, with NeMo's module names and NeMo 3's padding masks.

``ConvSubsampling`` (``pre_encode`` of ``ConformerEncoder``) reduces the frame rate by ``subsampling_factor`` (a power
of 2) with stacked stride-2 convolutions, then projects to ``feat_out``:

- ``striding``: ``log2(factor)`` x (3x3 ``Conv2d`` stride 2 + activation) over (time, frequency), then ``out``
  (``Linear(conv_channels * freq_out, feat_out)``);
- ``dw_striding``: a full 3x3 stride-2 ``Conv2d``, then per further factor of 2 a depthwise 3x3 stride-2 ``Conv2d``
  and a pointwise 1x1 ``Conv2d``, activations after the full and each pointwise conv; then ``out``;
- ``vggnet``: per factor of 2, two 3x3 stride-1 ``Conv2d`` + activation and a 2x2 max-pool (ceil mode); then ``out``;
- ``striding_conv1d`` / ``dw_striding_conv1d``: the same over time only, with 5-tap ``Conv1d`` s whose last layer
  outputs ``feat_out`` (no ``out``).

The layers sit in ``conv`` (an ``nn.Sequential``: activations and pools take list positions too), so the state-dict
keys are NeMo's: ``conv.0.weight``, ``conv.2.weight``..., ``out.weight``. As in NeMo 3, the frames past each
utterance's length are zeroed before every layer and at the end (lengths follow each strided layer), so padding a batch
does not change an utterance's output. NeMo 3.0 fails on ``vggnet`` and the ``*_conv1d`` kinds (its mask code expects
a tuple ``kernel_size`` and a lengths argument they do not get); here they work, with the same masking.
``is_causal`` pads ``kernel_size - 1`` before and ``stride - 1`` after (NeMo's ``CausalConv2D``/``CausalConv1D``).
On CPU ``dw_striding`` keeps its activations channels last (``conv2d_channels_last``: the same arithmetic, 2-3x faster
here), fuses each ReLU with the mask after it and skips the mask before a 1x1 convolution (the next one clears it).

``StackingSubsampling`` (``stacking``, ``stacking_norm``) concatenates ``factor`` consecutive frames and projects them
(``proj_out``, with a ``pre_norm`` LayerNorm for ``stacking_norm``).
"""

import math
from typing import List, Optional, Tuple

import torch
from torch import nn

from nemo.collections.asr.parts.submodules.causal_convs import CausalConv1D, CausalConv2D
from nemo.collections.asr.parts.submodules.conv2d_channels_last import conv2d_channels_last
from nemo.collections.asr.parts.time_mask import relu_zero_beyond, zero_beyond
from nemo.collections.common.parts.graph_capture import capturing_graph

__all__ = ["ConvSubsampling", "StackingSubsampling", "calc_length"]

_CONV2D_KINDS = ("vggnet", "striding", "dw_striding")
_CONV1D_KINDS = ("striding_conv1d", "dw_striding_conv1d")


def calc_length(
    lengths: torch.Tensor, all_paddings: int, kernel_size: int, stride: int, ceil_mode: bool, repeat_num: int = 1
) -> torch.Tensor:
    """The lengths after ``repeat_num`` layers of ``kernel_size``/``stride`` with ``all_paddings`` (int32, as NeMo)."""
    add_pad = float(all_paddings - kernel_size)
    for _ in range(repeat_num):
        lengths = torch.div(lengths.to(dtype=torch.float) + add_pad, stride) + 1.0
        lengths = torch.ceil(lengths) if ceil_mode else torch.floor(lengths)
    return lengths.to(dtype=torch.int)


def _first(value) -> int:
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


class StackingSubsampling(nn.Module):
    """Stacks ``subsampling_factor`` consecutive frames (zero-padding the end) and projects them to ``feat_out``."""

    def __init__(self, subsampling_factor: int, feat_in: int, feat_out: int, norm: bool = False) -> None:
        super().__init__()
        self.subsampling_factor = subsampling_factor
        self.proj_out = nn.Linear(subsampling_factor * feat_in, feat_out)
        self.pre_norm = nn.LayerNorm(feat_in) if norm else None

    def get_sampling_frames(self) -> int:
        return self.subsampling_factor

    def get_streaming_cache_size(self) -> int:
        return 0

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``x`` (B, T, feat_in) -> (B, ceil(T / factor), feat_out); lengths as NeMo computes them."""
        b, t, h = x.size()
        pad_size = (self.subsampling_factor - (t % self.subsampling_factor)) % self.subsampling_factor
        x = nn.functional.pad(x, (0, 0, 0, pad_size))
        if self.pre_norm is not None:
            x = self.pre_norm(x)
        x = x.reshape(b, (t + pad_size) // self.subsampling_factor, h * self.subsampling_factor)
        x = self.proj_out(x)
        lengths = torch.div(lengths + pad_size, self.subsampling_factor, rounding_mode="floor")
        return x, lengths


class ConvSubsampling(nn.Module):
    """Convolutional subsampling (see the module docstring). ``forward(x (B, T, feat_in), lengths)`` returns
    ``(B, T', feat_out)`` and the new lengths (int64)."""

    def __init__(
        self,
        subsampling: str,
        subsampling_factor: int,
        feat_in: int,
        feat_out: int,
        conv_channels: int,
        subsampling_conv_chunking_factor: int = 1,
        activation: Optional[nn.Module] = None,
        is_causal: bool = False,
    ) -> None:
        super().__init__()
        if subsampling not in _CONV2D_KINDS + _CONV1D_KINDS:
            raise ValueError(f"Not valid sub-sampling: {subsampling}! Use one of {list(_CONV2D_KINDS + _CONV1D_KINDS)}")
        if subsampling_factor < 2 or subsampling_factor & (subsampling_factor - 1):
            raise ValueError(f"Sampling factor should be a power of 2, got {subsampling_factor}")
        if subsampling_conv_chunking_factor not in (-1, 1) and subsampling_conv_chunking_factor % 2 != 0:
            raise ValueError("subsampling_conv_chunking_factor should be -1, 1, or a power of 2")
        if is_causal and subsampling in ("vggnet", "dw_striding_conv1d"):
            raise ValueError(f"Causal subsampling is not supported for {subsampling} (as in NeMo)")
        self._subsampling = subsampling
        self._conv_channels = conv_channels
        self._feat_in = feat_in
        self._feat_out = feat_out
        self._sampling_num = int(math.log2(subsampling_factor))
        self.subsampling_factor = subsampling_factor
        self.is_causal = is_causal
        # NeMo splits huge inputs (> 2**31 elements) to dodge a CUDA indexing limit; kept for config compatibility.
        self.subsampling_conv_chunking_factor = subsampling_conv_chunking_factor
        activation = activation if activation is not None else nn.ReLU()

        self.conv2d_subsampling = subsampling in _CONV2D_KINDS
        conv1d = subsampling in _CONV1D_KINDS
        self._kernel_size = 5 if conv1d else (2 if subsampling == "vggnet" else 3)  # vggnet: the max-pool's
        self._stride = 2
        self._ceil_mode = subsampling == "vggnet"
        if subsampling == "vggnet":
            self._left_padding = self._right_padding = 0
        elif is_causal:
            self._left_padding, self._right_padding = self._kernel_size - 1, self._stride - 1
        else:
            self._left_padding = self._right_padding = (self._kernel_size - 1) // 2
        self._max_cache_len = subsampling_factor + 1 if is_causal else 0

        layers: List[nn.Module] = []
        if subsampling == "vggnet":
            in_channels = 1
            for _ in range(self._sampling_num):
                layers += [
                    nn.Conv2d(in_channels, conv_channels, kernel_size=3, stride=1, padding=1),
                    activation,
                    nn.Conv2d(conv_channels, conv_channels, kernel_size=3, stride=1, padding=1),
                    activation,
                    nn.MaxPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True),
                ]
                in_channels = conv_channels
        elif subsampling == "striding":
            in_channels = 1
            for _ in range(self._sampling_num):
                layers += [self._strided_conv2d(in_channels, conv_channels, groups=1), activation]
                in_channels = conv_channels
        elif subsampling == "dw_striding":
            layers += [self._strided_conv2d(1, conv_channels, groups=1), activation]
            for _ in range(self._sampling_num - 1):
                layers += [
                    self._strided_conv2d(conv_channels, conv_channels, groups=conv_channels),
                    nn.Conv2d(conv_channels, conv_channels, kernel_size=1, stride=1, padding=0, groups=1),
                    activation,
                ]
        elif subsampling == "striding_conv1d":
            in_channels = feat_in
            for i in range(self._sampling_num):
                out_channels = feat_out if i + 1 == self._sampling_num else conv_channels
                layers += [self._strided_conv1d(in_channels, out_channels, groups=1), activation]
                in_channels = conv_channels
        else:  # dw_striding_conv1d
            in_channels = feat_in
            for i in range(self._sampling_num):
                out_channels = feat_out if i + 1 == self._sampling_num else conv_channels
                layers += [
                    self._strided_conv1d(in_channels, in_channels, groups=in_channels),
                    nn.Conv1d(in_channels, out_channels, kernel_size=1, stride=1, padding=0, groups=1),
                    activation,
                ]
                in_channels = conv_channels
        # ``out`` is registered before ``conv``, as in NeMo, so the state dicts list their keys in the same order.
        if self.conv2d_subsampling:
            self.out: Optional[nn.Linear] = nn.Linear(conv_channels * self._out_steps(feat_in), feat_out)
        else:
            self.out = None
        self.conv = nn.Sequential(*layers)

    def _out_steps(self, steps: int) -> int:
        """``calc_length`` for a Python int (the frequency axis; no tensors, so it runs on the meta device)."""
        for _ in range(self._sampling_num):
            value = (steps + self._left_padding + self._right_padding - self._kernel_size) / self._stride + 1.0
            steps = int(math.ceil(value) if self._ceil_mode else math.floor(value))
        return steps

    def _strided_conv2d(self, cin: int, cout: int, groups: int) -> nn.Module:
        k, s = self._kernel_size, self._stride
        if self.is_causal:
            return CausalConv2D(cin, cout, kernel_size=k, stride=s, padding=None, groups=groups)
        return nn.Conv2d(cin, cout, kernel_size=k, stride=s, padding=self._left_padding, groups=groups)

    def _strided_conv1d(self, cin: int, cout: int, groups: int) -> nn.Module:
        k, s = self._kernel_size, self._stride
        if self.is_causal:
            return CausalConv1D(cin, cout, kernel_size=k, stride=s, padding=None, groups=groups)
        return nn.Conv1d(cin, cout, kernel_size=k, stride=s, padding=self._left_padding, groups=groups)

    def get_sampling_frames(self) -> List[int]:
        return [1, self.subsampling_factor]

    def get_streaming_cache_size(self) -> List[int]:
        return [0, self.subsampling_factor + 1]

    def _next_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """One strided layer's output lengths: ``(len + pads - kernel) / stride + 1``, floored (ceiled for vggnet)."""
        span = lengths + self._left_padding + self._right_padding - self._kernel_size
        if self._ceil_mode:
            return -torch.div(-span, self._stride, rounding_mode="floor") + 1
        return torch.div(span, self._stride, rounding_mode="floor") + 1

    def _channels_last(self, x: torch.Tensor) -> bool:
        """The ``(B, T, F, C)`` path: ``dw_striding`` on CPU in eager mode (traced, scripted and exported graphs,
        other devices and the other kinds keep ``nn.Conv2d``; for ``striding``'s full 3x3 convolutions channels last
        was slower in the 512-channel training step)."""
        return (
            self._subsampling == "dw_striding"
            and x.device.type == "cpu"
            and not capturing_graph()
        )

    def _forward_channels_last(self, x: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``forward`` with the activations kept as ``(B, T, F, C)`` (see ``conv2d_channels_last``); ``out`` reads
        them through a (F, C)-ordered view of its weight, so no transpose is copied."""
        x, masked = x.unsqueeze(-1), False
        for layer in self.conv:
            if isinstance(layer, nn.Conv2d):
                frame_wise = layer.kernel_size[0] == 1 and layer.stride[0] == 1  # padded frames stay to themselves
                if not (masked or frame_wise):
                    x = zero_beyond(x, lengths, time_dim=1)
                x, masked = conv2d_channels_last(layer, x, self._pads(layer)), False
                if layer.stride[0] > 1:
                    lengths = self._next_lengths(lengths)
            elif type(layer) is nn.ReLU:
                x, masked = relu_zero_beyond(x, lengths, time_dim=1, inplace=layer.inplace), True
            else:
                x, masked = layer(x), False
        if not masked:
            x = zero_beyond(x, lengths, time_dim=1)
        b, t, f, c = x.size()
        weight = self.out.weight.view(-1, c, f).transpose(1, 2).reshape(-1, f * c)
        return nn.functional.linear(x.reshape(b, t, f * c), weight, self.out.bias), lengths

    @staticmethod
    def _pads(layer: nn.Conv2d) -> Tuple[int, int, int, int]:
        if isinstance(layer, CausalConv2D):
            left, right = layer._left_padding, layer._right_padding
            return left, right, left, right
        top, left = layer.padding
        return left, left, top, top

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        lengths = lengths.to(torch.int64)
        if self._channels_last(x):
            return self._forward_channels_last(x, lengths)
        # (B, T, F) -> (B, 1, T, F) for 2D convolutions, (B, F, T) for 1D ones: time is axis 2 in both.
        x = x.unsqueeze(1) if self.conv2d_subsampling else x.transpose(1, 2)
        for layer in self.conv:
            if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.MaxPool2d)):
                x = layer(zero_beyond(x, lengths, time_dim=2))
                if _first(layer.stride) > 1:
                    lengths = self._next_lengths(lengths)
            else:  # the activation (ReLU: 0 stays 0, and the next layer masks again anyway)
                x = layer(x)
        x = zero_beyond(x, lengths, time_dim=2)
        if self.conv2d_subsampling:
            b, c, t, f = x.size()
            x = self.out(x.transpose(1, 2).reshape(b, t, c * f))
        else:
            x = x.transpose(1, 2)
        return x, lengths
