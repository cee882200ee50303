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
