"""The shared mel front end: NeMo's lengths, padding, options and helpers, ``torch.stft``'s spectrum, and the same
features whatever the chunking (NeMo's own output is checked in nemo-asr's ``test_nemo_feature_goldens.py``)."""

import math

import librosa
import numpy as np
import pytest
import scipy.signal
import torch

from nemo.collections.common.parts import filterbank_features
from nemo.collections.common.parts.filterbank_features import FilterbankFeatures, normalize_batch, splice_frames
from nemo.core.classes.restore import materialize_buffers


def _featurizer(**kwargs):
    base = dict(n_window_size=320, n_window_stride=160, nfilt=16, dither=0.0, pad_to=0)
    base.update(kwargs)
    return FilterbankFeatures(**base).eval()


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("n_fft,exact_pad", [(None, False), (400, False), (512, True), (320, True)])
def test_lengths_follow_the_formula_and_match_stft_frames(n_fft, exact_pad, legacy):
    feat = _featurizer(n_fft=n_fft, exact_pad=exact_pad, normalize=None, legacy_v1_features=legacy)
    lengths = torch.tensor([4000, 3999, 1601, 700])
    x = torch.randn(4, 4000)
    out, out_len = feat(x, lengths)
    fft = n_fft or 512
    pad = 2 * ((fft - 160) // 2) if exact_pad else 2 * (fft // 2)
    stft_frames = [math.floor((n + pad - fft) / 160) + 1 for n in lengths.tolist()]
    # NeMo >= 2.5 counts one frame fewer than the STFT yields (len // hop when centred); NeMo 1.0 to 2.4 counted all
    assert out_len.tolist() == [f if legacy else f - 1 for f in stft_frames]
    assert out.shape == (4, 16, stft_frames[0])  # the longest utterance fills the batch exactly (pad_to=0)
    assert torch.all(out[0, :, int(out_len[0]) :] == 0)


@pytest.mark.parametrize("legacy,pad_mode", [(False, "constant"), (True, "reflect")])
def test_matches_librosa_melspectrogram_for_one_utterance(legacy, pad_mode):
    sr, win, hop = 16000, 400, 160
    feat = _featurizer(
        n_window_size=win, n_window_stride=hop, preemph=None, log=False, normalize=None, nfilt=40,
        legacy_v1_features=legacy,
    )  # fmt: skip
    y = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    ours, ours_len = feat(torch.from_numpy(y)[None], torch.tensor([8000]))
    ref = librosa.feature.melspectrogram(
        y=y,
        sr=sr,
        n_fft=512,
        hop_length=hop,
        win_length=win,
        window=scipy.signal.get_window("hann", win, fftbins=False),
        center=True,
        pad_mode=pad_mode,
        power=2.0,
        n_mels=40,
    )
    assert ours.shape[1:] == ref.shape
    assert int(ours_len[0]) == (51 if legacy else 50)
    valid = int(ours_len[0])
    np.testing.assert_allclose(ours[0, :, :valid].numpy(), ref[:, :valid], rtol=1e-3, atol=1e-3 * ref.max())


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


@pytest.mark.parametrize("exact_pad", [False, True])
def test_samples_past_the_length_do_not_change_valid_frames(exact_pad):
    """NeMo >= 2.5 zeroes them after pre-emphasis, so padding (even garbage) leaves every valid frame unchanged."""
    feat = _featurizer(exact_pad=exact_pad)
    x = torch.randn(1, 3200)
    padded = torch.cat([x, torch.full((1, 1600), 0.7)], dim=1)
    alone, alone_len = feat(x, torch.tensor([3200]))
    batched, batched_len = feat(padded, torch.tensor([3200]))
    n = int(alone_len[0])
    assert int(batched_len[0]) == n
    torch.testing.assert_close(batched[0, :, :n], alone[0, :, :n], rtol=1e-5, atol=1e-5)


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


def test_nemo_options_narrowband_grads_mel_norm_and_deprecated_stft_keys():
    x = torch.randn(2, 3200)
    lengths = torch.tensor([3200, 3200])
    nb = _featurizer(n_fft=512, nb_augmentation_prob=1.0, nb_max_freq=2000, log=False, normalize=None, rng=0)
    plain = _featurizer(n_fft=512, log=False, normalize=None)
    torch.testing.assert_close(nb(x, lengths)[0], plain(x, lengths)[0])  # eval: no augmentation
    nb.train()
    only_high = nb.fb[0, :, :64].sum(1) == 0  # mel bins that see frequencies >= 2 kHz (FFT bin 64) only
    assert only_high.sum() >= 3
    assert torch.all(nb(x, lengths)[0][:, only_high] == 0)

    grads = _featurizer(use_grads=True, normalize=None)
    y = torch.randn(1, 1600, requires_grad=True)
    grads(y, torch.tensor([1600]))[0].sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()
    assert not _featurizer()(y, torch.tensor([1600]))[0].requires_grad

    no_norm = _featurizer(mel_norm=None)
    expected = librosa.filters.mel(sr=16000, n_fft=512, n_mels=16, fmin=0, fmax=8000, norm=None)
    np.testing.assert_allclose(no_norm.fb[0].numpy(), expected, rtol=1e-6)

    assert not _featurizer(stft_exact_pad=True, stft_conv=True).exact_pad  # ignored, as in NeMo >= 1.1
    assert _featurizer(stft_exact_pad=True, legacy_v1_features=True).exact_pad
    with pytest.raises(ValueError, match="even hop"):
        _featurizer(n_window_stride=161, exact_pad=True)


def _stft_power(x: torch.Tensor, feat: FilterbankFeatures) -> torch.Tensor:
    spec = torch.stft(x, feat.n_fft, feat.hop_length, feat.win_length, window=feat.window,
                      center=not feat.exact_pad, pad_mode="reflect" if feat.legacy_v1_features else "constant",
                      return_complex=True)  # fmt: skip
    return torch.view_as_real(spec).pow(2).sum(-1).transpose(1, 2)


@pytest.mark.parametrize("kwargs", [{}, {"legacy_v1_features": True}, {"n_fft": 400, "window": "hamming"}])
def test_power_spectrum_is_torch_stfts(kwargs):
    feat = _featurizer(**kwargs)
    x = torch.randn(3, 4321, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(feat.power_spectrum(x), _stft_power(x, feat), rtol=1e-6, atol=1e-6)


def test_matches_nemos_formula_with_pre_emphasis_normalization_and_masking():
    """NeMo's steps written out with torch.stft: the chunked, in-place path computes the same features."""
    feat = _featurizer(nfilt=64, pad_to=16)
    x = torch.randn(3, 16000, generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([16000, 12345, 999])
    emphasised = torch.cat((x[:, :1], x[:, 1:] - 0.97 * x[:, :-1]), dim=1)
    emphasised = emphasised.masked_fill(torch.arange(16000)[None] >= lengths[:, None], 0.0)
    mel = torch.matmul(feat.fb, _stft_power(emphasised, feat).mT)
    frames = lengths // 160
    expected = normalize_batch(torch.log(mel + 2**-24), frames, "per_feature")
    expected = expected.masked_fill(torch.arange(mel.shape[-1])[None, None] >= frames[:, None, None], 0.0)
    expected = torch.nn.functional.pad(expected, (0, -mel.shape[-1] % 16))
    out, out_len = feat(x, lengths)
    assert out_len.tolist() == frames.tolist()
    torch.testing.assert_close(out, expected, rtol=0, atol=2e-5)


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_features_do_not_depend_on_the_chunk_size(chunk, monkeypatch):
    feat = _featurizer(normalize="per_feature", exact_pad=True, n_fft=512)
    x = torch.randn(5, 8000, generator=torch.Generator().manual_seed(2))
    lengths = torch.tensor([8000, 400, 7999, 4000, 0])
    whole = feat(x, lengths)
    monkeypatch.setattr(filterbank_features, "CHUNK_FRAMES", chunk)  # several rows per chunk, or rows in pieces
    chunked = feat(x, lengths)
    assert torch.equal(chunked[1], whole[1]) and whole[1].tolist() == [49, 1, 48, 24, 0]
    torch.testing.assert_close(chunked[0], whole[0], rtol=0, atol=1e-5)  # FFT and BLAS round per size


def test_gradients_reach_the_audio_and_equal_the_no_grad_values():
    feat = _featurizer(use_grads=True, normalize="per_feature", mag_power=1.0)
    x = torch.randn(2, 3200, requires_grad=True)
    lengths = torch.tensor([3200, 2000])
    out, _ = feat(x, lengths)
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad[0].abs().sum() > 0
    with torch.no_grad():
        torch.testing.assert_close(feat(x, lengths)[0], out.detach(), rtol=1e-5, atol=1e-5)


class _Recomputed(FilterbankFeatures):
    persistent_buffers = False


def test_buffers_not_saved_are_recomputed_after_a_meta_device_build():
    assert _Recomputed(nfilt=16).state_dict() == {}
    with torch.device("meta"):
        feat = _Recomputed(nfilt=16)
    assert feat.fb.is_meta
    materialize_buffers(feat)  # what a restore does once the weights are assigned: calls reset_buffers
    torch.testing.assert_close(feat.fb, _featurizer().fb)
    assert torch.equal(feat.window, torch.hann_window(320, periodic=False))
