"""spectral_conv1d equals conv1d (outputs and all three gradients) within float rounding on every geometry it takes;
spectral_preferred takes exactly the layers its rule names."""

import math

import pytest
import torch
from torch import nn

from nemo.collections.common.parts import spectral_conv
from nemo.collections.common.parts.graph_capture import capturing_graph
from nemo.collections.common.parts.spectral_conv import (
    block_length,
    spectral_conv1d,
    spectral_preferred,
)


@pytest.mark.parametrize(
    "batch, cin, cout, steps, kernel, dilation, padding",
    [
        (2, 24, 20, 97, 11, 1, 5),  # "same" padding, ragged last block
        (3, 16, 37, 50, 13, 1, 0),  # no padding; output channels not a multiple of the chunk
        (1, 12, 10, 40, 29, 2, 28),  # dilated: span 57, run over two phases of 48 steps
        (2, 12, 10, 37, 5, 3, 6),  # dilated 3, 49 padded steps: phases of 17 (the last one padded)
        (3, 12, 10, 30, 7, 2, 1),  # dilated, less padding than "same": 20 outputs
        (2, 8, 8, 13, 11, 1, 5),  # fewer steps than one block yields
        (2, 8, 8, 11, 11, 1, 0),  # one output step
        (4, 32, 48, 200, 17, 1, 8),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_equals_conv1d_with_gradients(batch, cin, cout, steps, kernel, dilation, padding, bias, monkeypatch):
    monkeypatch.setattr(spectral_conv, "_CHUNK_BYTES", 8 * 17 * cin * 3)  # several chunks, the last one ragged
    torch.manual_seed(0)
    x = torch.randn(batch, cin, steps, requires_grad=True)
    weight = (torch.randn(cout, cin, kernel) / math.sqrt(cin * kernel)).requires_grad_()
    b = torch.randn(cout, requires_grad=True) if bias else None
    expected = nn.functional.conv1d(x, weight, b, padding=padding, dilation=dilation)
    out = spectral_conv1d(x, weight, b, padding, dilation)
    assert out.shape == expected.shape
    _close(out, expected)
    grad = torch.randn_like(expected)
    inputs = (x, weight) + ((b,) if bias else ())
    for got, want in zip(
        torch.autograd.grad(out, inputs, grad), torch.autograd.grad(expected, inputs, grad), strict=True
    ):
        _close(got, want)


def _close(got: torch.Tensor, want: torch.Tensor) -> None:
    """Equal up to float rounding of sums over hundreds of terms: 1e-5 of the largest magnitude."""
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * want.abs().max().item())


def test_a_strided_weight_and_input():
    base = torch.randn(12, 10, 11, requires_grad=True)  # used as [10, 12, 11]: the weight's strides are permuted
    x = torch.randn(3, 30, 12).transpose(1, 2).requires_grad_()  # [B, T, C] memory as [B, C, T]
    weight = base.transpose(0, 1)
    expected = nn.functional.conv1d(x, weight, padding=5)
    out = spectral_conv1d(x, weight, None, 5)
    _close(out, expected)
    grad = torch.randn_like(expected)
    for got, want in zip(torch.autograd.grad(out, (x, base), grad), torch.autograd.grad(expected, (x, base), grad)):
        _close(got, want)


def test_transforms_invert_each_other_at_odd_and_even_lengths():
    for length, outputs in [(32, 22), (33, 20), (112, 56)]:
        forward, _, inverse = spectral_conv._transforms(length, outputs)
        x = torch.randn(length, 5, dtype=torch.float32)
        spectrum = (forward @ x).view(-1, 2, 5)  # (frequency, real/imaginary)
        # an all-ones kernel part times the input part: rows (kernel part, input part) = (real, *) only
        terms = torch.zeros(spectrum.shape[0], 2, 2, 5)
        terms[:, 0] = spectrum
        back = inverse @ terms.reshape(-1, 5)
        torch.testing.assert_close(back, x[:outputs], rtol=1e-4, atol=1e-5)


def test_block_length_rule():
    assert [block_length(span) for span in (11, 13, 17, 21, 25, 57)] == [32, 32, 32, 48, 48, 112]


def test_too_short_an_input_is_refused():
    with pytest.raises(ValueError, match="4 input steps .* kernel span 11"):
        spectral_conv1d(torch.randn(1, 2, 4), torch.randn(3, 2, 11))


@pytest.fixture
def threads():
    """Sets torch's intra-op thread count for one test (the rule's row count is per thread)."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _conv(cin=384, cout=384, kernel=13, **kwargs):
    return nn.Conv1d(cin, cout, kernel, padding=kernel // 2, bias=False, **kwargs)


def test_preferred_only_where_the_rule_says(monkeypatch, threads):
    threads(1)
    x = torch.randn(2, 384, 256)  # 512 output rows
    assert spectral_preferred(_conv(), x)
    assert spectral_preferred(nn.Conv1d(384, 384, 7, padding=6, dilation=2), x)  # span 13
    assert not spectral_preferred(_conv(kernel=11), x)  # span 11 < MIN_SPAN
    assert not spectral_preferred(_conv(cout=256), x)
    assert not spectral_preferred(_conv(cin=256), torch.randn(2, 256, 256))
    assert not spectral_preferred(_conv(stride=2), x)
    assert not spectral_preferred(_conv(groups=2), x)
    assert not spectral_preferred(_conv(padding_mode="reflect"), x)
    assert not spectral_preferred(nn.Conv1d(384, 384, 13, padding="same"), x)
    assert not spectral_preferred(_conv().double(), x.double())
    assert spectral_preferred(_conv(), torch.randn(1, 384, 512))
    assert not spectral_preferred(_conv(), torch.randn(1, 384, 511))  # 511 rows < MIN_ROWS
    assert not spectral_preferred(nn.Conv1d(384, 384, 13, bias=False), torch.randn(1, 384, 523))  # unpadded: 511
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not spectral_preferred(_conv(), x)
    monkeypatch.setattr(spectral_conv, "ENABLED", False)
    assert not spectral_preferred(_conv(), x)


def test_the_row_count_is_per_thread(threads):
    threads(2)
    assert not spectral_preferred(_conv(), torch.randn(2, 384, 256))
    assert spectral_preferred(_conv(), torch.randn(2, 384, 512))


def test_not_preferred_while_a_graph_is_captured(threads):
    threads(1)
    conv, x = _conv().requires_grad_(False), torch.randn(2, 384, 256)
    seen = []

    def forward(inputs):
        seen.append((capturing_graph(), spectral_preferred(conv, inputs)))
        return conv(inputs)

    torch.jit.trace(forward, x, check_trace=False)
    assert seen == [(True, False)]


def test_a_double_backward_is_refused_not_wrong():
    x = torch.randn(1, 4, 20, requires_grad=True)
    weight = torch.randn(3, 4, 11, requires_grad=True)
    (grad_x,) = torch.autograd.grad(spectral_conv1d(x, weight).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|does not require grad"):
        torch.autograd.grad(grad_x.sum(), weight)
