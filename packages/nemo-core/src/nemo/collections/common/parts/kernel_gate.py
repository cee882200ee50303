"""``own_kernel_rows(conv, x)``: the gate every CPU kernel that may replace a dense ``Conv1d`` call shares
(``spectral_conv``, ``winograd_conv``), so their rules add only what is their own (taps, span, channels, layout).

A kernel of our own may run a one-group stride-1 ``Conv1d`` with zero padding given as a number on a 3-D float32 CPU
input, in eager mode outside CPU autocast (a traced, scripted, compiled or exported graph records ``conv1d``).
"""

import torch
from torch import nn

from nemo.collections.common.parts.cpu_autocast import cpu_autocast_dtype
from nemo.collections.common.parts.graph_capture import capturing_graph

__all__ = ["own_kernel_rows"]


def own_kernel_rows(conv: nn.Conv1d, x: torch.Tensor) -> int:
    """The output rows (batch x output steps) of ``conv`` on ``x`` when a kernel of our own may run it, else 0."""
    if not (
        conv.groups == 1
        and conv.stride[0] == 1
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
        and x.dim() == 3
        and x.device.type == "cpu"
        and x.dtype == conv.weight.dtype == torch.float32
        and cpu_autocast_dtype() is None
        and not capturing_graph()
    ):
        return 0
    span = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    return max(0, x.shape[0] * (x.shape[2] + 2 * conv.padding[0] - span + 1))
