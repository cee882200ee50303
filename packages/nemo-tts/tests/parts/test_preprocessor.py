import pytest
import torch

from nemo.collections.tts.parts.preprocessor import NEMO_PREPROCESSOR_PATHS, AudioToMelSpectrogramPreprocessor

_TTS = {
    "normalize": None,
    "preemph": None,
    "dither": 0.0,
    "pad_to": 1,
    "n_fft": 1024,
    "highfreq": 8000,
    "mag_power": 1.0,
}


def test_window_in_samples_or_seconds_and_nemos_state_dict_names():
    samples = AudioToMelSpectrogramPreprocessor(sample_rate=22050, n_window_size=1024, window_size=False,
                                                n_window_stride=256, window_stride=False, features=80, **_TTS)  # fmt: skip
    seconds = AudioToMelSpectrogramPreprocessor(sample_rate=22050, window_size=1024 / 22050,
                                                window_stride=256 / 22050 + 1e-9, features=80, **_TTS)  # fmt: skip
    assert (samples.featurizer.win_length, samples.featurizer.hop_length) == (1024, 256)
    assert (seconds.featurizer.win_length, seconds.featurizer.hop_length) == (1024, 256)
    assert set(samples.state_dict()) == {"featurizer.window", "featurizer.fb"}
    audio = torch.randn(2, 5000) * 0.1
    lengths = torch.tensor([5000, 3000])
    mel, mel_len = samples(input_signal=audio, length=lengths)
    expected, expected_len = samples.featurizer(audio, lengths)
    assert mel.shape[1] == 80 and torch.equal(mel, expected) and torch.equal(mel_len, expected_len)


def test_both_window_forms_are_refused_and_nemos_path_maps_here():
    with pytest.raises(ValueError, match="give `window_stride` or `n_window_stride`, not both"):
        AudioToMelSpectrogramPreprocessor(n_window_size=320, window_size=None, window_stride=0.01, n_window_stride=160)
    assert set(NEMO_PREPROCESSOR_PATHS.values()) == {
        f"{AudioToMelSpectrogramPreprocessor.__module__}.AudioToMelSpectrogramPreprocessor"
    }
    assert "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor" in NEMO_PREPROCESSOR_PATHS
