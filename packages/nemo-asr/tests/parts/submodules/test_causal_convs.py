"""CausalConv1D/CausalConv2D: plain convolutions (NeMo's keys) over explicitly padded inputs; the wide depthwise
layers of the Conformer take the fast CPU route with identical results."""

import pytest
import torch
import torch.nn.functional as F

from nemo.collections.asr.parts import depthwise_conv
from nemo.collections.asr.parts.submodules.causal_convs import CausalConv1D, CausalConv2D


@pytest.mark.parametrize("padding, pads", [(3, (3, 3)), ([5, 1], (5, 1)), (None, (6, 0))])
def test_padding_kinds(padding, pads):
    torch.manual_seed(0)
    conv = CausalConv1D(4, 4, kernel_size=7, padding=padding, groups=4)
    assert sorted(conv.state_dict()) == ["bias", "weight"] and conv.padding == (0,)
    x = torch.randn(2, 4, 20)
    torch.testing.assert_close(conv(x), F.conv1d(F.pad(x, pads), conv.weight, conv.bias, groups=4))


def test_causal_output_ignores_the_future():
    conv = CausalConv1D(2, 2, kernel_size=5, padding=None)
    x = torch.randn(1, 2, 12)
    changed = x.clone()
    changed[..., 8:] += 1.0
    torch.testing.assert_close(conv(changed)[..., :8], conv(x)[..., :8])


def test_bad_paddings_are_refused():
    with pytest.raises(ValueError, match="Invalid padding"):
        CausalConv1D(2, 2, kernel_size=5, padding=[1, 1])
    with pytest.raises(ValueError, match="No striding"):
        CausalConv1D(2, 2, kernel_size=5, stride=2, padding=1)
    with pytest.raises(ValueError, match="None"):
        CausalConv2D(1, 2, kernel_size=3, stride=2, padding=1)


def test_wide_depthwise_layer_takes_the_fast_route_with_conv1d_results(monkeypatch):
    torch.manual_seed(0)
    conv = CausalConv1D(64, 64, kernel_size=31, padding=15, groups=64)
    x = torch.randn(8, 64, 120, requires_grad=True)
    calls = []
    original = depthwise_conv.depthwise_conv1d
    monkeypatch.setattr(
        "nemo.collections.asr.parts.submodules.causal_convs.depthwise_conv1d",
        lambda *a, **k: calls.append(1) or original(*a, **k),
    )
    out = conv(x)
    assert calls, "a 31-tap depthwise layer on CPU should use depthwise_conv1d"
    reference = F.conv1d(x, conv.weight, conv.bias, padding=15, groups=64)
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-5)
    grads = torch.autograd.grad(out.square().sum(), (x, conv.weight, conv.bias))
    expected = torch.autograd.grad(reference.square().sum(), (x, conv.weight, conv.bias))
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_causal_conv2d_pads_before_and_after():
    torch.manual_seed(0)
    conv = CausalConv2D(1, 3, kernel_size=3, stride=2, padding=None)
    x = torch.randn(2, 1, 9, 8)
    expected = F.conv2d(F.pad(x, (2, 1, 2, 1)), conv.weight, conv.bias, stride=2)
    torch.testing.assert_close(conv(x), expected)
