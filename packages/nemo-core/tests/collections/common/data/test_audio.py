"""The one audio loader: decode, downmix, soxr resampling, 60 dB trim, and errors naming the file and the reason."""

import subprocess
import sys

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile", reason="the audio loader decodes with soundfile (nemo-core[audio])")

from nemo.collections.common.data.audio import (  # noqa: E402
    DEFAULT_TRIM_TOP_DB,
    AudioReadError,
    audio_info,
    load_audio,
    read_audio,
    resample,
    to_mono_float32,
    trim_silence,
)


def _tone(rate, seconds, freq=440.0, amp=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_reads_float_and_int_pcm_alike_and_mixes_down(tmp_path):
    path = str(tmp_path / "a.wav")
    tone = _tone(16000, 0.25)
    soundfile.write(path, np.stack([tone, np.zeros_like(tone)], axis=1), 16000, subtype="PCM_16")
    floats, rate = read_audio(path)
    ints, _ = read_audio(path, int_values=True)
    assert rate == 16000 and floats.shape == (4000,) and floats.dtype == ints.dtype == np.float32
    np.testing.assert_allclose(floats, ints, atol=1e-6)
    np.testing.assert_allclose(floats, tone / 2, atol=1e-4)
    info = audio_info(path)
    assert (info.sample_rate, info.frames, info.channels, info.duration) == (16000, 4000, 2, 0.25)


def test_offset_and_duration_select_a_window(tmp_path):
    path = str(tmp_path / "ramp.wav")
    ramp = np.linspace(-0.5, 0.5, 16000, dtype=np.float32)
    soundfile.write(path, ramp, 16000, subtype="FLOAT")
    np.testing.assert_array_equal(read_audio(path, offset=0.25, duration=0.5)[0], ramp[4000:12000])
    assert read_audio(path, offset=0.75)[0].shape == (4000,)
    np.testing.assert_array_equal(load_audio(path, 16000, offset=0.5, duration=0.25), ramp[8000:12000])


def test_resampling_is_soxr_hq_which_is_librosas_default():
    librosa = pytest.importorskip("librosa")
    noise = (0.1 * np.random.default_rng(0).standard_normal(22050)).astype(np.float32)
    ours = resample(noise, 22050, 16000)
    np.testing.assert_array_equal(ours, librosa.resample(noise, orig_sr=22050, target_sr=16000))
    assert resample(noise, 16000, 16000) is not None and resample(noise, 16000, 16000).shape == noise.shape
    assert resample(np.zeros(0, np.float32), 8000, 16000).size == 0
    assert abs(resample(noise, 22050 * 1.1, 22050).size - 22050 / 1.1) <= 1  # fractional rates (speed, warps)


def test_load_audio_resamples_to_the_rate_asked(tmp_path):
    path = str(tmp_path / "a.wav")
    soundfile.write(path, _tone(8000, 0.5, freq=300.0), 8000)
    samples = load_audio(path, 16000)
    assert samples.dtype == np.float32 and abs(samples.size - 8000) <= 2
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * 16000 / samples.size - 300.0) < 5


def test_trim_has_one_documented_default_level(tmp_path):
    assert DEFAULT_TRIM_TOP_DB == 60.0
    path = str(tmp_path / "padded.wav")
    tone = _tone(16000, 0.5)
    soundfile.write(path, np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(8000, np.float32)]), 16000,
                    subtype="FLOAT")  # fmt: skip
    untrimmed = load_audio(path, 16000)
    trimmed = load_audio(path, 16000, trim=True)
    assert untrimmed.size == 24000 and 8000 <= trimmed.size <= 8000 + 2 * 2048  # whole 2048-sample frames
    # -50 dB noise survives the 60 dB default but not a 40 dB trim
    quiet = np.concatenate([np.full(8000, 10 ** (-50 / 20) * 0.5, np.float32), tone])
    assert trim_silence(quiet).size > trim_silence(quiet, 40.0).size
    np.testing.assert_array_equal(trim_silence(quiet.astype(np.float64)), trim_silence(quiet))
    assert trim_silence(quiet.astype(np.float64)).dtype == np.float64  # metrics keep their precision
    assert trim_silence(np.zeros(0, np.float32)).size == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trim_keeps_what_librosa_keeps_without_importing_it(dtype):
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(0)
    for case in range(40):
        size = int(rng.integers(1, 40000))
        samples = (rng.standard_normal(size) * 10 ** rng.uniform(-4, 0)).astype(dtype)
        start, end = sorted(rng.integers(0, size, 2))
        samples[:start] *= 10 ** rng.uniform(-5, -1)  # quieter head and tail, sometimes below the level
        samples[end:] *= 10 ** rng.uniform(-5, -1)
        if case == 0:
            samples[:] = 0  # all silent: librosa keeps nothing
        top_db = float(rng.choice([20.0, 40.0, 60.0, 80.0]))
        expected, _ = librosa.effects.trim(samples, top_db=top_db, frame_length=2048, hop_length=512)
        np.testing.assert_array_equal(trim_silence(samples, top_db), expected)


def test_importing_and_trimming_loads_no_librosa():
    code = (
        "import sys, numpy as np; from nemo.collections.common.data.audio import trim_silence; "
        "trim_silence(np.ones(4000, np.float32)); print('librosa' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_unreadable_audio_names_the_file_and_the_reason(tmp_path):
    missing = str(tmp_path / "nope.wav")
    with pytest.raises(AudioReadError, match=r"cannot read audio file '.*nope.wav': it does not exist") as caught:
        load_audio(missing, 16000)
    assert isinstance(caught.value, FileNotFoundError)  # existing `except FileNotFoundError` keeps working
    assert (caught.value.path, caught.value.kind) == (missing, "missing")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF----WAVEjunk")
    for reader in (read_audio, audio_info):
        with pytest.raises(AudioReadError, match=r"cannot read audio file '.*bad.wav': not a readable audio file \(.+\)"):
            reader(str(bad))
    with pytest.raises(AudioReadError, match="it is a directory, expected an audio file"):
        audio_info(str(tmp_path))
    error = AudioReadError("plain message")  # built from a message alone (e.g. re-raised by a DataLoader worker)
    assert str(error) == "plain message" and error.path is None
    try:
        audio_info(missing)
    except AudioReadError as err:
        wrapped = err.with_context("m.json:3")
    assert str(wrapped).startswith("m.json:3: cannot read audio file") and wrapped.path == missing
    assert isinstance(wrapped, FileNotFoundError)


def test_to_mono_float32_scales_integers_and_refuses_other_shapes():
    np.testing.assert_array_equal(to_mono_float32(np.array([-32768, 16384], np.int16)), [-1.0, 0.5])
    np.testing.assert_array_equal(to_mono_float32(np.array([[1.0, 0.0], [0.5, 0.5]])), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"expected audio samples of shape \(T,\) or \(T, channels\)"):
        to_mono_float32(np.zeros((2, 2, 2)))
