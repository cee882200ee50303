"""Our ConformerEncoder against NVIDIA NeMo's (nemo_toolkit 3.0.0): NeMo's state dicts load with strict=True and give
the same outputs.

``goldens/nemo_conformer_goldens.npz`` was written by ``tools/write_conformer_goldens.py`` in a separate virtualenv with
NVIDIA's NeMo: for four small configs (rel_pos and abs_pos; striding, dw_striding x8 and stacking_norm subsampling;
batch, layer and group norm; tied biases, a limited attention context, causal convolutions, no biases, an output
projection) NeMo's randomised state dict, a padded input batch and NeMo's eval-mode outputs and lengths. Lengths must
match exactly and outputs (padded frames included) to 1e-4, with either attention implementation.
"""

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest
import torch

from nemo.collections.asr.modules import ConformerEncoder

GOLDENS = Path(__file__).parent / "goldens" / "nemo_conformer_goldens.npz"
ATOL = 1e-4


def _load():
    with np.load(GOLDENS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads(bytes(arrays.pop("meta_json")).decode("utf-8"))


ARRAYS, META = _load()


def _state_dict(name: str) -> Dict[str, torch.Tensor]:
    """NeMo's state dict, rebuilt from the flat float array and the layout (key order is NeMo's)."""
    flat, offset, state = torch.from_numpy(ARRAYS[f"{name}__state"]), 0, {}
    for key, shape, dtype, value in META["state_layout"][name]:
        if value is None:
            count = int(np.prod(shape)) if shape else 1
            state[key] = flat[offset : offset + count].reshape(shape).clone()
            offset += count
        else:
            state[key] = torch.tensor(value, dtype=getattr(torch, dtype))
    assert offset == flat.numel()
    return state


def _config(name: str) -> Dict[str, Any]:
    return dict(META["configs"][name])


def test_goldens_come_from_nemo_3():
    assert META["nemo_toolkit"] == "3.0.0"
    assert len(META["configs"]) == 4


@pytest.mark.parametrize("name", sorted(META["configs"]))
def test_state_dict_keys_and_shapes_are_nemos(name):
    ours = ConformerEncoder(**_config(name)).state_dict()
    theirs = _state_dict(name)
    assert list(ours) == list(theirs)  # same names, same order
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


@pytest.mark.parametrize("sdpa", [None, False, True], ids=["auto", "explicit", "sdpa"])
@pytest.mark.parametrize("name", sorted(META["configs"]))
def test_outputs_match_nemo(name, sdpa):
    encoder = ConformerEncoder(**_config(name), use_pytorch_sdpa=sdpa)
    encoder.load_state_dict(_state_dict(name), strict=True)
    encoder.eval()
    with torch.no_grad():
        outputs, lengths = encoder(
            audio_signal=torch.from_numpy(ARRAYS[f"{name}__input"]),
            length=torch.from_numpy(ARRAYS[f"{name}__length"]),
        )
    assert lengths.tolist() == ARRAYS[f"{name}__encoded_lengths"].tolist()
    expected = torch.from_numpy(ARRAYS[f"{name}__outputs"])
    assert outputs.shape == expected.shape
    torch.testing.assert_close(outputs, expected, rtol=0.0, atol=ATOL)
