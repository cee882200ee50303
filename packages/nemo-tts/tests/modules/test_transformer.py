import pytest
import torch

from nemo.collections.common.parts import packed_conv
from nemo.collections.tts.modules.transformer import FFTransformerDecoder, FFTransformerEncoder, PositionwiseConvFF


def test_encoder_masks_padding_and_more_padding_changes_nothing():
    """As in NeMo, the second feed-forward convolution sees the first's output at the first padding frame, so only
    the amount of padding (not its presence) leaves valid outputs unchanged."""
    torch.manual_seed(0)
    fft = FFTransformerEncoder(n_layer=2, n_head=2, d_model=16, d_head=8, d_inner=32, kernel_size=3, dropout=0.0,
                               dropatt=0.0, n_embed=10, padding_idx=9).eval()  # fmt: skip
    tokens = torch.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 9]])
    out, mask = fft(tokens)
    shorter, _ = fft(tokens[1:, :4])
    assert mask[..., 0].tolist() == [[True] * 5, [True] * 3 + [False] * 2]
    torch.testing.assert_close(out[1, :3], shorter[0, :3], atol=1e-6, rtol=1e-6)
    assert torch.all(out[1, 3:] == 0)


def test_decoder_keys_are_nemos_and_conditioning_adds_speakers():
    decoder = FFTransformerDecoder(n_layer=1, n_head=2, d_model=8, d_head=4, d_inner=16, kernel_size=3, dropout=0.0,
                                   dropatt=0.0, condition_types=["add", "layernorm"]).eval()  # fmt: skip
    keys = set(decoder.state_dict())
    assert {"pos_emb.inv_freq", "layers.0.dec_attn.qkv_net.weight", "layers.0.dec_attn.o_net.weight",
            "layers.0.pos_ff.CoreNet.0.weight", "layers.0.pos_ff.CoreNet.2.weight",
            "layers.0.pos_ff.layer_norm.cond_weight.weight"} <= keys  # fmt: skip
    assert "layers.0.dec_attn.o_net.bias" not in keys and "layers.0.pos_ff.layer_norm.weight" not in keys
    x, lengths = torch.randn(2, 5, 8), torch.tensor([5, 3])
    with pytest.raises(ValueError, match="conditioning"):
        decoder(x, lengths)
    speaker = torch.randn(2, 1, 8)
    out, mask = decoder(x, lengths, conditioning=speaker)
    assert out.shape == (2, 5, 8) and torch.all(out[1, 3:] == 0)
    assert not torch.allclose(out, decoder(x, lengths, conditioning=-speaker)[0])


@pytest.mark.parametrize(
    "way",
    [packed_conv._PLAIN, packed_conv._FUSED, packed_conv._FUSED_PACKED, packed_conv._WINOGRAD, packed_conv._FOLDED],
)
@pytest.mark.parametrize("pre_lnorm", [False, True])
def test_feed_forward_without_gradients_through_packed_convolutions_equals_the_modules(monkeypatch, way, pre_lnorm):
    """Without gradients the feed-forward's convolutions (the first with its ReLU) run through ``conv_norm_act`` on
    the ``[B, C, T]`` view of ``[B, T, C]``; whichever way it picks, the output equals the modules'."""
    monkeypatch.setattr(packed_conv, "MIN_MULTIPLY_ADDS", 0)
    routed = []
    monkeypatch.setattr(packed_conv, "_way", lambda conv, x, norm: routed.append(conv) or way)
    torch.manual_seed(0)
    ff = PositionwiseConvFF(16, 48, 3, dropout=0.1, pre_lnorm=pre_lnorm).eval()
    inp = torch.randn(2, 11, 16)
    with torch.no_grad():
        got = ff(inp)
        assert len(routed) == 2
        monkeypatch.setattr(packed_conv, "ENABLED", False)
        want = ff(inp)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ff(inp), want)  # with gradients: the modules


def test_feed_forward_in_training_runs_winograd_where_the_rule_says(monkeypatch):
    """FastPitch's three-tap feed-forward convolutions on the ``[B, T, C]`` layout they get take ``winograd_conv1d``
    with gradients too (through nemo-core's ``dense_conv1d``), with ``conv1d``'s outputs and gradients."""
    from nemo.collections.common.parts import dense_conv, winograd_conv

    calls = []
    monkeypatch.setattr(winograd_conv, "MIN_CHANNELS", 1)
    monkeypatch.setattr(winograd_conv, "MIN_ROWS", 1)
    monkeypatch.setattr(dense_conv, "winograd_conv1d", lambda *a: calls.append(a) or winograd_conv.winograd_conv1d(*a))
    torch.manual_seed(0)
    ff = PositionwiseConvFF(16, 48, 3, dropout=0.0).train()
    inp = torch.randn(2, 11, 16, requires_grad=True)
    got = ff(inp)
    assert len(calls) == 2
    (grad_got,) = torch.autograd.grad(got.sum(), inp)
    monkeypatch.setattr(winograd_conv, "ENABLED", False)
    want = ff(inp)
    (grad_want,) = torch.autograd.grad(want.sum(), inp)
    assert len(calls) == 2
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad_got, grad_want, rtol=1e-5, atol=1e-5)
