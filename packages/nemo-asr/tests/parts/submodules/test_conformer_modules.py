"""The Conformer block: NeMo's submodule names, the macaron half-steps, and padded frames kept out of the
convolution module."""

import pytest
import torch

from nemo.collections.asr.parts.submodules.conformer_modules import (
    ConformerConvolution,
    ConformerFeedForward,
    ConformerLayer,
)
from nemo.collections.asr.parts.submodules.multi_head_attention import RelPositionalEncoding


def test_layer_keys_are_nemos():
    keys = ConformerLayer(d_model=8, d_ff=16, n_heads=2, conv_kernel_size=5).state_dict()
    prefixes = {k.rsplit(".", 1)[0] for k in keys}
    assert prefixes == {
        "norm_feed_forward1", "feed_forward1.linear1", "feed_forward1.linear2",
        "norm_conv", "conv.pointwise_conv1", "conv.depthwise_conv", "conv.batch_norm", "conv.pointwise_conv2",
        "norm_self_att", "self_attn.linear_q", "self_attn.linear_k", "self_attn.linear_v", "self_attn.linear_out",
        "self_attn.linear_pos", "self_attn",  # self_attn.pos_bias_u / pos_bias_v
        "norm_feed_forward2", "feed_forward2.linear1", "feed_forward2.linear2", "norm_out",
    }  # fmt: skip
    assert keys["conv.pointwise_conv1.weight"].shape == (16, 8, 1)
    assert keys["conv.depthwise_conv.weight"].shape == (8, 1, 5)
    abs_keys = ConformerLayer(d_model=8, d_ff=16, self_attention_model="abs_pos").state_dict()
    assert not any("linear_pos" in k or "pos_bias" in k for k in abs_keys)


def test_macaron_feed_forwards_are_half_steps():
    """With the attention, convolution and second feed-forward branches zeroed, the block is
    norm_out(x + 0.5 * FF1(LN(x)))."""
    torch.manual_seed(0)
    layer = ConformerLayer(d_model=8, d_ff=16, n_heads=2, conv_kernel_size=3).eval()
    with torch.no_grad():
        for module in (layer.self_attn.linear_out, layer.conv.pointwise_conv2, layer.feed_forward2.linear2):
            module.weight.zero_()
            module.bias.zero_()
    x = torch.randn(2, 5, 8)
    _, pos_emb = RelPositionalEncoding(8, 0.0, max_len=5)(x)
    expected = layer.norm_out(x + 0.5 * layer.feed_forward1(layer.norm_feed_forward1(x)))
    torch.testing.assert_close(layer(x, pos_emb=pos_emb), expected)


@pytest.mark.parametrize("norm", ["batch_norm", "layer_norm", "instance_norm", "group_norm2"])
def test_conv_module_keeps_padding_out(norm):
    torch.manual_seed(0)
    conv = ConformerConvolution(d_model=8, kernel_size=5, norm_type=norm).eval()
    x = torch.randn(1, 6, 8)
    pad_mask = torch.tensor([[False] * 6 + [True] * 3])
    padded = torch.cat([x, torch.full((1, 3, 8), 9.0)], dim=1)
    if norm in ("instance_norm", "group_norm2"):  # statistics over time include the padding (as in NeMo)
        assert conv(padded, pad_mask=pad_mask).shape == (1, 9, 8)
        return
    torch.testing.assert_close(conv(padded, pad_mask=pad_mask)[:, :6], conv(x), rtol=1e-5, atol=1e-6)


def test_conv_module_norm_names_and_errors():
    assert isinstance(ConformerConvolution(8, 3, norm_type="layer_norm").batch_norm, torch.nn.LayerNorm)
    assert ConformerConvolution(8, 3, norm_type="group_norm4").batch_norm.num_groups == 4
    with pytest.raises(ValueError, match="conv_norm_type"):
        ConformerConvolution(8, 3, norm_type="fused_batch_norm")
    with pytest.raises(ValueError, match="odd"):
        ConformerConvolution(8, 4)
    causal = ConformerConvolution(8, 5, conv_context_size=[4, 0])
    assert (causal.depthwise_conv._left_padding, causal.depthwise_conv._right_padding) == (4, 0)


def test_feed_forward_is_swish_mlp():
    torch.manual_seed(0)
    ff = ConformerFeedForward(d_model=4, d_ff=8, dropout=0.0)
    x = torch.randn(3, 4)
    torch.testing.assert_close(ff(x), ff.linear2(torch.nn.functional.silu(ff.linear1(x))))
    assert "linear1.bias" not in ConformerFeedForward(4, 8, 0.0, use_bias=False).state_dict()


def test_unknown_attention_model_is_refused():
    with pytest.raises(ValueError, match="rel_pos_local_attn"):
        ConformerLayer(d_model=8, d_ff=16, self_attention_model="rel_pos_local_attn")
