import numpy as np
import pytest
import torch

from nemo.collections.tts.models.base import Vocoder
from nemo.collections.tts.models.griffin_lim import GriffinLimModel
from nemo.collections.tts.parts.mel import MelSpectrogram


def _harmonic(seconds: float = 0.6, sample_rate: int = 22050) -> torch.Tensor:
    t = torch.arange(int(seconds * sample_rate)) / sample_rate
    f0 = 140 + 40 * t  # a gliding voice-like tone
    phase = 2 * np.pi * torch.cumsum(f0, 0) / sample_rate
    return (0.3 * sum(torch.sin(k * phase) / k for k in range(1, 8)) * torch.hann_window(t.numel()))[None]


def test_reconstruction_matches_the_input_mel():
    audio = _harmonic()
    mel = MelSpectrogram()
    spec, _ = mel(audio, torch.tensor([audio.shape[1]]))
    vocoder = GriffinLimModel(cfg={"power": 1.0, "n_iters": 32})
    assert isinstance(vocoder, Vocoder)
    out = vocoder.convert_spectrogram_to_audio(spec=spec)
    assert out.shape == (1, (spec.shape[2] - 1) * 256)
    again, _ = mel(out, torch.tensor([out.shape[1]]))
    loud = spec > np.log(1e-2)
    error = (again[..., : spec.shape[2]] - spec).abs()[loud].mean()
    assert error < 0.35, float(error)
    torch.testing.assert_close(vocoder.convert_spectrogram_to_audio(spec=spec), out)  # seeded phase: deterministic
    linear = vocoder.convert_linear_spectrogram_to_audio(spec=mel.linear_spectrogram(audio))
    assert linear.shape == out.shape


def test_nnls_fits_the_mel_better_than_the_pseudo_inverse():
    audio = _harmonic(0.3)
    mel = MelSpectrogram()
    spec, _ = mel(audio, torch.tensor([audio.shape[1]]))
    target = torch.exp(spec)
    errors = []
    for iters in (0, 30):
        linear = GriffinLimModel(cfg={"nnls_iters": iters}).convert_mel_spectrogram_to_linear(spec)
        assert torch.all(linear >= 0)
        errors.append(float((torch.matmul(mel.mel_basis, linear) - target).abs().mean()))
    assert errors[1] < errors[0]


def test_save_restore_and_bad_input(tmp_path):
    vocoder = GriffinLimModel(cfg={"n_iters": 3, "hop_length": 128, "win_length": 512, "n_fft": 512})
    path = str(tmp_path / "gl.nemo")
    vocoder.save_to(path)
    restored = GriffinLimModel.restore_from(path, map_location="cpu")
    assert restored.n_iters == 3 and restored.mel.hop_length == 128
    spec = torch.full((1, 80, 12), -3.0)
    torch.testing.assert_close(
        restored.convert_spectrogram_to_audio(spec=spec), vocoder.convert_spectrogram_to_audio(spec=spec)
    )
    with pytest.raises(ValueError, match="expects log-mels"):
        vocoder.convert_spectrogram_to_audio(spec=torch.zeros(1, 64, 5))
    with pytest.raises(ValueError, match="momentum"):
        GriffinLimModel(cfg={"momentum": 1.5})
