"""Mel cepstral distortion on hand-made signals whose ordering and scale are known."""

import math

import numpy as np
import pytest
import torch

from nemo.collections.tts.metrics.mcd import (
    MCD_CONSTANT,
    cepstral_distortion_frames,
    mel_cepstral_distortion,
    mel_cepstrum,
)

SR = 22050


def _vowel(f0: float, formants, seconds: float = 0.6, seed: int = 0) -> np.ndarray:
    """A buzz at ``f0`` through two-pole resonances at ``formants``: a crude vowel with a clear envelope."""
    from scipy.signal import lfilter

    t = np.arange(int(seconds * SR)) / SR
    out = np.sign(np.sin(2 * np.pi * f0 * t))
    for freq in formants:
        r, theta = 0.97, 2 * np.pi * freq / SR
        out = lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], out)
    breath = 1e-3 * np.random.default_rng(seed).standard_normal(t.size)  # keeps every band far above the floor
    return (0.3 * out / np.abs(out).max() + breath).astype(np.float32)


def test_constant_is_the_standard_one():
    assert MCD_CONSTANT == pytest.approx(10 * math.sqrt(2) / math.log(10))
    assert MCD_CONSTANT == pytest.approx(6.1418, abs=1e-4)


def test_identical_audio_and_gain_change_give_zero():
    a = _vowel(120, (700, 1200))
    assert mel_cepstral_distortion(a, a.copy()) == 0.0
    assert mel_cepstral_distortion(torch.from_numpy(a)[None], a) == 0.0  # tensors and a [1, T] batch axis
    assert mel_cepstral_distortion(a, 0.25 * a) == pytest.approx(0.0, abs=1e-6)  # loudness lives in c0 only


def test_distortion_grows_with_the_difference():
    ref = _vowel(120, (700, 1200))
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(ref.size).astype(np.float32)
    slightly = mel_cepstral_distortion(ref, ref + 0.003 * noise)
    strongly = mel_cepstral_distortion(ref, ref + 0.03 * noise)
    other_vowel = mel_cepstral_distortion(ref, _vowel(120, (300, 2300)))
    assert 0.0 < slightly < strongly
    assert mel_cepstral_distortion(ref, _vowel(120, (720, 1230))) < other_vowel  # near formants beat far ones


def test_symmetric_and_dtw_absorbs_a_time_shift():
    a, b = _vowel(110, (650, 1100), seed=2), _vowel(140, (400, 2000), seed=3)
    assert mel_cepstral_distortion(a, b) == pytest.approx(mel_cepstral_distortion(b, a), rel=1e-9)

    speech = np.concatenate([_vowel(120, (700, 1200), 0.3), _vowel(120, (300, 2300), 0.3)])
    slower = np.concatenate([_vowel(120, (700, 1200), 0.45), _vowel(120, (300, 2300), 0.45)])
    assert mel_cepstral_distortion(speech, slower) < mel_cepstral_distortion(speech, slower, align="truncate")


def test_scaling_matches_the_log_spectral_standard_deviation():
    """With every coefficient kept, MCD per frame = 10/ln(10) * std over mel bands of the ln-amplitude difference."""
    import librosa

    a, b = _vowel(120, (700, 1200)), _vowel(150, (500, 1800), seed=4)
    n_mels = 40
    ca, cb = (mel_cepstrum(x, SR, n_mels=n_mels, n_ceps=n_mels) for x in (a, b))
    per_frame, path = cepstral_distortion_frames(ca, cb, align="truncate")

    basis = librosa.filters.mel(sr=SR, n_fft=1024, n_mels=n_mels)
    log_amp = [0.5 * np.log(np.maximum(basis @ np.abs(librosa.stft(x.astype(np.float64), n_fft=1024, hop_length=256)) ** 2, 1e-10)) for x in (a, b)]  # fmt: skip
    expected = 10 / math.log(10) * np.std(log_amp[0] - log_amp[1], axis=0)
    np.testing.assert_allclose(per_frame, expected[: len(per_frame)], rtol=1e-6)
    assert path.shape == (len(per_frame), 2)


def test_bad_inputs_are_named():
    a = _vowel(120, (700, 1200))
    with pytest.raises(ValueError, match=r"synthesized must be a 1-D waveform.*\(2, 3\)"):
        mel_cepstral_distortion(a, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reference is empty"):
        mel_cepstral_distortion(np.zeros(0), a)
    with pytest.raises(ValueError, match="align must be"):
        mel_cepstral_distortion(a, a, align="nearest")
    with pytest.raises(ValueError, match="n_ceps must be between 1 and n_mels"):
        mel_cepstrum(a, n_ceps=100)
