import random

import pytest
import torch

from nemo.collections.asr.parts.spectr_augment import SpecAugment, SpecCutout


def test_spec_augment_masks_full_bands_with_bounded_widths():
    x = torch.ones(8, 20, 50)
    out = SpecAugment(freq_masks=1, time_masks=1, freq_width=4, time_width=6, rng=0, mask_value=-1.0)(x)
    assert torch.all(x == 1)  # input untouched
    for b in range(8):
        masked = out[b] == -1.0
        full_rows = masked.all(dim=1)
        full_cols = masked.all(dim=0)
        assert int(full_rows.sum()) <= 4 and int(full_cols.sum()) <= 6
        # every masked cell lies in a masked frequency band or a masked time band
        assert torch.equal(masked, full_rows[:, None] | full_cols[None, :])


def test_spec_augment_fractional_time_width_and_determinism():
    x = torch.randn(4, 10, 100)
    a = SpecAugment(time_masks=3, time_width=0.05, rng=123)(x)
    b = SpecAugment(time_masks=3, time_width=0.05, rng=123)(x)
    assert torch.equal(a, b)
    for sample in a:
        assert int((sample == 0).all(dim=0).sum()) <= 3 * 5
    with pytest.raises(ValueError, match="fraction"):
        SpecAugment(time_width=1.5)


def test_spec_augment_accepts_python_random():
    out = SpecAugment(freq_masks=2, freq_width=3, rng=random.Random(4))(torch.ones(2, 8, 8))
    assert out.shape == (2, 8, 8)
    with pytest.raises(TypeError, match="rng"):
        SpecAugment(rng="seed")


def test_spec_cutout_rectangles_are_bounded():
    x = torch.ones(16, 30, 40)
    out = SpecCutout(rect_masks=1, rect_time=5, rect_freq=7, rng=1)(x)
    assert (out == 0).any()
    for sample in out:
        zero = (sample == 0).nonzero()
        if len(zero):
            assert zero[:, 0].max() - zero[:, 0].min() < 7
            assert zero[:, 1].max() - zero[:, 1].min() < 5
