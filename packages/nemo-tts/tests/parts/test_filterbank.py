"""NeMo's ``FilterbankFeatures`` as a TTS front end: NeMo's arguments, saved buffers and output, padding included."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nemo.collections.tts.parts.filterbank import NEMO_FILTERBANK_PATH, FilterbankFeatures
from nemo.collections.tts.parts.mel import MelSpectrogram
from nemo.core.classes.construction import build_from_config

GOLDENS = Path(__file__).parent / "goldens" / "nemo_tts_mel_goldens.npz"  # tools/write_feature_goldens.py --tts-out
HIFIGAN = {  # NeMo's hifigan.yaml preprocessor
    "nfilt": 80, "lowfreq": 0, "highfreq": 8000, "n_fft": 1024, "n_window_size": 1024, "n_window_stride": 256,
    "pad_to": 0, "pad_value": -11.52, "sample_rate": 22050, "window": "hann", "normalize": None, "preemph": None,
    "dither": 0.0, "frame_splicing": 1, "log": True, "log_zero_guard_type": "clamp", "log_zero_guard_value": 1e-05,
    "mag_power": 1.0, "use_grads": False, "exact_pad": True,
}  # fmt: skip


def _goldens():
    with np.load(GOLDENS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays.pop("meta_json")))
    return arrays, meta, {name: spec for name, spec in meta["configs"].items() if spec["module"] == "fb"}


ARRAYS, META, FB_CONFIGS = _goldens()


@pytest.mark.parametrize("name", sorted(FB_CONFIGS))
def test_output_and_lengths_are_nemo_3s_padding_included(name):
    """NeMo 3.0's FilterbankFeatures with HiFi-GAN's input and loss settings: every frame, and NeMo's lengths."""
    module = FilterbankFeatures(**FB_CONFIGS[name]["kwargs"])
    audio = torch.from_numpy(ARRAYS["audio_int16"].astype(np.float32) / 32768.0)
    with torch.no_grad():
        mels, lengths = module(audio, torch.tensor(META["lengths"]))
    assert lengths.tolist() == ARRAYS[f"{name}__lengths"].tolist()
    np.testing.assert_allclose(mels.numpy(), ARRAYS[f"{name}__features"], rtol=0, atol=1e-4)


def test_buffers_are_nemos_and_saved_with_the_weights():
    module = FilterbankFeatures(**HIFIGAN)
    state = module.state_dict()
    assert set(state) == {"window", "fb"}
    assert state["fb"].shape == (1, 80, 513) and torch.equal(module.mel_basis, state["fb"][0])
    assert torch.equal(state["window"], torch.hann_window(1024, periodic=False))
    assert isinstance(module, MelSpectrogram) and module.n_mels == 80 and module.fmax == 8000


def test_nemos_class_path_builds_it_and_its_other_settings_are_refused():
    built = build_from_config({"_target_": NEMO_FILTERBANK_PATH, **HIFIGAN}, MelSpectrogram, "preprocessor")
    assert type(built) is FilterbankFeatures
    assert (
        build_from_config({"_target_": NEMO_FILTERBANK_PATH, **HIFIGAN}, MelSpectrogram, "p", highfreq=None).fmax
        == 11025
    )
    for key, value in [("normalize", "per_feature"), ("preemph", 0.97), ("frame_splicing", 2), ("log", False),
                       ("window", "hamming"), ("nb_augmentation_prob", 0.5)]:  # fmt: skip
        with pytest.raises(ValueError, match=key):
            FilterbankFeatures(**{**HIFIGAN, key: value})
    with pytest.raises(ValueError, match="normalize"):
        FilterbankFeatures()  # NeMo's defaults are ASR's (per-feature normalization, pre-emphasis)


def test_pad_to_pads_frames_with_pad_value_and_dither_is_training_only():
    module = FilterbankFeatures(**{**HIFIGAN, "pad_to": 16, "dither": 1e-3}).eval()
    audio = torch.zeros(1, 256 * 20)
    mels, lengths = module(audio, torch.tensor([256 * 20]))
    assert mels.shape[-1] == 32 and lengths.tolist() == [19]  # exact_pad: len // hop - 1, as NeMo 3
    assert torch.all(mels[..., 19:] == -11.52)
    assert torch.all(mels[..., :19] == np.log(1e-5).astype(np.float32))  # eval: no dither on silence
    module.train()
    assert not torch.all(module(audio, torch.tensor([256 * 20]))[0][..., :19] == mels[..., :19])
