import pytest
import torch
import torch.nn.functional as F

from nemo.collections.asr.parts.depthwise_conv import depthwise_conv1d
from nemo.collections.asr.parts.jasper import MaskedConv1d


@pytest.mark.parametrize(
    "kernel,padding,dilation,bias",
    [(1, 0, 1, False), (3, 1, 1, True), (13, 6, 1, False), (11, 2, 1, False), (29, 28, 2, True), (5, 0, 3, False)],
)
def test_matches_conv1d_values_and_gradients(kernel: int, padding: int, dilation: int, bias: bool) -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 6, 40, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 1, kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True) if bias else None
    ours = depthwise_conv1d(x, w, b, padding=padding, dilation=dilation)
    ref = F.conv1d(x, w, b, padding=padding, dilation=dilation, groups=6)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    grad = torch.randn_like(ref)
    inputs = (x, w) if b is None else (x, w, b)
    for got, want in zip(torch.autograd.grad(ours, inputs, grad), torch.autograd.grad(ref, inputs, grad)):
        torch.testing.assert_close(got, want)


def test_gradcheck() -> None:
    torch.manual_seed(1)
    x = torch.randn(2, 3, 9, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 1, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: depthwise_conv1d(a, b, padding=2, dilation=2), (x, w))


def test_only_the_needed_gradient_is_computed() -> None:
    x = torch.randn(2, 4, 12)
    w = torch.randn(4, 1, 5, requires_grad=True)
    depthwise_conv1d(x, w, padding=2).sum().backward()
    assert w.grad is not None and x.grad is None


def test_rejects_a_non_depthwise_weight() -> None:
    with pytest.raises(ValueError, match=r"weight \(4, 2, 3\)"):
        depthwise_conv1d(torch.randn(1, 4, 10), torch.randn(4, 2, 3))


def test_too_short_input_raises_like_conv1d() -> None:
    with pytest.raises(RuntimeError):
        depthwise_conv1d(torch.randn(1, 2, 3), torch.randn(2, 1, 9))


@pytest.mark.parametrize("heads", [-1, 2])
def test_masked_conv_fast_path_equals_its_conv(heads: int) -> None:
    torch.manual_seed(2)
    layer = MaskedConv1d(8, 8, 7, padding=3, groups=8, heads=heads)
    assert layer._depthwise_stride1
    x, lens = torch.randn(2, 8, 20), torch.tensor([20, 11])
    out, out_lens = layer(x, lens)
    masked = x.masked_fill(torch.arange(20) >= lens.unsqueeze(1).unsqueeze(1), 0.0)
    shape = masked.shape
    ref = layer.conv(masked if heads == -1 else masked.reshape(-1, heads, 20)).reshape(shape[0], 8, -1)
    torch.testing.assert_close(out, ref)
    assert out_lens.tolist() == [20, 11]


def test_strided_or_dense_convs_keep_the_plain_path() -> None:
    assert not MaskedConv1d(8, 8, 7, stride=2, padding=3, groups=8)._depthwise_stride1
    assert not MaskedConv1d(8, 16, 1)._depthwise_stride1
