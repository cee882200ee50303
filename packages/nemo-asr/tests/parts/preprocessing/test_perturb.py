import numpy as np
import pytest
from omegaconf import OmegaConf

from nemo.collections.asr.parts.preprocessing.perturb import (
    AudioAugmentor,
    GainPerturbation,
    ShiftPerturbation,
    SpeedPerturbation,
    WhiteNoisePerturbation,
    process_augmentations,
)
from nemo.collections.asr.parts.preprocessing.segment import AudioSegment


def _segment():
    return AudioSegment(np.linspace(-0.5, 0.5, 16000, dtype=np.float32), 16000)


def test_gain_scales_by_the_drawn_decibels():
    seg = _segment()
    GainPerturbation(min_gain_dbfs=6.0, max_gain_dbfs=6.0).perturb(seg)
    np.testing.assert_allclose(seg.samples, _segment().samples * 10 ** (6 / 20), rtol=1e-6)


def test_speed_changes_the_length():
    seg = _segment()
    SpeedPerturbation(min_speed_rate=1.25, max_speed_rate=1.25, num_rates=1).perturb(seg)
    assert abs(seg.num_samples - 12800) <= 2 and seg.sample_rate == 16000
    with pytest.raises(ValueError, match="min_speed_rate"):
        SpeedPerturbation(min_speed_rate=1.2, max_speed_rate=1.1)


def test_shift_moves_samples_and_zero_fills():
    seg = _segment()
    ShiftPerturbation(min_shift_ms=10.0, max_shift_ms=10.0).perturb(seg)
    np.testing.assert_array_equal(seg.samples[:-160], _segment().samples[160:])
    assert np.all(seg.samples[-160:] == 0)
    seg = _segment()
    ShiftPerturbation(min_shift_ms=-10.0, max_shift_ms=-10.0).perturb(seg)
    np.testing.assert_array_equal(seg.samples[160:], _segment().samples[:-160])


def test_white_noise_level_and_seeded_reproducibility():
    a, b = _segment(), _segment()
    WhiteNoisePerturbation(min_level=-40.0, max_level=-40.0, rng=1).perturb(a)
    WhiteNoisePerturbation(min_level=-40.0, max_level=-40.0, rng=1).perturb(b)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert abs(np.std(a.samples - _segment().samples) - 0.01) < 0.001


def test_process_augmentations_from_config_and_probabilities():
    cfg = OmegaConf.create({"gain": {"prob": 1.0, "min_gain_dbfs": -6, "max_gain_dbfs": -6}, "shift": {"prob": 0.0}})
    augmentor = process_augmentations(cfg)
    seg = augmentor.perturb(_segment())
    np.testing.assert_allclose(seg.samples, _segment().samples * 10 ** (-6 / 20), rtol=1e-6)
    assert process_augmentations(None) is None and process_augmentations(augmentor) is augmentor
    assert isinstance(augmentor, AudioAugmentor)


@pytest.mark.parametrize(
    "cfg,message",
    [
        ({"echo": {"prob": 0.5}}, "augmentor.echo: unknown perturbation"),
        ({"gain": {"min_gain_dbfs": 1}}, r"augmentor.gain.prob must be a probability"),
        ({"gain": {"prob": 2}}, r"augmentor.gain.prob must be a probability"),
        ({"gain": {"prob": 0.5, "loudness": 3}}, "augmentor.gain: .*loudness"),
        (["gain"], "must be a mapping"),
    ],
)
def test_bad_augmentor_configs(cfg, message):
    with pytest.raises(ValueError, match=message):
        process_augmentations(cfg)
