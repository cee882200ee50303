"""``dense_conv1d(conv, x)``: an ``nn.Conv1d`` run on the CPU kernel its shape picks, the one routing the collections
use for a layer's own convolution (``packed_conv`` applies the same rules to folded weights in inference).

:func:`~nemo.collections.common.parts.spectral_conv.spectral_conv1d` takes long kernels between wide channels
(``spectral_preferred``: Jasper's dense layers), :func:`~nemo.collections.common.parts.winograd_conv.winograd_conv1d`
three-tap kernels on ``[B, T, C]`` inputs (``winograd_preferred``: FastPitch's feed-forward and predictors); anything
else, a subclass (weight norm, a forward of its own) or a module with hooks runs the module itself. Each rule is a
function of shapes, layout and thread count, never of timings.
"""

import torch
from torch import nn

from nemo.collections.common.parts.spectral_conv import spectral_conv1d, spectral_preferred
from nemo.collections.common.parts.winograd_conv import winograd_conv1d, winograd_preferred

__all__ = ["dense_conv1d"]


def dense_conv1d(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)``, through ``spectral_conv1d`` or ``winograd_conv1d`` where their rules take a plain, hook-free
    ``nn.Conv1d`` on ``x``; the results equal ``conv(x)``'s up to float rounding."""
    if type(conv) is nn.Conv1d and not (conv._forward_hooks or conv._forward_pre_hooks):
        if spectral_preferred(conv, x):
            return spectral_conv1d(x, conv.weight, conv.bias, conv.padding[0], conv.dilation[0])
        if winograd_preferred(conv, x):
            return winograd_conv1d(x, conv.weight, conv.bias, conv.padding[0])
    return conv(x)
