import json
import math
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from nemo.collections.tts.parts.mel import MelSpectrogram


def _reference(audio: np.ndarray) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=audio, sr=22050, n_fft=1024, win_length=1024, hop_length=256, n_mels=80, fmin=0, fmax=8000, power=1.0,
        center=True, pad_mode="constant", window=np.hanning(1024), norm="slaney", htk=False,
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


GOLDENS = Path(__file__).parent / "goldens" / "nemo_tts_mel_goldens.npz"  # tools/write_feature_goldens.py --tts-out


def _nemo_to_ours(kwargs):
    """MelSpectrogram arguments for NeMo's FilterbankFeatures/AudioToMelSpectrogramPreprocessor TTS settings."""
    assert kwargs["normalize"] is None and kwargs["preemph"] is None and kwargs["dither"] == 0
    assert kwargs["window"] == "hann" and kwargs["frame_splicing"] == 1 and kwargs["log"]
    return dict(
        sample_rate=kwargs["sample_rate"], n_fft=kwargs["n_fft"], win_length=kwargs["n_window_size"],
        hop_length=kwargs["n_window_stride"], n_mels=kwargs.get("features", kwargs.get("nfilt")),
        fmin=kwargs["lowfreq"], fmax=kwargs["highfreq"], mag_power=kwargs["mag_power"],
        log_zero_guard=kwargs["log_zero_guard_value"], log_zero_guard_type=kwargs["log_zero_guard_type"],
        pad_value=kwargs["pad_value"], exact_pad=kwargs.get("exact_pad", False),
        use_grads=kwargs.get("use_grads", False),
    )  # fmt: skip


def _goldens():
    with np.load(GOLDENS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads(str(arrays.pop("meta_json")))


GOLDEN_ARRAYS, GOLDEN_META = _goldens()


@pytest.mark.parametrize("name", sorted(GOLDEN_META["configs"]))
def test_matches_nemo_filterbank_features_with_its_tts_settings(name):
    """NeMo 3.0's FastPitch / HiFi-GAN (input and loss) mels: equal on NeMo's valid frames, which are one fewer."""
    spec = GOLDEN_META["configs"][name]
    module = MelSpectrogram(**_nemo_to_ours(spec["kwargs"]))
    audio = torch.from_numpy(GOLDEN_ARRAYS["audio_int16"].astype(np.float32) / 32768.0)
    lengths = torch.tensor(GOLDEN_META["lengths"])
    ours, ours_len = module(audio, lengths)
    expected, nemo_len = GOLDEN_ARRAYS[f"{name}__features"], GOLDEN_ARRAYS[f"{name}__lengths"]
    assert ours.shape == expected.shape
    assert ours_len.tolist() == (nemo_len + 1).tolist()  # NeMo blanks the last STFT frame; we keep it
    for row, valid in enumerate(nemo_len.tolist()):
        np.testing.assert_allclose(ours[row, :, :valid].numpy(), expected[row, :, :valid], rtol=0, atol=1e-4)
        assert torch.all(ours[row, :, int(ours_len[row]) :] == spec["kwargs"]["pad_value"])


def test_exact_pad_frames_are_len_over_hop_and_odd_hops_are_refused():
    module = MelSpectrogram(exact_pad=True)
    log_mel, mel_len = module(torch.randn(2, 5120), torch.tensor([5120, 3000]))
    assert log_mel.shape[-1] == 5120 // 256 and mel_len.tolist() == [20, 3000 // 256]
    with pytest.raises(ValueError, match="exact_pad"):
        MelSpectrogram(exact_pad=True, hop_length=255)
