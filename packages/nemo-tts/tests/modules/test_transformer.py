import pytest
import torch

from nemo.collections.tts.modules.transformer import FFTransformerDecoder, FFTransformerEncoder


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
