"""2-D convolutions on channels-last activations ``(B, H, W, C)``: the CPU layout of the Conformer's subsampling.

On CPU (torch 2.13, one thread) oneDNN runs the subsampling's strided 3x3 convolutions several times faster on
channels-last tensors than on ``(B, C, H, W)`` ones, mostly in the backward pass; the first layer (one input channel)
is faster still as a single GEMM over the 3x3 patches, and a 1x1 convolution is a ``linear`` on the last axis, with no
transposes around it. The arithmetic is ``nn.Conv2d``'s, up to float rounding (the products are summed in another
order). Measurements: nemo-asr's README, "Conformer speed on CPU".
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["conv2d_channels_last"]

# (left, right, top, bottom): F.pad's order for the last two axes of (B, C, H, W).
Pads = Tuple[int, int, int, int]


def _patch_gemm(conv: nn.Conv2d, x: torch.Tensor, pads: Pads) -> torch.Tensor:
    """One input channel: ``x`` (B, H, W, 1) -> (B, H', W', C_out) as one GEMM, [patches, 1] @ [weight^T; bias]
    (B * H' * W', kh * kw + 1) @ (kh * kw + 1, C_out): the bias rides in the product instead of a broadcast copy,
    and autograd takes the weight's gradient as patches^T @ grad, several times faster than F.linear's
    grad^T @ patches at these shapes. ``x`` must not need a gradient."""
    padded = F.pad(x.squeeze(-1), pads)
    batch, height, width = padded.shape
    (kh, kw), (sh, sw) = conv.kernel_size, conv.stride
    out_h, out_w, taps = (height - kh) // sh + 1, (width - kw) // sw + 1, kh * kw
    s0, s1, s2 = padded.stride()
    patches = padded.new_empty(batch, out_h, out_w, taps + 1)
    patches[..., taps] = 1.0
    patches[..., :taps].view(batch, out_h, out_w, kh, kw).copy_(
        padded.as_strided((batch, out_h, out_w, kh, kw), (s0, sh * s1, sw * s2, s1, s2))
    )
    weight = conv.weight.reshape(conv.out_channels, taps).t()
    bias = conv.bias if conv.bias is not None else weight.new_zeros(conv.out_channels)
    weight = torch.cat([weight, bias.unsqueeze(0)])
    return torch.matmul(patches, weight)  # one GEMM; its result is no autograd view, so a ReLU may overwrite it


def conv2d_channels_last(conv: nn.Conv2d, x: torch.Tensor, pads: Pads) -> torch.Tensor:
    """``conv`` (zero padding ``pads``: left, right, top, bottom, instead of its own) over ``x`` (B, H, W, C_in),
    channels last -> (B, H', W', C_out), contiguous."""
    if conv.dilation != (1, 1) or conv.padding_mode != "zeros":
        raise ValueError(f"conv2d_channels_last: dilation {conv.dilation}, padding_mode '{conv.padding_mode}'")
    if conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.groups == 1 and not any(pads):
        return F.linear(x, conv.weight.view(conv.out_channels, conv.in_channels), conv.bias)
    if conv.in_channels == 1 and conv.groups == 1 and not x.requires_grad:
        return _patch_gemm(conv, x, pads)
    x = x.permute(0, 3, 1, 2)  # (B, C, H, W) with channels-last strides: oneDNN's fast layout
    left, right, top, bottom = pads
    if left == right and top == bottom:
        out = F.conv2d(x, conv.weight, conv.bias, conv.stride, (top, left), groups=conv.groups)
    else:
        out = F.conv2d(F.pad(x, pads), conv.weight, conv.bias, conv.stride, groups=conv.groups)
    return out.permute(0, 2, 3, 1).contiguous()
