"""Our front ends against NVIDIA NeMo's own output (nemo_toolkit 3.0.0) on fixed audio, config by config.

``goldens/nemo_feature_goldens.npz`` was written by ``tools/write_feature_goldens.py`` in a separate virtualenv with
NVIDIA's NeMo; it holds the int16 input, the configs, and NeMo's features and lengths. Lengths must match exactly and
features (padding included) to 1e-4.
"""

import json
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest
import torch

from nemo.collections.asr.modules import AudioToMelSpectrogramPreprocessor, AudioToMFCCPreprocessor
from nemo.collections.asr.parts.features import FilterbankFeatures

GOLDENS = Path(__file__).parent / "goldens" / "nemo_feature_goldens.npz"
ATOL = 1e-4
# Values far from 0 (dB features, log-probs near -30) carry float32 rounding that differs between CPUs' vector
# units (seen on an Intel host against goldens written on AMD): 1e-5 relative on top of the 1e-4 absolute.
RTOL = 1e-5


def _load() -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    with np.load(GOLDENS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads(str(arrays.pop("meta_json")))


ARRAYS, META = _load()
AUDIO = torch.from_numpy(ARRAYS["audio_int16"].astype(np.float32) / 32768.0)


def _build(module: str, kwargs: Dict[str, Any]) -> torch.nn.Module:
    if module == "mel":
        return AudioToMelSpectrogramPreprocessor(**kwargs)
    if module == "fb":
        return FilterbankFeatures(**kwargs)
    if module == "mfcc":
        return AudioToMFCCPreprocessor(**kwargs)
    raise ValueError(module)


def _ours(name: str) -> Tuple[torch.Tensor, torch.Tensor]:
    spec = META["configs"][name]
    lengths = torch.tensor(spec.get("lengths", META["lengths"]), dtype=torch.long)
    module = _build(spec["module"], spec["kwargs"])
    module.train(bool(spec.get("train", False)))
    if spec["module"] == "fb":
        return module(AUDIO.clone(), lengths)
    return module(input_signal=AUDIO.clone(), length=lengths)


def test_asr_names_are_the_shared_front_end():
    from nemo.collections.asr.parts.preprocessing import features
    from nemo.collections.common.parts import filterbank_features

    assert FilterbankFeatures is features.FilterbankFeatures is filterbank_features.FilterbankFeatures


def test_goldens_come_from_nemo_3():
    assert META["nemo_toolkit"] == "3.0.0"
    assert len(META["configs"]) >= 15


@pytest.mark.parametrize("name", sorted(META["configs"]))
def test_features_and_lengths_match_nemo(name):
    feats, lengths = _ours(name)
    expected = ARRAYS[f"{name}__features"]
    assert lengths.tolist() == ARRAYS[f"{name}__lengths"].tolist()
    assert tuple(feats.shape) == expected.shape
    np.testing.assert_allclose(feats.detach().numpy(), expected, rtol=RTOL, atol=ATOL)


def test_frame_count_is_len_over_hop_like_nemo():
    """The issue's example: 24,000 samples at hop 160 give 150 valid frames (NeMo 1.0 to 2.4: 151)."""
    lengths = torch.tensor([24000])
    assert int(AudioToMelSpectrogramPreprocessor().featurizer.get_seq_len(lengths)) == 150
    legacy = AudioToMelSpectrogramPreprocessor(legacy_v1_features=True)
    assert int(legacy.featurizer.get_seq_len(lengths)) == 151
