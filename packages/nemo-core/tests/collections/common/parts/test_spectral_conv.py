"""spectral_conv1d equals conv1d (outputs and all three gradients) within float rounding on every geometry it takes;
spectral_preferred takes exactly the layers its rule names."""

import math

import pytest
import torch
from torch import nn

from nemo.collections.common.parts import spectral_conv
from nemo.collections.common.parts.spectral_conv import (
    block_length,
    spectral_conv1d,
    spectral_preferred,
    weight_spectrum,
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
def test_equals_conv1d_with_gradients(
    batch, cin, cout, steps, kernel, dilation, padding, bias, monkeypatch, assert_matches_reference
):
    monkeypatch.setattr(spectral_conv, "_CHUNK_BYTES", 8 * 17 * cin * 3)  # several chunks, the last one ragged
    torch.manual_seed(0)
    x = torch.randn(batch, cin, steps, requires_grad=True)
    weight = (torch.randn(cout, cin, kernel) / math.sqrt(cin * kernel)).requires_grad_()
    b = torch.randn(cout, requires_grad=True) if bias else None
    expected = nn.functional.conv1d(x, weight, b, padding=padding, dilation=dilation)
    out = spectral_conv1d(x, weight, b, padding, dilation)
    assert_matches_reference(out, expected, (x, weight) + ((b,) if bias else ()))


@pytest.mark.parametrize("kernel, dilation, padding", [(11, 1, 5), (13, 1, 0), (29, 2, 28), (5, 3, 6)])
def test_a_kept_weight_spectrum_gives_the_same_outputs(kernel, dilation, padding, monkeypatch):
    """weight_spectrum serves later calls at any padding and dilation, bit for bit the per-call transform's result;
    a call that needs gradients refuses it."""
    monkeypatch.setattr(spectral_conv, "_CHUNK_BYTES", 8 * 17 * 12 * 3)  # several chunks, the last one ragged
    torch.manual_seed(0)
    x, weight, bias = torch.randn(2, 12, 61), torch.randn(37, 12, kernel), torch.randn(37)
    spectrum = weight_spectrum(weight)
    assert spectrum.shape == weight.shape and len(spectrum.parts) > 1
    with torch.no_grad():
        for steps in (61, 97):
            x = torch.randn(2, 12, steps)
            expected = spectral_conv1d(x, weight, bias, padding, dilation)
            assert torch.equal(spectral_conv1d(x, spectrum, bias, padding, dilation), expected)
    with pytest.raises(ValueError, match="without gradients"):
        spectral_conv1d(x.requires_grad_(), spectrum, bias, padding, dilation)


def test_a_strided_weight_and_input(assert_matches_reference):
    base = torch.randn(12, 10, 11, requires_grad=True)  # used as [10, 12, 11]: the weight's strides are permuted
    x = torch.randn(3, 30, 12).transpose(1, 2).requires_grad_()  # [B, T, C] memory as [B, C, T]
    weight = base.transpose(0, 1)
    expected = nn.functional.conv1d(x, weight, padding=5)
    assert_matches_reference(spectral_conv1d(x, weight, None, 5), expected, (x, base))


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


def _conv(cin=384, cout=384, kernel=13, padding=None, **kwargs):
    padding = kernel // 2 if padding is None else padding
    return nn.Conv1d(cin, cout, kernel, padding=padding, bias=False, **kwargs)


def test_preferred_only_where_the_rule_says(threads, assert_common_refusals):
    threads(1)
    x = torch.randn(2, 384, 256)  # 512 output rows
    assert_common_refusals(spectral_preferred, _conv, x, spectral_conv)
    assert spectral_preferred(nn.Conv1d(384, 384, 7, padding=6, dilation=2), x)  # span 13
    assert not spectral_preferred(_conv(kernel=11), x)  # span 11 < MIN_SPAN
    assert not spectral_preferred(_conv(cout=256), x)
    assert not spectral_preferred(_conv(cin=256), torch.randn(2, 256, 256))
    assert spectral_preferred(_conv(), torch.randn(1, 384, 512))
    assert not spectral_preferred(_conv(), torch.randn(1, 384, 511))  # 511 rows < MIN_ROWS
    assert not spectral_preferred(nn.Conv1d(384, 384, 13, bias=False), torch.randn(1, 384, 523))  # unpadded: 511


def test_the_row_count_is_per_thread(threads):
    threads(2)
    assert not spectral_preferred(_conv(), torch.randn(2, 384, 256))
    assert spectral_preferred(_conv(), torch.randn(2, 384, 512))


def test_not_preferred_while_a_graph_is_captured(threads, rule_under_trace):
    threads(1)
    conv, x = _conv().requires_grad_(False), torch.randn(2, 384, 256)
    assert rule_under_trace(spectral_preferred, conv, x) == [(True, False)]


def test_a_double_backward_is_refused_not_wrong(assert_double_backward_refused):
    assert_double_backward_refused(
        spectral_conv1d, torch.randn(1, 4, 20, requires_grad=True), torch.randn(3, 4, 11, requires_grad=True)
    )
