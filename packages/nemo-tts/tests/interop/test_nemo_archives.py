"""The legacy-archive suite: a HiFi-GAN ``.nemo`` that NVIDIA NeMo 3.0 wrote restores here and gives NeMo's outputs.

``archives/hifigan.nemo`` is NeMo's ``save_to`` output (tar.gz-repacked; random generator weights, constant
debug-size discriminators) for a config in NeMo's own terms: the ASR ``FilterbankFeatures`` front end,
``nemo.collections.tts.modules.hifigan_modules.Generator`` and NeMo's ``VocoderDataset`` path. ``hifigan.npz`` holds
NeMo's mels of fixed audio and the waveform its generator makes of them. Written by
``tools/interop/write_nemo_archives.py`` with ``nemo_toolkit[asr,tts]==3.0.0`` (``nox -s interop``). The archive is
restored with ``strict=True`` through the table of known renames (never importing the class paths it names); mels and
waveform must agree to 1e-4 and the mel lengths exactly.
"""

import functools
import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from nemo.collections.tts.models import HifiGanModel
from nemo.collections.tts.models.base import Vocoder
from nemo.collections.tts.modules.hifigan import Generator
from nemo.collections.tts.parts.filterbank import NEMO_FILTERBANK_PATH, FilterbankFeatures
from nemo.core.classes.construction import renamed_targets

ARCHIVE = Path(__file__).parent / "archives" / "hifigan.nemo"
ATOL = 1e-4


@functools.cache
def _goldens():
    with np.load(ARCHIVE.with_suffix(".npz"), allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, json.loads(ARCHIVE.with_suffix(".json").read_text(encoding="utf-8"))


@functools.cache
def _restored() -> HifiGanModel:
    return HifiGanModel.restore_from(str(ARCHIVE), strict=True, map_location="cpu").eval()


def _config() -> dict:
    with tarfile.open(ARCHIVE) as archive:
        return OmegaConf.to_container(OmegaConf.create(archive.extractfile("./model_config.yaml").read().decode()))


def test_the_archive_is_nemo_3s_and_names_nemos_class_paths():
    _, meta = _goldens()
    config = _config()
    assert meta["nemo_toolkit"] == "3.0.0" and config["nemo_version"] == "3.0.0"
    assert config["target"] == "nemo.collections.tts.models.hifigan.HifiGanModel"
    assert config["preprocessor"]["_target_"] == NEMO_FILTERBANK_PATH
    assert config["generator"]["_target_"] == "nemo.collections.tts.modules.hifigan_modules.Generator"
    assert config["train_ds"]["dataset"]["_target_"] == "nemo.collections.tts.data.dataset.VocoderDataset"


def test_nemos_class_paths_are_known_renames_and_never_imported():
    model = _restored()
    table = renamed_targets()
    assert (
        table["nemo.collections.tts.modules.hifigan_modules.Generator"]
        == "nemo.collections.tts.modules.hifigan.Generator"
    )
    assert table[NEMO_FILTERBANK_PATH] == "nemo.collections.tts.parts.filterbank.FilterbankFeatures"
    assert table["nemo.collections.tts.data.dataset.VocoderDataset"] == (
        "nemo.collections.tts.data.vocoder_dataset.VocoderDataset"
    )
    assert type(model.generator) is Generator
    assert (
        type(model.audio_to_melspec_precessor) is FilterbankFeatures
        and type(model.trg_melspec_fn) is FilterbankFeatures
    )
    assert model.trg_melspec_fn.fmax == 22050 / 2 and model.trg_melspec_fn.use_grads  # NeMo: highfreq=None, use_grads
    assert "nemo.collections.tts.modules.hifigan_modules" not in sys.modules
    assert "nemo.collections.tts.data.dataset" not in sys.modules


def test_mels_and_lengths_match_nemo():
    arrays, _ = _goldens()
    audio = torch.from_numpy(arrays["audio_int16"].astype(np.float32) / 32768.0)
    with torch.no_grad():
        mels, lengths = _restored().audio_to_melspec_precessor(audio, torch.from_numpy(arrays["audio_lengths"]))
    assert lengths.tolist() == arrays["feature_lengths"].tolist()
    assert tuple(mels.shape) == arrays["features"].shape
    np.testing.assert_allclose(mels.numpy(), arrays["features"], rtol=0, atol=ATOL)


def test_waveform_matches_nemo():
    arrays, _ = _goldens()
    with torch.no_grad():
        waveform = _restored().convert_spectrogram_to_audio(spec=torch.from_numpy(arrays["features"]))
    assert tuple(waveform.shape) == arrays["waveform"].shape
    np.testing.assert_allclose(waveform.numpy(), arrays["waveform"], rtol=0, atol=ATOL)


def test_nemo_1_flat_residual_block_names_load_into_the_nested_layout():
    """NeMo 1.0 wrote ``generator.resblocks.<stage * blocks + block>``; NeMo >= 1.x (and here) nest them."""
    model = _restored()
    per_stage = model.generator.num_kernels
    flat = {}
    for key, value in model.state_dict().items():
        parts = key.split(".")
        if parts[:2] == ["generator", "resblocks"]:
            key = ".".join(["generator", "resblocks", str(int(parts[2]) * per_stage + int(parts[3])), *parts[4:]])
        flat[key] = value.clone()
    assert "generator.resblocks.5.convs1.0.weight_v" in flat
    config = _restored().cfg
    assert config.train_ds.defer_setup  # NeMo's key: its manifest is not here, and no loader is built at __init__
    fresh = HifiGanModel(config)
    assert fresh.train_dataloader() is None
    fresh.load_state_dict(flat, strict=True)  # torch's own loading goes through the generator's pre-hook
    assert torch.equal(
        fresh.generator.resblocks[1][2].convs1[0].weight_v, model.generator.resblocks[1][2].convs1[0].weight_v
    )


def test_the_vocoder_base_class_restores_nemos_archive_and_makes_nemos_audio():
    """``Vocoder.restore_from`` (as a TTS pipeline calls it) picks HifiGanModel from the archive's ``target``."""
    arrays, _ = _goldens()
    vocoder = Vocoder.restore_from(str(ARCHIVE), strict=True, map_location="cpu").eval()
    assert type(vocoder) is HifiGanModel
    with torch.no_grad():
        waveform = vocoder.convert_spectrogram_to_audio(spec=torch.from_numpy(arrays["features"]))
    np.testing.assert_allclose(waveform.numpy(), arrays["waveform"], rtol=0, atol=ATOL)
