import numpy as np
import pytest
import soundfile

from nemo.collections.asr.parts.preprocessing.features import WaveformFeaturizer
from nemo.collections.asr.parts.preprocessing.segment import AudioReadError, AudioSegment


def _tone(sr, seconds, freq=440.0, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_reads_float_and_int_values_alike(tmp_path):
    path = str(tmp_path / "a.wav")
    soundfile.write(path, _tone(16000, 0.25), 16000, subtype="PCM_16")
    floats = AudioSegment.from_file(path)
    ints = AudioSegment.from_file(path, int_values=True)
    assert floats.sample_rate == 16000 and floats.num_samples == 4000
    assert floats.samples.dtype == np.float32 and ints.samples.dtype == np.float32
    np.testing.assert_allclose(floats.samples, ints.samples, atol=1e-6)
    np.testing.assert_allclose(floats.samples, _tone(16000, 0.25), atol=1e-4)


def test_resamples_to_the_target_rate(tmp_path):
    path = str(tmp_path / "a.wav")
    soundfile.write(path, _tone(8000, 0.5, freq=300.0), 8000)
    seg = AudioSegment.from_file(path, target_sr=16000)
    assert seg.sample_rate == 16000 and abs(seg.num_samples - 8000) <= 2
    spectrum = np.abs(np.fft.rfft(seg.samples))
    assert abs(np.argmax(spectrum) * 16000 / seg.num_samples - 300.0) < 5


def test_offset_and_duration_select_a_window(tmp_path):
    path = str(tmp_path / "ramp.wav")
    ramp = np.linspace(-0.5, 0.5, 16000, dtype=np.float32)
    soundfile.write(path, ramp, 16000, subtype="FLOAT")
    seg = AudioSegment.from_file(path, offset=0.25, duration=0.5)
    np.testing.assert_array_equal(seg.samples, ramp[4000:12000])
    assert AudioSegment.from_file(path, offset=0.75).num_samples == 4000


def test_stereo_is_mixed_down_and_trim_removes_silence(tmp_path):
    path = str(tmp_path / "st.wav")
    tone = _tone(16000, 0.5)
    padded = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(8000, np.float32)])
    soundfile.write(path, np.stack([padded, np.zeros_like(padded)], axis=1), 16000, subtype="FLOAT")
    seg = AudioSegment.from_file(path)
    np.testing.assert_allclose(seg.samples, padded / 2, atol=1e-7)
    trimmed = AudioSegment.from_file(path, trim=True)
    assert 8000 <= trimmed.num_samples <= 12000  # frame-granular (hop 512) around the 8000-sample tone


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(AudioReadError, match="does not exist"):
        AudioSegment.from_file(str(tmp_path / "nope.wav"))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF----WAVEjunk")
    with pytest.raises(AudioReadError, match="cannot read"):
        AudioSegment.from_file(str(bad))


def test_featurizer_applies_the_augmentor(tmp_path):
    path = str(tmp_path / "a.wav")
    soundfile.write(path, _tone(16000, 0.1), 16000, subtype="FLOAT")

    class Gain:
        def perturb(self, segment):
            segment.samples = segment.samples * 2

    out = WaveformFeaturizer(16000, augmentor=Gain()).process(path)
    np.testing.assert_allclose(out.numpy(), 2 * _tone(16000, 0.1), atol=1e-6)
