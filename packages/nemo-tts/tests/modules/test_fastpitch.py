import torch

from nemo.collections.tts.modules.fastpitch import TemporalPredictor, average_features, regulate_len


def test_regulate_len_repeats_tokens_and_applies_pace():
    enc = torch.arange(6, dtype=torch.float32).view(2, 3, 1)
    out, lengths = regulate_len(torch.tensor([[2, 0, 3], [1, 1, 0]]), enc)
    assert lengths.tolist() == [5, 2]
    assert out[0, :, 0].tolist() == [0, 0, 2, 2, 2]
    assert out[1, :, 0].tolist() == [3, 4, 0, 0, 0]  # padding frames are zero
    fast, fast_lengths = regulate_len(torch.tensor([[4.0, 2.0, 6.0]]), enc[:1], pace=2.0)
    assert fast_lengths.tolist() == [6] and fast[0, :, 0].tolist() == [0, 0, 1, 2, 2, 2]
    halves, half_lengths = regulate_len(torch.tensor([[0.5, 1.49, 2.5]]), enc[:1])  # NeMo: floor(d + 0.5)
    assert half_lengths.tolist() == [5] and halves[0, :, 0].tolist() == [0, 1, 2, 2, 2]


def test_average_features_ignores_unvoiced_frames():
    pitch = torch.tensor([[100.0, 0.0, 200.0, 300.0, 0.0, 0.0, 50.0]])
    durations = torch.tensor([[3, 1, 2, 1]])
    assert average_features(pitch, durations).tolist() == [[150.0, 300.0, 0.0, 50.0]]


def test_temporal_predictor_is_zero_at_padding_and_keys_match_nemo():
    torch.manual_seed(0)
    predictor = TemporalPredictor(input_size=8, filter_size=6, kernel_size=3, dropout=0.0, n_layers=2).eval()
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])[..., None]
    out = predictor(torch.randn(1, 4, 8), mask)
    assert out.shape == (1, 4) and out[0, 3] == 0
    assert sorted(predictor.state_dict()) == sorted(
        f"{name}.{kind}" for name in ("layers.0.conv", "layers.0.norm", "layers.1.conv", "layers.1.norm", "fc")
        for kind in ("weight", "bias")
    )  # fmt: skip
