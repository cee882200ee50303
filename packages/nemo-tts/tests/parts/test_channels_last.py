"""The channels-last 1-D convolutions give torch's 1-D results: forward and gradients, to float32 rounding."""

import pytest
import torch

from nemo.collections.tts.modules.hifigan import _weight_norm
from nemo.collections.tts.parts import channels_last as layout
from nemo.collections.tts.parts.channels_last import Conv1d, ConvTranspose1d, from_channels_last, to_channels_last

ATOL = 1e-5


def _both_paths(module: torch.nn.Module, x: torch.Tensor):
    """Output and input/parameter gradients of ``module`` on ``x`` ([B, C, T]) the 1-D way, then channels-last."""
    results = []
    for channels_last in (False, True):
        module.zero_grad()
        inp = x.clone().requires_grad_()
        out = module(to_channels_last(inp)) if channels_last else module(inp)
        out = from_channels_last(out) if channels_last else out
        out.backward(torch.linspace(-1, 1, out.numel()).view_as(out))
        grads = [inp.grad, *(p.grad.clone() for p in module.parameters())]
        results.append((out.detach(), grads))
    return results


@pytest.mark.parametrize(
    "module",
    [
        Conv1d(6, 5, 7, padding=9, dilation=3),
        Conv1d(4, 8, 3, stride=2, padding=1, groups=2),
        ConvTranspose1d(6, 3, 8, 4, padding=2),
        _weight_norm(Conv1d(5, 5, 11, padding=5)),
        _weight_norm(ConvTranspose1d(5, 2, 16, 8, padding=4)),
    ],
)
def test_channels_last_convolution_equals_the_1d_path(module):
    torch.manual_seed(0)
    x = torch.randn(3, module.in_channels, 37)
    (plain, plain_grads), (last, last_grads) = _both_paths(module, x)
    assert last.shape == plain.shape
    torch.testing.assert_close(last, plain, rtol=0, atol=ATOL)
    for ours, reference in zip(last_grads, plain_grads):
        torch.testing.assert_close(ours, reference, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "module",
    [
        Conv1d(8, 8, 11, padding=5),
        Conv1d(8, 8, 7, padding=3, bias=False),
        _weight_norm(Conv1d(6, 8, 11, padding=5)),
    ],
    ids=["11-taps", "7-taps-no-bias", "weight-norm"],
)
def test_few_channels_fold_pairs_of_steps_with_the_1d_results(module, monkeypatch):
    """Up to 8 channels, 7+ taps, an even length: the pairs-of-steps kernel runs and equals the 1-D path."""
    folded = []
    real = layout._folded_conv
    monkeypatch.setattr(layout, "_folded_conv", lambda *args: folded.append(1) or real(*args))
    torch.manual_seed(0)
    x = torch.randn(3, module.in_channels, 38)
    (plain, plain_grads), (last, last_grads) = _both_paths(module, x)
    assert folded and last.shape == plain.shape
    torch.testing.assert_close(last, plain, rtol=0, atol=ATOL)
    for ours, reference in zip(last_grads, plain_grads):  # sums of ~100 products in another order: relative 1e-5
        torch.testing.assert_close(ours, reference, rtol=1e-5, atol=ATOL)


def test_the_fold_is_a_rule_of_shapes():
    """Odd lengths, 3 taps, dilation, more than 8 channels and strides keep the 2-D kernel."""
    x = to_channels_last(torch.randn(2, 8, 40))
    assert layout._folds(Conv1d(8, 8, 7, padding=3), x)
    assert not layout._folds(Conv1d(8, 8, 7, padding=3), to_channels_last(torch.randn(2, 8, 41)))
    assert not layout._folds(Conv1d(8, 8, 3, padding=1), x)
    assert not layout._folds(Conv1d(8, 8, 7, padding=9, dilation=3), x)
    assert not layout._folds(Conv1d(8, 16, 7, padding=3), x)
    assert not layout._folds(Conv1d(8, 8, 7, stride=2, padding=3), x)


def test_a_traced_graph_keeps_the_2d_kernel(monkeypatch):
    """Tracing (ONNX export) records the plain kernel, whose static shapes the exporter needs."""
    folded = []
    real = layout._folded_conv
    monkeypatch.setattr(layout, "_folded_conv", lambda *args: folded.append(1) or real(*args))
    conv = Conv1d(8, 8, 7, padding=3)
    x = to_channels_last(torch.randn(2, 8, 40))
    with torch.no_grad():
        traced = torch.jit.trace(conv, x, check_trace=False)  # the check would rerun it eagerly
        assert not folded
        torch.testing.assert_close(traced(x), conv(x), rtol=0, atol=ATOL)
    assert folded  # the eager call folds
