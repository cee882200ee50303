"""conv2d_channels_last: nn.Conv2d's result and gradients (within 1e-5) on (B, H, W, C) activations, for the
subsampling's layer kinds: one input channel (the patch GEMM), depthwise and full strided 3x3, pointwise 1x1."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nemo.collections.asr.parts.submodules.conv2d_channels_last import conv2d_channels_last

LAYERS = {
    "one_channel": (1, 6, 3, 2, 1),  # in, out, kernel, stride, groups
    "depthwise": (6, 6, 3, 2, 6),
    "full": (4, 6, 3, 2, 1),
    "pointwise": (6, 5, 1, 1, 1),
}


def _reference(conv, x, pads):
    return F.conv2d(F.pad(x.permute(0, 3, 1, 2), pads), conv.weight, conv.bias, conv.stride, groups=conv.groups)


@pytest.mark.parametrize("input_grad", [False, True], ids=["features", "activations"])
@pytest.mark.parametrize("pads", [(1, 1, 1, 1), (2, 1, 2, 1)], ids=["symmetric", "causal"])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_equals_conv2d_forward_and_backward(kind, pads, input_grad):
    cin, cout, kernel, stride, groups = LAYERS[kind]
    if kernel == 1:
        pads = (0, 0, 0, 0)
    torch.manual_seed(0)
    conv = nn.Conv2d(cin, cout, kernel, stride, padding=0, groups=groups)
    x = torch.randn(3, 11, 9, cin, requires_grad=input_grad)
    out = conv2d_channels_last(conv, x, pads)
    expected = _reference(conv, x, pads).permute(0, 2, 3, 1)
    assert out.shape == expected.shape and out.is_contiguous()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(out)
    inputs = (conv.weight, conv.bias) + ((x,) if input_grad else ())
    for got, want in zip(torch.autograd.grad(out, inputs, grad), torch.autograd.grad(expected, inputs, grad)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_without_bias_and_refusals():
    conv = nn.Conv2d(1, 4, 3, 2, bias=False)
    x = torch.randn(2, 8, 8, 1)
    torch.testing.assert_close(
        conv2d_channels_last(conv, x, (1, 1, 1, 1)), _reference(conv, x, (1, 1, 1, 1)).permute(0, 2, 3, 1)
    )
    with pytest.raises(ValueError, match="dilation"):
        conv2d_channels_last(nn.Conv2d(1, 4, 3, dilation=2), x, (0, 0, 0, 0))
