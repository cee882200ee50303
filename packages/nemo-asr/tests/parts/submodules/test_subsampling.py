"""Subsampling front ends: NeMo's layer layout and keys, output lengths, and padding that changes nothing."""

import pytest
import torch

from nemo.collections.asr.parts.submodules.subsampling import ConvSubsampling, StackingSubsampling, calc_length

KINDS = ["striding", "dw_striding", "vggnet", "striding_conv1d", "dw_striding_conv1d"]


def _build(kind, factor=4, causal=False):
    torch.manual_seed(0)
    return ConvSubsampling(kind, factor, feat_in=12, feat_out=10, conv_channels=6, is_causal=causal).eval()


def test_layouts_and_keys_are_nemos():
    assert list(_build("striding").state_dict()) == [  # NeMo's order too: `out` is registered first
        "out.weight", "out.bias", "conv.0.weight", "conv.0.bias", "conv.2.weight", "conv.2.bias",
    ]  # fmt: skip
    dw = _build("dw_striding", factor=8).state_dict()
    assert {k: tuple(v.shape) for k, v in dw.items() if k.endswith("weight")} == {
        "conv.0.weight": (6, 1, 3, 3),  # full conv, then [depthwise, pointwise, activation] per further factor of 2
        "conv.2.weight": (6, 1, 3, 3),
        "conv.3.weight": (6, 6, 1, 1),
        "conv.5.weight": (6, 1, 3, 3),
        "conv.6.weight": (6, 6, 1, 1),
        "out.weight": (10, 6 * 2),  # 12 frequency bins -> 6 -> 3 -> 2
    }
    vgg = _build("vggnet").state_dict()
    assert [k for k in vgg if k.endswith("weight")] == ["out.weight", "conv.0.weight", "conv.2.weight",
                                                        "conv.5.weight", "conv.7.weight"]  # fmt: skip
    assert vgg["out.weight"].shape == (10, 6 * 3)
    conv1d = _build("striding_conv1d").state_dict()
    assert conv1d["conv.0.weight"].shape == (6, 12, 5) and conv1d["conv.2.weight"].shape == (10, 6, 5)
    assert "out.weight" not in conv1d


@pytest.mark.parametrize("causal", [False, True], ids=["symmetric", "causal"])
@pytest.mark.parametrize("kind", KINDS)
def test_lengths_follow_nemos_formula(kind, causal):
    if causal and kind in ("vggnet", "dw_striding_conv1d"):
        with pytest.raises(ValueError, match="Causal"):
            _build(kind, causal=causal)
        return
    module = _build(kind, causal=causal)
    lengths = torch.tensor([37, 36, 9, 1])
    out, out_len = module(torch.randn(4, 37, 12), lengths)
    pads = module._left_padding + module._right_padding
    expected = calc_length(lengths, pads, module._kernel_size, module._stride, module._ceil_mode, repeat_num=2)
    assert out_len.tolist() == expected.tolist() and out_len.dtype == torch.int64
    assert out.shape == (4, int(expected[0]), 10)


@pytest.mark.parametrize("kind", KINDS)
def test_padding_does_not_change_an_utterance(kind):
    module = _build(kind)
    x = torch.randn(1, 23, 12)
    alone, alone_len = module(x, torch.tensor([23]))
    batch = torch.cat([x, torch.zeros(1, 23, 12)], dim=1)
    batch[:, 23:] = 7.0  # whatever the padding holds
    padded, padded_len = module(batch, torch.tensor([23]))
    n = int(alone_len)
    assert int(padded_len) == n
    torch.testing.assert_close(padded[:, :n], alone[:, :n], rtol=1e-5, atol=1e-6)


def test_stacking_concatenates_frames():
    module = StackingSubsampling(3, feat_in=2, feat_out=4, norm=False)
    x = torch.arange(14.0).view(1, 7, 2)
    out, lengths = module(x, torch.tensor([7]))
    assert out.shape == (1, 3, 4) and lengths.tolist() == [3]
    stacked = torch.nn.functional.pad(x, (0, 0, 0, 2)).reshape(1, 3, 6)
    torch.testing.assert_close(out, module.proj_out(stacked))
    assert sorted(StackingSubsampling(2, 4, 8, norm=True).state_dict()) == [
        "pre_norm.bias", "pre_norm.weight", "proj_out.bias", "proj_out.weight",
    ]  # fmt: skip


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="power of 2"):
        ConvSubsampling("striding", 6, 8, 8, 4)
    with pytest.raises(ValueError, match="Not valid sub-sampling"):
        ConvSubsampling("pooling", 4, 8, 8, 4)
    with pytest.raises(ValueError, match="chunking"):
        ConvSubsampling("striding", 4, 8, 8, 4, subsampling_conv_chunking_factor=3)


@pytest.mark.parametrize("causal", [False, True], ids=["symmetric", "causal"])
def test_channels_last_path_equals_conv2d_path_forward_and_backward(causal):
    """dw_striding on CPU runs on (B, T, F, C) activations; the nn.Conv2d path (traced graphs, other devices) gives
    the same outputs and gradients, padding included."""
    torch.manual_seed(0)
    module = ConvSubsampling("dw_striding", 8, feat_in=12, feat_out=10, conv_channels=6, is_causal=causal,
                             activation=torch.nn.ReLU(inplace=True))  # fmt: skip
    x, lengths = torch.randn(3, 37, 12), torch.tensor([37, 20, 9])
    results = []
    for channels_last in (True, False):
        module._channels_last = lambda _x, use=channels_last: use
        module.zero_grad()
        out, out_len = module(x, lengths)
        (out * torch.linspace(-1, 1, out.size(-1))).sum().backward()
        results.append((out, out_len, [p.grad.clone() for p in module.parameters()]))
    (fast, fast_len, fast_grads), (plain, plain_len, plain_grads) = results
    assert torch.equal(fast_len, plain_len)
    torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
    for got, expected in zip(fast_grads, plain_grads):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
