"""Depthwise 1D convolution for CPU as a sum of shifted, channel-scaled copies of the input.

oneDNN runs depthwise ``conv1d`` with QuartzNet's long kernels at about 1 GFLOP/s on CPU, far below its dense
convolutions, and those layers take most of a small QuartzNet's training step. Summing ``kernel_size`` shifted copies
(one fused multiply-add each) is about four times faster forward and twice as fast forward plus backward; the results
equal ``F.conv1d`` up to float rounding. ``MaskedConv1d`` uses it for stride-1 depthwise convolutions on CPU, keeping
its ``nn.Conv1d`` parameters, and falls back to ``F.conv1d`` elsewhere (CUDA, tracing, ONNX export).
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

__all__ = ["depthwise_conv1d"]


def _shifted_sum(padded: torch.Tensor, taps: torch.Tensor, steps: int, dilation: int) -> torch.Tensor:
    """``out[b, c, t] = sum_j taps[c, j] * padded[b, c, t + j * dilation]`` for ``t < steps``."""
    out = padded[:, :, :steps] * taps[:, 0:1]
    for j in range(1, taps.shape[1]):
        start = j * dilation
        out.addcmul_(padded[:, :, start : start + steps], taps[:, j : j + 1])
    return out


class _DepthwiseConv1d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, padding: int, dilation: int) -> torch.Tensor:
        padded = F.pad(x, (padding, padding))
        span = dilation * (weight.shape[-1] - 1)
        ctx.save_for_backward(padded, weight)
        ctx.padding, ctx.dilation, ctx.steps_in = padding, dilation, x.shape[-1]
        return _shifted_sum(padded, weight[:, 0], padded.shape[-1] - span, dilation)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor], None, None]:
        padded, weight = ctx.saved_tensors
        dilation, span = ctx.dilation, ctx.dilation * (weight.shape[-1] - 1)
        grad_out = grad_out.contiguous()
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            # Correlating the fully padded gradient with the flipped kernel gives the padded input's gradient.
            grad_padded = _shifted_sum(F.pad(grad_out, (span, span)), weight[:, 0].flip(1), padded.shape[-1], dilation)
            grad_x = grad_padded[:, :, ctx.padding : ctx.padding + ctx.steps_in]
        if ctx.needs_input_grad[1]:
            windows = padded.unfold(2, span + 1, 1)[..., ::dilation][:, :, : grad_out.shape[-1]]
            grad_w = torch.einsum("bct,bctk->ck", grad_out, windows).unsqueeze(1)
        return grad_x, grad_w, None, None


def depthwise_conv1d(
    x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, padding: int = 0, dilation: int = 1
) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, padding=padding, dilation=dilation, groups=channels)`` for ``weight`` (C, 1, k)."""
    if weight.shape[1] != 1 or x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"depthwise_conv1d expects weight (channels, 1, kernel) matching x's {x.shape[1]} channels, "
            f"got weight {tuple(weight.shape)}"
        )
    span = dilation * (weight.shape[-1] - 1)
    if x.shape[-1] + 2 * padding <= span:
        # Too short for even one output step: let conv1d raise its usual error.
        return F.conv1d(x, weight, bias, padding=padding, dilation=dilation, groups=weight.shape[0])
    out = _DepthwiseConv1d.apply(x, weight, padding, dilation)
    return out if bias is None else out + bias.unsqueeze(-1)
