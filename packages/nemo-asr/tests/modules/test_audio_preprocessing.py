import math

import numpy as np
import pytest
import scipy.fft
import torch

from nemo.collections.asr.modules import (
    AudioToMelSpectrogramPreprocessor,
    AudioToMFCCPreprocessor,
    CropOrPadSpectrogramAugmentation,
    SpectrogramAugmentation,
)
from nemo.core.neural_types import AudioSignal, MelSpectrogramType, NeuralType


def test_mel_preprocessor_window_arguments_and_state_dict():
    pre = AudioToMelSpectrogramPreprocessor(sample_rate=8000, window_size=0.025, window_stride=0.01, features=20)
    assert (pre.win_length, pre.hop_length) == (200, 80)
    assert pre.featurizer.n_fft == 256
    assert set(pre.state_dict()) == {"featurizer.window", "featurizer.fb"}
    assert pre.filter_banks.shape == (1, 20, 129)
    samples = AudioToMelSpectrogramPreprocessor(
        window_size=None, window_stride=None, n_window_size=300, n_window_stride=100
    )
    assert (samples.win_length, samples.hop_length) == (300, 100)
    with pytest.raises(ValueError, match="both window_size and n_window_size"):
        AudioToMelSpectrogramPreprocessor(n_window_size=320)


def test_mel_preprocessor_forward_is_typed_and_batched():
    pre = AudioToMelSpectrogramPreprocessor(features=16, dither=0.0, pad_to=16).eval()
    audio = torch.randn(3, 4800)
    lengths = torch.tensor([4800, 3000, 161])
    spec, spec_len = pre(input_signal=audio, length=lengths)
    assert spec_len.tolist() == [n // 160 for n in lengths.tolist()]  # NeMo >= 2.5: len // hop valid frames
    assert spec.shape == (3, 16, 32)  # 31 STFT frames, padded to a multiple of 16
    assert isinstance(spec.neural_type.elements_type, MelSpectrogramType)
    assert torch.all(spec[2, :, 1:] == 0)
    legacy = AudioToMelSpectrogramPreprocessor(features=16, dither=0.0, legacy_v1_features=True).eval()
    assert legacy(input_signal=audio, length=lengths)[1].tolist() == [n // 160 + 1 for n in lengths.tolist()]
    with pytest.raises(TypeError, match="keyword"):
        pre(audio, lengths)
    wrong_rate = audio.clone()
    wrong_rate.neural_type = NeuralType(("B", "T"), AudioSignal(freq=8000))
    with pytest.raises(TypeError, match="input_signal"):
        pre(input_signal=wrong_rate, length=lengths)


def test_mfcc_is_an_orthonormal_dct_of_log_htk_mels():
    mfcc = AudioToMFCCPreprocessor(
        n_mels=20, n_mfcc=13, window_size=None, window_stride=None, n_window_size=256, n_window_stride=128
    )
    assert set(mfcc.state_dict()) == {
        "featurizer.dct_mat",
        "featurizer.MelSpectrogram.spectrogram.window",
        "featurizer.MelSpectrogram.mel_scale.fb",
    }
    audio = torch.randn(2, 2560)
    lengths = torch.tensor([2560, 1000])
    feats, feat_len = mfcc(input_signal=audio, length=lengths)
    assert feat_len.tolist() == [20, math.ceil(1000 / 128)]
    assert feats.shape == (2, 13, 21)
    log_mel = torch.log(mfcc.featurizer.MelSpectrogram(audio) + 1e-6).numpy()
    expected = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, :13]
    np.testing.assert_allclose(feats.numpy(), expected, rtol=1e-4, atol=1e-3)
    fb = mfcc.featurizer.MelSpectrogram.mel_scale.fb
    assert fb.shape == (129, 20) and float(fb.max()) <= 1.0 + 1e-6  # HTK triangles, peak 1, no area normalisation
    with pytest.raises(ValueError, match="n_mfcc"):
        AudioToMFCCPreprocessor(n_mels=10, n_mfcc=13)


def test_spectrogram_augmentation_identity_and_masks():
    spec = torch.randn(2, 16, 40)
    assert torch.equal(SpectrogramAugmentation()(input_spec=spec), spec)
    out = SpectrogramAugmentation(
        freq_masks=2, time_masks=2, freq_width=3, time_width=4, rect_masks=1, rng=0, mask_value=0.0
    )(input_spec=spec)
    assert out.shape == spec.shape and (out == 0).any()
    changed = out != spec
    assert torch.all(out[changed] == 0)


def test_spectrogram_augmentation_takes_nemo_3s_implementation_switches():
    spec = torch.randn(2, 16, 40)
    kwargs = dict(freq_masks=2, time_masks=2, freq_width=3, time_width=4, rng=0)
    vectorized = SpectrogramAugmentation(**kwargs, use_vectorized_spec_augment=False, use_numba_spec_augment=True)
    assert torch.equal(vectorized(input_spec=spec), SpectrogramAugmentation(**kwargs)(input_spec=spec))


def test_crop_or_pad():
    aug = CropOrPadSpectrogramAugmentation(audio_length=8)
    spec = torch.arange(2 * 3 * 20, dtype=torch.float).view(2, 3, 20)
    cropped, lengths = aug(input_signal=spec, length=torch.tensor([20, 15]))
    assert cropped.shape == (2, 3, 8) and lengths.tolist() == [8, 8]
    for b in range(2):
        start = int(cropped[b, 0, 0] - spec[b, 0, 0])
        assert torch.equal(cropped[b], spec[b, :, start : start + 8])
    padded, _ = CropOrPadSpectrogramAugmentation(audio_length=25)(input_signal=spec, length=torch.tensor([20, 20]))
    assert padded.shape == (2, 3, 25)
    assert torch.all(padded[..., :2] == 0) and torch.all(padded[..., -3:] == 0)
    assert torch.equal(padded[..., 2:22], spec)
