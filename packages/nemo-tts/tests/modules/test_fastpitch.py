import torch

from nemo.collections.tts.modules.fastpitch import FFTransformer, average_pitch, lengths_to_mask, regulate_len


def test_regulate_len_repeats_tokens_and_applies_pace():
    enc = torch.arange(6, dtype=torch.float32).view(2, 3, 1)
    out, lengths = regulate_len(torch.tensor([[2, 0, 3], [1, 1, 0]]), enc)
    assert lengths.tolist() == [5, 2]
    assert out[0, :, 0].tolist() == [0, 0, 2, 2, 2]
    assert out[1, :, 0].tolist() == [3, 4, 0, 0, 0]  # padding frames are zero
    fast, fast_lengths = regulate_len(torch.tensor([[4.0, 2.0, 6.0]]), enc[:1], pace=2.0)
    assert fast_lengths.tolist() == [6] and fast[0, :, 0].tolist() == [0, 0, 1, 2, 2, 2]


def test_average_pitch_ignores_unvoiced_frames():
    pitch = torch.tensor([[100.0, 0.0, 200.0, 300.0, 0.0, 0.0, 50.0]])
    durations = torch.tensor([[3, 1, 2, 1]])
    assert average_pitch(pitch, durations).tolist() == [[150.0, 300.0, 0.0, 50.0]]


def test_fft_padding_does_not_change_valid_outputs():
    torch.manual_seed(0)
    fft = FFTransformer(n_layer=2, n_head=2, d_model=16, d_inner=32, dropout=0.0, dropatt=0.0, n_embed=10).eval()
    tokens = torch.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]])
    lengths = torch.tensor([5, 3])
    out, mask = fft(tokens, lengths)
    alone, _ = fft(tokens[1:, :3], lengths[1:])
    assert torch.equal(mask, lengths_to_mask(lengths))
    torch.testing.assert_close(out[1, :3], alone[0], atol=1e-5, rtol=1e-5)
    assert torch.all(out[1, 3:] == 0)
