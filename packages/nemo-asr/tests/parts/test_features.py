import math

import librosa
import numpy as np
import pytest
import scipy.signal
import torch

from nemo.collections.asr.parts.features import FilterbankFeatures, normalize_batch, splice_frames


def _featurizer(**kwargs):
    base = dict(n_window_size=320, n_window_stride=160, nfilt=16, dither=0.0, pad_to=0)
    base.update(kwargs)
    return FilterbankFeatures(**base).eval()


@pytest.mark.parametrize("n_fft,exact_pad", [(None, False), (400, False), (512, True), (320, True)])
def test_lengths_follow_the_formula_and_match_stft_frames(n_fft, exact_pad):
    feat = _featurizer(n_fft=n_fft, exact_pad=exact_pad, normalize=None)
    lengths = torch.tensor([4000, 3999, 1601, 700])
    x = torch.randn(4, 4000)
    out, out_len = feat(x, lengths)
    fft = n_fft or 512
    pad = 2 * ((fft - 160) // 2) if exact_pad else 2 * (fft // 2)
    expected = [math.floor((n + pad - fft) / 160) + 1 for n in lengths.tolist()]
    assert out_len.tolist() == expected
    assert out.shape == (4, 16, expected[0])  # the longest utterance fills the batch exactly (pad_to=0)


def test_matches_librosa_melspectrogram_for_one_utterance():
    sr, win, hop = 16000, 400, 160
    feat = _featurizer(n_window_size=win, n_window_stride=hop, preemph=None, log=False, normalize=None, nfilt=40)
    y = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    ours, _ = feat(torch.from_numpy(y)[None], torch.tensor([8000]))
    ref = librosa.feature.melspectrogram(
        y=y,
        sr=sr,
        n_fft=512,
        hop_length=hop,
        win_length=win,
        window=scipy.signal.get_window("hann", win, fftbins=False),
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=40,
    )
    assert ours.shape[1:] == ref.shape
    np.testing.assert_allclose(ours[0].numpy(), ref, rtol=1e-3, atol=1e-3 * ref.max())


def test_filterbank_is_a_buffer_like_nemo():
    feat = _featurizer()
    assert set(feat.state_dict()) == {"window", "fb"}
    assert feat.fb.shape == (1, 16, 257)
    assert torch.equal(feat.window, torch.hann_window(320, periodic=False))


def test_batched_equals_single_on_frames_inside_the_signal():
    feat = _featurizer(normalize=None)
    x = torch.randn(2, 6400)
    x[1, 3200:] = 0
    lengths = torch.tensor([6400, 3200])
    batched, blen = feat(x, lengths)
    single, slen = feat(x[1:2, :3200], lengths[1:])
    assert blen[1] == slen[0]
    inner = (3200 - 256) // 160  # frames whose window does not reach the padding
    torch.testing.assert_close(batched[1, :, :inner], single[0, :, :inner], rtol=1e-4, atol=1e-4)


def test_log_guards_and_masking_and_pad_to():
    x = torch.zeros(2, 3200)
    lengths = torch.tensor([3200, 1000])
    add, add_len = _featurizer(normalize=None, pad_value=-7.0, pad_to=16)(x, lengths)
    assert add.shape[-1] % 16 == 0 and add.shape[-1] >= int(add_len.max())
    valid = add[0, :, : add_len[0]]
    torch.testing.assert_close(valid, torch.full_like(valid, math.log(2**-24)))
    assert torch.all(add[1, :, add_len[1] :] == -7.0)
    clamp, _ = _featurizer(normalize=None, log_zero_guard_type="clamp", log_zero_guard_value="tiny")(x, lengths)
    assert torch.allclose(clamp[0, :, :5], torch.tensor(math.log(torch.finfo(torch.float32).tiny)))
    with pytest.raises(ValueError, match="log_zero_guard_type"):
        _featurizer(log_zero_guard_type="max")


def test_per_feature_normalization_uses_valid_frames_only():
    x = torch.randn(3, 5, 12)
    lengths = torch.tensor([12, 7, 2])
    out = normalize_batch(x, lengths, "per_feature")
    for b, n in enumerate(lengths.tolist()):
        seg = x[b, :, :n]
        expected = (x[b] - seg.mean(1, keepdim=True)) / (seg.std(1, keepdim=True) + 1e-5)
        torch.testing.assert_close(out[b], expected)
    whole = normalize_batch(x, lengths, "all_features")
    seg = x[1, :, :7]
    torch.testing.assert_close(whole[1], (x[1] - seg.mean()) / (seg.std() + 1e-5))
    fixed = normalize_batch(x, lengths, {"fixed_mean": [1.0] * 5, "fixed_std": [2.0] * 5})
    torch.testing.assert_close(fixed, (x - 1.0) / 2.0)
    with pytest.raises(ValueError, match="per_feature"):
        normalize_batch(x, lengths, "bogus")


def test_dither_only_in_training():
    feat = _featurizer(dither=1e-2)
    x = torch.zeros(1, 1600)
    lengths = torch.tensor([1600])
    torch.testing.assert_close(feat(x, lengths)[0], feat(x, lengths)[0])
    feat.train()
    assert not torch.allclose(feat(x, lengths)[0], feat(x, lengths)[0])


def test_frame_splicing_stacks_following_frames():
    x = torch.arange(6.0).view(1, 1, 6)
    out = splice_frames(x, 3)
    assert out.shape == (1, 3, 6)
    assert out[0, :, 0].tolist() == [0.0, 1.0, 2.0]
    assert out[0, :, 5].tolist() == [5.0, 5.0, 5.0]
    assert _featurizer(frame_splicing=2)(torch.randn(1, 1600), torch.tensor([1600]))[0].shape[1] == 32


def test_invalid_window_arguments():
    with pytest.raises(ValueError, match="n_window_size"):
        FilterbankFeatures(n_window_size=0)
    with pytest.raises(ValueError, match="window="):
        FilterbankFeatures(window="kaiser")
