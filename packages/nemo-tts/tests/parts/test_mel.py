import math

import librosa
import numpy as np
import pytest
import torch

from nemo.collections.tts.parts.mel import MelSpectrogram


def _reference(audio: np.ndarray) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=audio, sr=22050, n_fft=1024, win_length=1024, hop_length=256, n_mels=80, fmin=0, fmax=8000, power=1.0,
        center=True, pad_mode="constant", window="hann", norm="slaney", htk=False,
    )  # fmt: skip
    return np.log(np.maximum(mel, 1e-5))


def test_matches_librosa_melspectrogram_with_log():
    rng = np.random.default_rng(0)
    audio = (0.3 * rng.standard_normal(22050) * np.hanning(22050)).astype(np.float32)
    module = MelSpectrogram()
    log_mel, mel_len = module(torch.from_numpy(audio)[None], torch.tensor([audio.size]))
    expected = _reference(audio)
    assert log_mel.shape == (1, 80, expected.shape[1])
    assert int(mel_len[0]) == audio.size // 256 + 1 == expected.shape[1]
    np.testing.assert_allclose(log_mel[0].numpy(), expected, atol=2e-3)


def test_batch_padding_does_not_change_a_clips_frames():
    rng = np.random.default_rng(1)
    short, long = rng.standard_normal(5000).astype(np.float32), rng.standard_normal(9000).astype(np.float32)
    batch = torch.zeros(2, 9000)
    batch[0, :5000], batch[1] = torch.from_numpy(short), torch.from_numpy(long)
    batch[0, 5000:] = 0.7  # garbage beyond the clip's length must be ignored
    module = MelSpectrogram()
    log_mel, mel_len = module(batch, torch.tensor([5000, 9000]))
    alone, _ = module(torch.from_numpy(short)[None], torch.tensor([5000]))
    assert mel_len.tolist() == [5000 // 256 + 1, 9000 // 256 + 1]
    torch.testing.assert_close(log_mel[0, :, : mel_len[0]], alone[0], atol=1e-4, rtol=1e-4)
    assert torch.all(log_mel[0, :, mel_len[0] :] == module.pad_value)
    assert module.pad_value == pytest.approx(math.log(1e-5))


def test_mel_basis_is_a_non_persistent_buffer_and_fmax_none_is_nyquist():
    module = MelSpectrogram(fmax=None)
    assert module.mel_basis.shape == (80, 513)
    assert "mel_basis" not in module.state_dict()
    expected = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=11025)
    np.testing.assert_allclose(module.mel_basis.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{"hop_length": 0}, {"win_length": 2048}, {"fmin": 9000}])
def test_invalid_settings_are_rejected(kwargs):
    with pytest.raises(ValueError):
        MelSpectrogram(**kwargs)
