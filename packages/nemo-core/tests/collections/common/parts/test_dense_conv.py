"""dense_conv1d routes a plain, hook-free Conv1d to the kernel its rules pick (spectral for long kernels between wide
channels, Winograd for three taps on [B, T, C] inputs) with conv1d's results, and leaves everything else to the
module."""

import pytest
import torch
from torch import nn

from nemo.collections.common.parts import dense_conv, spectral_conv, winograd_conv
from nemo.collections.common.parts.dense_conv import dense_conv1d


def _spy(calls, name, kernel):
    return lambda *args: calls.append((name, args[0].shape)) or kernel(*args)


@pytest.fixture
def routed(monkeypatch):
    """The kernels each call took: ``[("spectral" | "winograd", input shape)]``."""
    calls = []
    monkeypatch.setattr(dense_conv, "spectral_conv1d", _spy(calls, "spectral", spectral_conv.spectral_conv1d))
    monkeypatch.setattr(dense_conv, "winograd_conv1d", _spy(calls, "winograd", winograd_conv.winograd_conv1d))
    return calls


def test_each_rule_picks_its_kernel_with_conv1ds_results(routed, threads, assert_matches_reference):
    threads(1)
    torch.manual_seed(0)
    long = nn.Conv1d(384, 384, 13, padding=6)
    x = torch.randn(2, 384, 256, requires_grad=True)  # 512 output rows
    assert_matches_reference(dense_conv1d(long, x), long(x), (x, long.weight, long.bias))
    three = nn.Conv1d(256, 256, 3, padding=1)
    tokens = torch.randn(4, 40, 256).transpose(1, 2).requires_grad_()  # [B, T, C] memory, 160 rows
    assert_matches_reference(dense_conv1d(three, tokens), three(tokens), (tokens, three.weight, three.bias))
    assert routed == [("spectral", x.shape), ("winograd", tokens.shape)]


def test_other_layers_hooks_and_subclasses_run_the_module(routed, threads):
    threads(1)
    three = nn.Conv1d(256, 256, 3, padding=1)
    tokens = torch.randn(4, 40, 256).transpose(1, 2)
    dense_conv1d(three, tokens.contiguous())  # [B, C, T] memory: conv1d
    dense_conv1d(nn.Conv1d(256, 256, 5, padding=2), tokens)
    seen = []
    handle = three.register_forward_hook(lambda *args: seen.append(True))
    dense_conv1d(three, tokens)
    handle.remove()
    weight_normed = nn.utils.parametrizations.weight_norm(nn.Conv1d(256, 256, 3, padding=1))
    dense_conv1d(weight_normed, tokens)
    assert routed == [] and seen == [True]
