"""winograd_conv1d equals conv1d (outputs and all three gradients) within float rounding on every geometry and layout
it takes; winograd_preferred takes exactly the layers its rule names."""

import math

import pytest
import torch
from torch import nn

from nemo.collections.common.parts import winograd_conv
from nemo.collections.common.parts.winograd_conv import winograd_conv1d, winograd_preferred


@pytest.mark.parametrize(
    "batch, cin, cout, steps, padding",
    [
        (2, 24, 20, 96, 1),  # whole tiles
        (3, 16, 37, 97, 1),  # one step in the last tile
        (1, 12, 10, 38, 1),  # two
        (2, 12, 10, 39, 1),  # three
        (2, 8, 8, 40, 0),  # no padding: 38 outputs
        (2, 8, 8, 21, 2),  # more padding than "same": 23 outputs
        (3, 8, 8, 1, 1),  # one step
        (2, 5, 7, 3, 0),  # one output
    ],
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", ["BCT", "BTC"])
def test_equals_conv1d_with_gradients(batch, cin, cout, steps, padding, bias, layout, assert_matches_reference):
    torch.manual_seed(0)
    if layout == "BTC":  # a [B, T, C] tensor seen as [B, C, T], as transformers hand it
        x = torch.randn(batch, steps, cin).transpose(1, 2).requires_grad_()
    else:
        x = torch.randn(batch, cin, steps, requires_grad=True)
    weight = (torch.randn(cout, cin, 3) / math.sqrt(cin * 3)).requires_grad_()
    b = torch.randn(cout, requires_grad=True) if bias else None
    expected = nn.functional.conv1d(x, weight, b, padding=padding)
    out = winograd_conv1d(x, weight, b, padding)
    assert (out.transpose(1, 2) if layout == "BTC" else out).is_contiguous()  # the input's layout kept
    assert_matches_reference(out, expected, (x, weight) + ((b,) if bias else ()))


def test_the_output_takes_an_in_place_activation_under_autograd(assert_matches_reference):
    x = torch.randn(2, 40, 16).transpose(1, 2).requires_grad_()
    weight = torch.randn(24, 16, 3, requires_grad=True)
    expected = torch.relu(nn.functional.conv1d(x, weight, padding=1))
    assert_matches_reference(torch.relu_(winograd_conv1d(x, weight)), expected, (x, weight))


def test_float64(assert_matches_reference):
    x = torch.randn(2, 5, 19, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(7, 5, 3, dtype=torch.float64, requires_grad=True)
    out = winograd_conv1d(x, weight)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, nn.functional.conv1d(x, weight, padding=1), rtol=1e-12, atol=1e-12)
    assert_matches_reference(out, nn.functional.conv1d(x, weight, padding=1), (x, weight))


def test_a_strided_weight(assert_matches_reference):
    base = torch.randn(3, 12, 10, requires_grad=True)  # used as [10, 12, 3]
    x = torch.randn(2, 12, 30)
    weight = base.permute(2, 1, 0)
    expected = nn.functional.conv1d(x, weight, padding=1)
    assert_matches_reference(winograd_conv1d(x, weight), expected, (base,))


def test_transforms_compute_a_correlation_exactly():
    """A^T [(G g) * (B^T d)] is the 4-output correlation of a 6-step tile with 3 taps (in float64)."""
    tile, taps = torch.randn(6, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    got = winograd_conv._OUTPUT @ ((winograd_conv._KERNEL @ taps) * (winograd_conv._INPUT @ tile))
    want = torch.stack([tile[i : i + 3] @ taps for i in range(4)])
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"three-tap weight \[O, C, 3\] expected, got \[3, 2, 5\]"):
        winograd_conv1d(torch.randn(1, 2, 8), torch.randn(3, 2, 5))
    with pytest.raises(ValueError, match="2 input steps \\+ 2 x padding 0 < 3 taps"):
        winograd_conv1d(torch.randn(1, 2, 2), torch.randn(3, 2, 3), padding=0)


def _conv(cin=256, cout=1024, kernel=3, padding=None, **kwargs):
    padding = kernel // 2 if padding is None else padding
    return nn.Conv1d(cin, cout, kernel, padding=padding, **kwargs)


def _tokens(batch, steps, channels=256):
    return torch.randn(batch, steps, channels).transpose(1, 2)


def test_preferred_only_where_the_rule_says(threads, assert_common_refusals):
    threads(1)
    x = _tokens(4, 40)  # 160 output rows, [B, T, C] memory
    assert_common_refusals(winograd_preferred, _conv, x, winograd_conv)
    assert winograd_preferred(_conv(cin=1024, cout=256), _tokens(4, 40, 1024))
    assert not winograd_preferred(_conv(), x.contiguous())  # [B, C, T] memory
    assert not winograd_preferred(_conv(kernel=5), x)
    assert not winograd_preferred(_conv(cout=192), x)
    assert not winograd_preferred(_conv(cin=192), _tokens(4, 40, 192))
    assert not winograd_preferred(_conv(dilation=2), x)
    assert not winograd_preferred(_conv(), _tokens(1, 159))  # 159 rows < MIN_ROWS
    assert not winograd_preferred(nn.Conv1d(256, 1024, 3), _tokens(1, 161))  # unpadded: 159 rows


def test_the_row_count_is_per_thread(threads):
    threads(2)
    assert not winograd_preferred(_conv(), _tokens(4, 40))
    assert winograd_preferred(_conv(), _tokens(4, 80))


def test_not_preferred_while_a_graph_is_captured(threads, rule_under_trace):
    threads(1)
    conv, x = _conv().requires_grad_(False), _tokens(4, 40)
    assert rule_under_trace(winograd_preferred, conv, x) == [(True, False)]


def test_a_double_backward_is_refused_not_wrong(assert_double_backward_refused):
    assert_double_backward_refused(
        winograd_conv1d, torch.randn(1, 4, 20, requires_grad=True), torch.randn(3, 4, 3, requires_grad=True)
    )
