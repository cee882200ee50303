import numpy as np
import torch

from nemo.collections.tts.parts.plotting import plot_alignment_to_numpy, plot_spectrogram_to_numpy


def test_images_are_hwc_uint8():
    spec = plot_spectrogram_to_numpy(torch.randn(80, 50))
    alignment = plot_alignment_to_numpy(np.eye(10, 30), title="alignment")
    for image in (spec, alignment):
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.std() > 0  # something was drawn
    assert spec.shape[1] > spec.shape[0]  # the spectrogram figure is wide
