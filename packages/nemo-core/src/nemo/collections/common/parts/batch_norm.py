"""Training-mode batch norm over ``(batch, channels, time)`` on CPU with the statistics taken in fewer passes.

PyTorch's CPU ``batch_norm`` forward in training spends most of its time on the per-channel mean and variance over
the batch and time axes (torch 2.13, one thread, (4, 256, 208) float32: 383 us, where a reduction over the
contiguous time axis takes 13 us). :func:`batch_norm` takes the same two-pass statistics as contiguous reductions
(sum over time, then over the batch; the variance from the centered values) and normalizes the centered tensor in
place: about 4x faster. The backward is PyTorch's own (``native_batch_norm_backward`` on the saved mean and inverse
standard deviation), and the running statistics follow ``nn.BatchNorm1d`` (momentum or cumulative average, unbiased
variance). Outputs equal ``module(x)``'s up to float rounding. Evaluation, other devices and dtypes, autocast and
captured graphs run the module itself.
"""

from typing import Optional, Tuple

import torch
from torch import nn

from nemo.collections.common.parts.cpu_autocast import cpu_autocast_dtype
from nemo.collections.common.parts.graph_capture import capturing_graph

__all__ = ["batch_norm"]


class _BatchNormTrain(torch.autograd.Function):
    """Batch statistics forward; PyTorch's batch-norm backward."""

    @staticmethod
    def forward(
        ctx, x: torch.Tensor, weight: Optional[torch.Tensor], bias: Optional[torch.Tensor], eps: float
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        count = x.shape[0] * x.shape[2]
        mean = x.sum(2).sum(0).div_(count)
        centered = x - mean[:, None]
        var = torch.linalg.vector_norm(centered, 2, dim=2).square_().sum(0).div_(count)
        invstd = (var + eps).rsqrt_()
        scale = invstd if weight is None else invstd * weight
        out = centered.mul_(scale[:, None])
        if bias is not None:
            out.add_(bias[:, None])
        ctx.eps = eps
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.mark_non_differentiable(mean, var)
        return out, mean, var

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor, _grad_mean, _grad_var):
        x, weight, mean, invstd = ctx.saved_tensors
        mask = [ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.needs_input_grad[2]]
        grad_x, grad_w, grad_b = torch.ops.aten.native_batch_norm_backward(
            grad_out.contiguous(), x, weight, None, None, mean, invstd, True, ctx.eps, mask
        )
        return grad_x, grad_w, grad_b, None


def _applies(module: nn.BatchNorm1d, x: torch.Tensor) -> bool:
    return (
        module.training
        and x.dim() == 3
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and (module.weight is None or module.weight.dtype == x.dtype)
        and x.shape[0] * x.shape[2] > 1  # one value per channel: let the module raise its error
        and cpu_autocast_dtype() is None
        and not capturing_graph()
    )


def batch_norm(module: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
    """``module(x)`` for a ``BatchNorm1d`` on ``x`` (B, C, T): in training on CPU the faster statistics above (and
    the running statistics updated as the module does), else the module itself."""
    if not _applies(module, x):
        return module(x)
    x = x.contiguous()
    out, mean, var = _BatchNormTrain.apply(x, module.weight, module.bias, module.eps)
    if module.track_running_stats and module.running_mean is not None:
        module.num_batches_tracked.add_(1)
        factor = 1.0 / float(module.num_batches_tracked) if module.momentum is None else module.momentum
        count = x.shape[0] * x.shape[2]
        with torch.no_grad():
            module.running_mean.mul_(1.0 - factor).add_(mean, alpha=factor)
            module.running_var.mul_(1.0 - factor).add_(var, alpha=factor * count / (count - 1))
    return out
