import pytest
import torch
from torch import nn

from nemo.collections.asr.parts.jasper import (
    GroupShuffle,
    JasperBlock,
    MaskedConv1d,
    SqueezeExcite,
    compute_new_kernel_size,
    get_same_padding,
    init_weights,
)
from nemo.collections.common.parts import dense_conv, packed_conv


def test_padding_and_kernel_helpers():
    assert get_same_padding(11, 1, 1) == 5
    assert get_same_padding(87, 1, 2) == 86
    assert get_same_padding(5, 2, 1) == 2
    with pytest.raises(ValueError, match="stride OR dilation"):
        get_same_padding(3, 2, 2)
    assert compute_new_kernel_size(33, 1.0) == 33
    assert compute_new_kernel_size(33, 0.5) == 17
    assert compute_new_kernel_size(10, 1.0) == 11


def test_masked_conv_ignores_frames_beyond_length_and_updates_lengths():
    conv = MaskedConv1d(2, 3, 5, stride=2, padding=2)
    x = torch.randn(2, 2, 20)
    lens = torch.tensor([20, 11])
    out, out_lens = conv(x, lens)
    assert out_lens.tolist() == [10, 6]
    noisy = x.clone()
    noisy[1, :, 11:] = 1e6
    torch.testing.assert_close(conv(noisy, lens)[0], out)


def test_masked_conv_heads_share_depthwise_kernels():
    conv = MaskedConv1d(8, 8, 3, padding=1, groups=8, heads=2)
    assert conv.conv.weight.shape == (2, 1, 3)
    out, _ = conv(torch.randn(3, 8, 10), torch.tensor([10, 10, 10]))
    assert out.shape == (3, 8, 10)
    with pytest.raises(ValueError, match="depthwise"):
        MaskedConv1d(8, 8, 3, heads=2)


def test_masked_conv_takes_the_spectral_kernel_where_its_rule_says(monkeypatch):
    """A dense stride-1 layer of 384 channels and 13 taps over 512 output rows a thread runs through
    ``spectral_conv1d``, with ``conv1d``'s outputs and gradients up to float rounding; a narrower one keeps the
    module."""
    calls = []
    spectral = dense_conv.spectral_conv1d
    monkeypatch.setattr(dense_conv, "spectral_conv1d", lambda *args: calls.append(args[0].shape) or spectral(*args))
    torch.manual_seed(0)
    conv = MaskedConv1d(384, 384, 13, padding=6, bias=True)
    x = torch.randn(2 * torch.get_num_threads(), 384, 256, requires_grad=True)  # 512 output rows per thread
    out, _ = conv(x, None)
    want = conv.conv(x)
    assert calls == [x.shape]
    scale = want.abs().max().item()
    torch.testing.assert_close(out, want, rtol=0, atol=1e-5 * scale)
    grad = torch.randn_like(want)
    params = [x, conv.conv.weight, conv.conv.bias]
    for got, expected in zip(torch.autograd.grad(out, params, grad), torch.autograd.grad(want, params, grad)):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5 * expected.abs().max().item())
    MaskedConv1d(256, 256, 13, padding=6)(torch.randn(2, 256, 256), None)
    assert len(calls) == 1


def test_group_shuffle_interleaves_channels():
    x = torch.arange(6.0).view(1, 6, 1)
    assert GroupShuffle(2, 6)(x).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_squeeze_excite_global_and_windowed():
    se = SqueezeExcite(8, 4)
    x = torch.randn(2, 8, 12)
    out = se(x)
    gate = torch.sigmoid(se.fc(x.mean(-1)))
    torch.testing.assert_close(out, x * gate.unsqueeze(-1))
    windowed = SqueezeExcite(8, 4, context_window=3).eval()
    assert windowed(x).shape == x.shape
    windowed.fc.load_state_dict(se.fc.state_dict())
    torch.testing.assert_close(windowed(x), out)  # NeMo: evaluation averages every valid frame, whatever the window


def test_squeeze_excite_averages_valid_frames_only_and_zeroes_padding():
    """NeMo 3's masked squeeze: padding changes neither the gate nor the valid frames, and comes out as zeros."""
    se = SqueezeExcite(8, 4).eval()
    x = torch.randn(2, 8, 12)
    lengths = torch.tensor([12, 7])
    noisy = x.clone()
    noisy[1, :, 7:] = 1e3
    out = se(noisy, lengths)
    gate = torch.sigmoid(se.fc(x[1, :, :7].mean(-1)))
    torch.testing.assert_close(out[1, :, :7], x[1, :, :7] * gate.unsqueeze(-1))
    assert torch.all(out[1, :, 7:] == 0)
    torch.testing.assert_close(out[0], se(x[:1])[0])


def test_block_layout_with_groups_se_and_stride_add():
    block = JasperBlock(
        4,
        8,
        repeat=2,
        kernel_size=[3],
        stride=[2],
        separable=True,
        groups=2,
        conv_mask=True,
        se=True,
        se_reduction_ratio=4,
        residual_mode="stride_add",
        stride_last=True,
        activation=nn.ReLU(),
    )
    kinds = [type(m).__name__ for m in block.mconv]
    assert kinds == [
        "MaskedConv1d",
        "MaskedConv1d",
        "BatchNorm1d",
        "GroupShuffle",
        "ReLU",
        "Dropout",
        "MaskedConv1d",
        "MaskedConv1d",
        "BatchNorm1d",
        "GroupShuffle",
        "SqueezeExcite",
    ]
    assert [type(m).__name__ for m in block.res[0]] == ["MaskedConv1d", "BatchNorm1d"]
    assert block.res[0][0].conv.stride == (2,)
    (out,), lens = block(([torch.randn(2, 4, 16)], torch.tensor([16, 9])))
    assert out.shape == (2, 8, 8) and lens.tolist() == [8, 5]


def test_unmasked_block_still_reports_strided_lengths():
    block = JasperBlock(4, 4, repeat=1, kernel_size=[5], stride=[2], conv_mask=False, residual=False)
    assert isinstance(block.mconv[0], nn.Conv1d)
    (out,), lens = block(([torch.randn(1, 4, 17)], torch.tensor([17])))
    assert lens.tolist() == [out.shape[-1]] == [9]


def test_dense_residual_returns_all_outputs():
    block = JasperBlock(5, 6, repeat=1, kernel_size=[3], residual_panes=[4, 5])
    assert block.dense_residual and len(block.res) == 2
    xs, _ = block(([torch.randn(1, 4, 7), torch.randn(1, 5, 7)], None))
    assert [t.shape[1] for t in xs] == [4, 5, 6]


def test_invalid_block_arguments():
    with pytest.raises(ValueError, match="normalization"):
        JasperBlock(2, 2, normalization="weird")
    with pytest.raises(ValueError, match="padding"):
        JasperBlock(2, 2, padding="valid")


def test_init_weights_modes():
    conv = nn.Conv1d(4, 4, 3)
    init_weights(conv, "kaiming_normal")
    with pytest.raises(ValueError, match="init_mode"):
        init_weights(conv, "zeros")
    bn = nn.BatchNorm1d(3)
    bn.running_mean.fill_(5.0)
    init_weights(bn)
    assert torch.all(bn.running_mean == 0)


def _module_by_module(block: JasperBlock, x: torch.Tensor, lens: torch.Tensor, panes=None) -> torch.Tensor:
    """The block's forward with each layer's own module (nn.BatchNorm1d, out-of-place activations and masks);
    ``panes``: a dense residual block's earlier outputs (``x`` the last)."""
    out, _ = _run_modules(block.mconv, x, lens)
    for pane, layers in zip(panes or [x], block.res or []):
        out = out + _run_modules(layers, pane, lens)[0]
    return block.mout(out)


def _run_modules(layers, x, lens):
    for layer in layers:
        if isinstance(layer, MaskedConv1d):
            x, lens = layer(x, lens)
        elif isinstance(layer, SqueezeExcite):
            x = layer(x, lens)
        else:
            x = layer(x)
    return x, lens


@pytest.mark.parametrize("activation", [nn.ReLU(), None])  # None: Jasper's default Hardtanh(0, 20)
@pytest.mark.parametrize("se,dropout", [(False, 0.0), (True, 0.0), (False, 0.3)])
def test_training_block_matches_its_modules_run_one_by_one(activation, se, dropout):
    """Under autograd the block runs its batch norms through the faster statistics, the activation after each in
    place, and a ReLU before a masked convolution zeroes the padded frames itself (the convolution skips its mask):
    outputs, gradients and running statistics equal the plain modules'."""
    torch.manual_seed(0)
    kwargs = dict(
        repeat=3, kernel_size=7, separable=True, conv_mask=True, dropout=dropout, activation=activation, se=se
    )
    block = JasperBlock(6, 8, **kwargs).train()
    reference = JasperBlock(6, 8, **kwargs).train()
    reference.load_state_dict(block.state_dict())
    x = (torch.randn(3, 6, 30) * 8).requires_grad_()  # wide enough for Hardtanh's upper clip
    lens = torch.tensor([30, 17, 25])
    torch.manual_seed(1)  # the same dropout masks on both sides
    (out,), _ = block(([x], lens))
    torch.manual_seed(1)
    want = _module_by_module(reference, x, lens)
    torch.testing.assert_close(out, want)
    grad = torch.randn_like(out)
    got_grads = torch.autograd.grad(out, [x, *block.parameters()], grad)
    want_grads = torch.autograd.grad(want, [x, *reference.parameters()], grad)
    for got, expected in zip(got_grads, want_grads):
        torch.testing.assert_close(got, expected)
    for (name, got), expected in zip(block.named_buffers(), reference.buffers()):
        torch.testing.assert_close(got, expected, msg=name)


def _eval_block_and_inputs(kwargs):
    """A masked block in eval mode with random running statistics, its input panes (two for a dense residual
    block) and lengths that pad two of the three utterances."""
    torch.manual_seed(0)
    panes = kwargs.get("residual_panes")
    block = JasperBlock(8 if panes else 6, 8, conv_mask=True, dropout=0.1, **kwargs)
    for norm in block.modules():
        if isinstance(norm, nn.BatchNorm1d):
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.5, 2.0)
    xs = [torch.randn(3, 6, 30) * 8, torch.randn(3, 8, 30)] if panes else [torch.randn(3, 6, 30) * 8]
    return block.eval(), xs, torch.tensor([30, 17, 25])


@pytest.mark.parametrize("way", [0, 1, 2, 3, 5])  # the modules, fused (plain, packed), spectral, conv1d folded
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(repeat=2, kernel_size=7, separable=True, activation=nn.ReLU()),
        dict(repeat=2, kernel_size=5, stride=2, stride_last=True, residual_mode="stride_add", activation=nn.ReLU()),
        dict(repeat=3, kernel_size=5, se=True, activation=None),  # Hardtanh(0, 20), squeeze-excite
        dict(repeat=1, kernel_size=3, residual_panes=[6, 8], groups=2),  # dense residual, channel shuffle
    ],
    ids=["separable", "stride_add", "se_hardtanh", "dense_residual"],
)
def test_eval_block_through_packed_convolutions_equals_the_modules(monkeypatch, way, kwargs):
    """Without gradients each conv -> batch norm (-> activation) runs through ``conv_norm_act``; whichever way it
    picks, outputs and lengths equal the plain modules' (padded frames included)."""
    monkeypatch.setattr(packed_conv, "MIN_MULTIPLY_ADDS", 0)
    routed = []

    def forced_way(conv, x, norm):  # the spectral way only where its rule could take it (one group, stride 1)
        routed.append(conv)
        return way if way != 3 or (conv.stride[0] == 1 and conv.groups == 1) else 1

    monkeypatch.setattr(packed_conv, "_way", forced_way)
    block, xs, lens = _eval_block_and_inputs(kwargs)
    with torch.no_grad():
        got, got_lens = block((xs, lens))
        assert routed  # the convolutions went through conv_norm_act
        monkeypatch.setattr(packed_conv, "ENABLED", False)
        want, want_lens = block((xs, lens))
    assert torch.equal(got_lens, want_lens)
    torch.testing.assert_close(got[-1], want[-1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(repeat=2, kernel_size=7, separable=True, activation=nn.ReLU()),
        dict(repeat=2, kernel_size=5, stride=2, stride_last=True, residual_mode="stride_add", separable=True),
        dict(repeat=3, kernel_size=5, se=True, activation=None),
        dict(repeat=2, kernel_size=3, residual_panes=[6, 8], separable=True),
        dict(repeat=2, kernel_size=5, residual=False, heads=2, separable=True),
    ],
    ids=["separable", "stride_add", "se_hardtanh", "dense_residual", "no_residual_heads"],
)
def test_eval_block_masks_like_its_modules_and_leaves_its_inputs_alone(kwargs):
    """Without gradients the block masks its own intermediate tensors in place (only the padded tails) and its
    input once for both branches: outputs (padded frames included) equal the modules run one by one with their own
    out-of-place masks, and the input panes, which the caller and later blocks keep, are untouched."""
    block, xs, lens = _eval_block_and_inputs(kwargs)
    kept = [x.clone() for x in xs]
    with torch.no_grad():
        got, _ = block((xs, lens))
        want = _module_by_module(block, xs[-1], lens, xs if len(xs) > 1 else None)
    torch.testing.assert_close(got[-1], want, rtol=1e-5, atol=1e-5)
    for x, before in zip(xs, kept):
        assert torch.equal(x, before)


def test_eval_block_sums_in_place_only_into_tensors_no_hook_saw():
    """Without gradients the residual sum and the activation overwrite the main branch's output, unless a hook on a
    block layer keeps it: then what the hook saw stays as the layer returned it."""
    block, xs, lens = _eval_block_and_inputs(dict(repeat=2, kernel_size=7, separable=True, activation=nn.ReLU()))
    seen = []
    handle = block.mconv[-1].register_forward_hook(lambda module, args, output: seen.append((output, output.clone())))
    with torch.no_grad():
        hooked, _ = block((xs, lens))
        handle.remove()
        plain, _ = block((xs, lens))
    ((output, as_returned),) = seen
    assert torch.equal(output, as_returned) and (output < 0).any()  # neither summed into nor passed through ReLU
    torch.testing.assert_close(hooked[-1], plain[-1], rtol=1e-5, atol=1e-5)
