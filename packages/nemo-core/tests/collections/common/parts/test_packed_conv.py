"""conv_norm_act: every way (modules, fused on the plain folded weight or on the packed one, the folded weight through
spectral_conv1d or winograd_conv1d) equals the modules within float rounding; the cached weights follow parameter and
buffer changes; the fused path never runs with gradients, in train mode, under tracing or autocast, or off float32;
state dicts and copies are untouched."""

import copy

import pytest
import torch
from torch import nn

from nemo.collections.common.parts import packed_conv
from nemo.collections.common.parts.packed_conv import conv_norm_act, fused_activation, packing_possible
from nemo.collections.common.parts.spectral_conv import WeightSpectrum

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="needs oneDNN (mkldnn)")

ACTIVATIONS = [
    None,
    nn.Identity(),
    nn.ReLU(),
    nn.Hardtanh(0.0, 20.0),
    nn.LeakyReLU(0.1),
    nn.SiLU(),
    nn.GELU(),
    nn.GELU(approximate="tanh"),
    nn.ELU(),  # no oneDNN post-op: applied after the fused call
]


def _layers(cin=8, cout=12, kernel=5, stride=1, dilation=1, groups=1, bias=True, seed=0):
    torch.manual_seed(seed)
    conv = nn.Conv1d(cin, cout, kernel, stride, dilation * (kernel // 2), dilation, groups, bias).eval()
    norm = nn.BatchNorm1d(cout, eps=1e-3).eval()
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    return conv, norm


def _plain(conv, x, norm, activation):
    out = conv(x)
    out = out if norm is None else norm(out)
    return out if activation is None else activation(out)


@pytest.fixture(autouse=True)
def _every_layer_routed(monkeypatch):
    """Small test layers take the fused path too."""
    monkeypatch.setattr(packed_conv, "MIN_MULTIPLY_ADDS", 0)


@pytest.mark.parametrize(
    "way",
    [
        packed_conv._PLAIN,
        packed_conv._FUSED,
        packed_conv._FUSED_PACKED,
        packed_conv._SPECTRAL,
        packed_conv._WINOGRAD,
        packed_conv._FOLDED,
    ],
)
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("with_norm", [True, False])
def test_every_way_equals_the_modules(way, activation, with_norm):
    conv, norm = _layers(kernel=3 if way == packed_conv._WINOGRAD else 5)
    norm = norm if with_norm else None
    x = torch.randn(3, 8, 37)
    post_op = fused_activation(activation)
    fused_act, after = (activation, None) if post_op is not None else (None, activation)
    with torch.no_grad():
        expected = _plain(conv, x, norm, activation)
        out = packed_conv._run(way, conv, x, norm, fused_act, post_op or ("none", [], ""))
        out = out if after is None else after(out)
    assert out.is_contiguous()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "geometry",
    [dict(kernel=1), dict(kernel=11, stride=2), dict(kernel=7, dilation=2), dict(groups=4, cin=8, cout=12), {}],
    ids=["1x1", "stride2", "dilated", "grouped", "k5"],
)
@pytest.mark.parametrize("transposed_input", [False, True])
def test_conv_norm_act_equals_the_modules(geometry, transposed_input):
    conv, norm = _layers(**geometry)
    x = (
        torch.randn(2, 30, conv.in_channels).transpose(1, 2)
        if transposed_input
        else torch.randn(2, conv.in_channels, 30)
    )
    with torch.no_grad():
        expected = _plain(conv, x, norm, nn.ReLU())
        for _ in range(2):  # the first call folds (and packs) the weight, the second reads the cache
            torch.testing.assert_close(conv_norm_act(conv, x, norm, nn.ReLU()), expected, rtol=1e-5, atol=1e-5)
    cached = packed_conv._PACKED[conv]
    packed = packed_conv.packed_weight_preferred(conv, x)
    assert packed == (transposed_input or geometry.get("kernel", 5) >= 17)
    assert (cached[1] is None, cached[3] is None) == (packed, not packed)  # only the form used is kept


@pytest.mark.parametrize("transposed_input", [False, True])
def test_a_weight_packed_for_one_shape_serves_others(transposed_input):
    conv, norm = _layers(kernel=17, cin=16, cout=24)
    with torch.no_grad():
        for batch, steps in [(2, 40), (3, 97), (1, 9), (2, 40)]:
            x = torch.randn(batch, steps, 16).transpose(1, 2) if transposed_input else torch.randn(batch, 16, steps)
            got = conv_norm_act(conv, x, norm, nn.ReLU())
            torch.testing.assert_close(got, _plain(conv, x, norm, nn.ReLU()), rtol=1e-5, atol=1e-5)
            assert got.is_contiguous() != transposed_input  # a [B, T, C] view is answered in that layout
    assert packed_conv._PACKED[conv][3] is not None


def test_cached_weights_follow_parameters_buffers_and_train_mode():
    conv, norm = _layers()
    x = torch.randn(2, 8, 40)
    with torch.no_grad():
        conv_norm_act(conv, x, norm)
        conv.weight.mul_(2.0)  # an in-place update bumps the version
        norm.running_mean.add_(0.5)
        torch.testing.assert_close(conv_norm_act(conv, x, norm), _plain(conv, x, norm, None), rtol=1e-5, atol=1e-5)
        conv.load_state_dict({k: v + 1 for k, v in conv.state_dict().items()})
        torch.testing.assert_close(conv_norm_act(conv, x, norm), _plain(conv, x, norm, None), rtol=1e-5, atol=1e-5)
    conv.train()
    with torch.no_grad():
        assert not packing_possible(conv, x, norm)
    assert conv not in packed_conv._PACKED  # a call in train mode drops the cache


def test_never_with_gradients_tracing_autocast_or_other_dtypes():
    conv, norm = _layers()
    x = torch.randn(2, 8, 20)
    assert not packing_possible(conv, x, norm)  # gradients enabled
    with torch.no_grad():
        assert packing_possible(conv, x, norm)
        assert not packing_possible(conv, x, norm.train())
        norm.eval()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert not packing_possible(conv, x, norm)
        assert not packing_possible(conv.double(), x.double(), norm.double())
        conv.float(), norm.float()
        handle = norm.register_forward_hook(lambda *args: None)
        assert not packing_possible(conv, x, norm)
        handle.remove()
        seen = []

        def traced(inp):
            seen.append(packing_possible(conv, inp, norm))
            return inp * 2

        torch.jit.trace(traced, x, check_trace=False)
        assert seen == [False]
    out = conv_norm_act(conv, x, norm)
    assert out.requires_grad and out.grad_fn is not None


def test_disabled_and_unfused_activations_run_the_modules(monkeypatch):
    conv, norm = _layers()
    x = torch.randn(2, 8, 20)
    monkeypatch.setattr(packed_conv, "ENABLED", False)
    with torch.no_grad():
        assert not packing_possible(conv, x, norm)
        torch.testing.assert_close(conv_norm_act(conv, x, norm, nn.ELU()), _plain(conv, x, norm, nn.ELU()))
    assert fused_activation(nn.ELU()) is None and fused_activation(nn.ReLU()) == ("relu", [], "")


def test_state_dict_copies_and_inference_mode_untouched():
    conv, norm = _layers()
    keys = set(conv.state_dict())
    x = torch.randn(2, 8, 25)
    with torch.inference_mode():
        expected = conv_norm_act(conv, x, norm, nn.ReLU())
    assert set(conv.state_dict()) == keys and not any(
        isinstance(v, torch.Tensor) and v.is_mkldnn for v in vars(conv).values()
    )
    clone = copy.deepcopy(conv)
    with torch.no_grad():  # weights packed under inference mode serve a later no-grad call
        torch.testing.assert_close(conv_norm_act(conv, x, norm, nn.ReLU()), expected)
        torch.testing.assert_close(conv_norm_act(clone, x, norm, nn.ReLU()), expected)


def test_the_way_is_a_rule_of_shapes_never_of_timings(monkeypatch):
    conv, norm = _layers(kernel=21, cin=8, cout=8)
    dilated, _ = _layers(kernel=21, dilation=2, cin=8, cout=8)
    narrow, _ = _layers(kernel=13, cin=8, cout=8)
    x = torch.randn(4, 8, 200)
    assert packed_conv._way(conv, x, norm) == packed_conv._FUSED_PACKED
    assert packed_conv._way(dilated, x, norm) == packed_conv._FUSED
    assert packed_conv._way(narrow, x, norm) == packed_conv._FUSED
    assert packed_conv._way(narrow, x.transpose(1, 2).contiguous().transpose(1, 2), norm) == packed_conv._FUSED_PACKED
    # 4 x 200 steps x 8 x 8 x 13 = 665,600 multiply-adds: below a threshold of 665,601 conv1d runs the folded
    # weight (the modules without a norm to fold).
    monkeypatch.setattr(packed_conv, "MIN_MULTIPLY_ADDS", 665_601)
    assert packed_conv._way(narrow, x, norm) == packed_conv._FOLDED
    assert packed_conv._way(narrow, x, None) == packed_conv._PLAIN
    monkeypatch.setattr(packed_conv, "MIN_MULTIPLY_ADDS", 665_600)
    assert packed_conv._way(narrow, x, norm) == packed_conv._FUSED
    wide, _ = _layers(kernel=13, cin=384, cout=384)  # spectral_conv's rule: 192 output rows per thread with the
    threads = torch.get_num_threads()  # spectrum kept (CACHE_SPECTRUM), else 512
    assert packed_conv._way(wide, torch.randn(threads, 384, 192), norm) == packed_conv._SPECTRAL
    assert packed_conv._way(wide, torch.randn(threads, 384, 191), norm) == packed_conv._FUSED
    monkeypatch.setattr(packed_conv, "CACHE_SPECTRUM", False)
    assert packed_conv._way(wide, torch.randn(threads, 384, 512), norm) == packed_conv._SPECTRAL
    assert packed_conv._way(wide, torch.randn(threads, 384, 511), norm) == packed_conv._FUSED
    three, _ = _layers(kernel=3, cin=256, cout=1024)  # winograd_conv's rule: [B, T, C] memory, 160 rows per thread
    tokens = torch.randn(torch.get_num_threads(), 160, 256).transpose(1, 2)
    assert packed_conv._way(three, tokens, None) == packed_conv._WINOGRAD
    assert packed_conv._way(three, tokens.contiguous(), None) == packed_conv._FUSED


def test_a_spectral_layer_keeps_its_weight_spectrum_and_follows_changes(monkeypatch):
    """The spectral way caches the folded weight's spectrum (not the folded weight) and rebuilds it after an update;
    with CACHE_SPECTRUM off it keeps the folded weight and transforms it per call."""
    monkeypatch.setattr(packed_conv, "_way", lambda conv, x, norm: packed_conv._SPECTRAL)
    x = torch.randn(2, 16, 60)
    for cache in (True, False):
        monkeypatch.setattr(packed_conv, "CACHE_SPECTRUM", cache)
        conv, norm = _layers(kernel=13, cin=16, cout=24, dilation=2)
        with torch.no_grad():
            for _ in range(2):
                got = conv_norm_act(conv, x, norm, nn.ReLU())
                torch.testing.assert_close(got, _plain(conv, x, norm, nn.ReLU()), rtol=1e-5, atol=1e-5)
            conv.weight.mul_(2.0)
            got = conv_norm_act(conv, x, norm, nn.ReLU())
            torch.testing.assert_close(got, _plain(conv, x, norm, nn.ReLU()), rtol=1e-5, atol=1e-5)
        cached = packed_conv._PACKED[conv]
        assert isinstance(cached[packed_conv._SPECTRUM], WeightSpectrum) is cache
        assert (cached[packed_conv._PLAIN_WEIGHT] is None) is cache
