"""Tacotron 2 and HiFi-GAN ``.nemo`` files restored in a fresh process synthesize exactly what the originals did.

One subprocess restores both (an interpreter start is most of the cost). The spectrogram is compared under the same
torch seed in both processes: Tacotron 2's prenet dropout is on at inference and draws from torch's RNG.
"""

import subprocess
import sys

import numpy as np
import pytest
import torch

from nemo.collections.tts.models import HifiGanModel, Tacotron2Model

RESTORE_AND_SYNTHESIZE = """
import sys, numpy, torch
torch.set_num_threads(1)
from nemo.collections.tts.models import HifiGanModel, Tacotron2Model
tacotron2 = Tacotron2Model.restore_from(sys.argv[1], map_location="cpu").eval()
vocoder = HifiGanModel.restore_from(sys.argv[2], map_location="cpu").eval()
torch.manual_seed(1234)
spec = tacotron2.generate_spectrogram(tokens=tacotron2.parse(sys.argv[3]))
with torch.no_grad():
    audio = vocoder.convert_spectrogram_to_audio(spec=spec)
numpy.savez(sys.argv[4], spec=spec.numpy(), audio=audio.numpy())
"""


@pytest.mark.slow(reason="a fresh interpreter imports torch and Lightning")
def test_restored_models_in_a_fresh_process_give_the_same_spectrogram_and_audio(
    tacotron2_config, hifigan_config, tmp_path
):
    torch.manual_seed(0)
    tacotron2 = Tacotron2Model(cfg=tacotron2_config().model).eval()
    with torch.no_grad():  # an untrained gate may stop at once; decode max_decoder_steps frames instead
        tacotron2.decoder.gate_layer.linear_layer.bias.fill_(-50.0)
    vocoder = HifiGanModel(cfg=hifigan_config().model).eval()
    torch.manual_seed(1234)
    spec = tacotron2.generate_spectrogram(tokens=tacotron2.parse("see ten"))
    with torch.no_grad():
        audio = vocoder.convert_spectrogram_to_audio(spec=spec)
    torch.manual_seed(1)
    assert spec.shape == (1, 80, 60)
    assert not torch.equal(tacotron2.generate_spectrogram(tokens=tacotron2.parse("see ten")), spec)  # seed matters

    paths = [tmp_path / "tacotron2.nemo", tmp_path / "hifigan.nemo"]
    tacotron2.save_to(str(paths[0]))
    vocoder.save_to(str(paths[1]))
    out = tmp_path / "out.npz"
    command = [sys.executable, "-c", RESTORE_AND_SYNTHESIZE, *map(str, paths), "see ten", str(out)]
    subprocess.run(command, check=True, timeout=300)
    restored = np.load(out)
    assert np.array_equal(restored["spec"], spec.numpy())
    assert np.array_equal(restored["audio"], audio.numpy())
