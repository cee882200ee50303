import numpy as np

from nemo.collections.tts.parts.pitch import estimate_pitch


def test_tone_pitch_on_mel_frames_and_silence_or_noise_unvoiced():
    sr = 22050
    t = np.arange(sr) / sr
    rng = np.random.default_rng(0)
    audio = np.concatenate([np.zeros(4000), 0.5 * np.sin(2 * np.pi * 180 * t), 0.05 * rng.standard_normal(6000)])
    pitch = estimate_pitch(audio.astype(np.float32), sr, hop_length=256)
    assert pitch.shape == (audio.size // 256 + 1,) and pitch.dtype == np.float32
    tone = pitch[4000 // 256 + 3 : (4000 + sr) // 256 - 3]
    np.testing.assert_allclose(tone, 180.0, rtol=0.02)
    assert np.all(pitch[: 4000 // 256 - 3] == 0)
    assert np.mean(pitch[(4000 + sr) // 256 + 4 :] == 0) > 0.9


def test_all_zero_audio_is_unvoiced():
    assert not np.any(estimate_pitch(np.zeros(3000, dtype=np.float32), 22050))
