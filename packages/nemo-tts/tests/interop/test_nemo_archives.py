"""The legacy-archive suite: HiFi-GAN and FastPitch ``.nemo`` files that NVIDIA NeMo 3.0 wrote restore here and give
NeMo's outputs, alone and as a text-to-waveform pipeline.

``archives/hifigan.nemo`` is NeMo's ``save_to`` output (tar.gz-repacked; random generator weights, constant
debug-size discriminators) for a config in NeMo's own terms: the ASR ``FilterbankFeatures`` front end,
``nemo.collections.tts.modules.hifigan_modules.Generator`` and NeMo's ``VocoderDataset`` path. ``hifigan.npz`` holds
NeMo's mels of fixed audio and the waveform its generator makes of them. Written by
``tools/interop/write_nemo_archives.py`` with ``nemo_toolkit[asr,tts]==3.0.0`` (``nox -s interop``). The archive is
restored with ``strict=True`` through the table of known renames (never importing the class paths it names); mels and
waveform must agree to 1e-4 and the mel lengths exactly.

``archives/fastpitch.nemo`` is NeMo's FastPitch with a learned aligner (its ``FFTransformerEncoder``/``Decoder``,
``TemporalPredictor``, ``AlignmentEncoder`` nodes, the ASR ``AudioToMelSpectrogramPreprocessor`` front end, NeMo's
English character tokenizer; random weights, a constant aligner); ``fastpitch.npz`` holds NeMo's token ids of fixed
texts, and the mels, lengths, durations and pitch it generates from them, and its front end's features of fixed
audio. ``pipeline.npz`` holds the waveform NeMo makes of ``text`` with the FastPitch and HiFi-GAN archives.
"""

import functools
import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from nemo.collections.tts.models import FastPitchModel, HifiGanModel, SpectrogramVocoderPipeline
from nemo.collections.tts.models.base import SpectrogramGenerator, Vocoder
from nemo.collections.tts.modules.hifigan import Generator
from nemo.collections.tts.parts.filterbank import NEMO_FILTERBANK_PATH, FilterbankFeatures
from nemo.core.classes.construction import renamed_targets

ARCHIVE = Path(__file__).parent / "archives" / "hifigan.nemo"
FASTPITCH = ARCHIVE.with_name("fastpitch.nemo")
ATOL = 1e-4


@functools.cache
def _goldens(archive: Path = ARCHIVE):
    return _arrays(archive.with_suffix(".npz")), json.loads(archive.with_suffix(".json").read_text(encoding="utf-8"))


def _arrays(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@functools.cache
def _restored() -> HifiGanModel:
    return HifiGanModel.restore_from(str(ARCHIVE), strict=True, map_location="cpu").eval()


def _config(path: Path = ARCHIVE) -> dict:
    with tarfile.open(path) as archive:
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


@functools.cache
def _fastpitch() -> FastPitchModel:
    return FastPitchModel.restore_from(str(FASTPITCH), strict=True, map_location="cpu").eval()


def test_the_fastpitch_archive_is_nemo_3s_network_of_config_nodes():
    _, meta = _goldens(FASTPITCH)
    config = _config(FASTPITCH)
    assert meta["nemo_toolkit"] == config["nemo_version"] == "3.0.0"
    assert config["target"] == "nemo.collections.tts.models.fastpitch.FastPitchModel"
    targets = {key: config[key]["_target_"].rsplit(".", 2)[-2:] for key in
               ("input_fft", "output_fft", "duration_predictor", "pitch_predictor", "alignment_module")}  # fmt: skip
    assert targets == {"input_fft": ["transformer", "FFTransformerEncoder"],
                       "output_fft": ["transformer", "FFTransformerDecoder"],
                       "duration_predictor": ["fastpitch", "TemporalPredictor"],
                       "pitch_predictor": ["fastpitch", "TemporalPredictor"],
                       "alignment_module": ["aligner", "AlignmentEncoder"]}  # fmt: skip
    assert config["preprocessor"]["_target_"] == "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor"
    assert config["text_tokenizer"]["_target_"].startswith("nemo.collections.common.tokenizers.text_to_speech.")


def test_the_fastpitch_archive_restores_strictly_without_importing_what_it_names():
    model = SpectrogramGenerator.restore_from(str(FASTPITCH), strict=True, map_location="cpu")
    assert type(model) is FastPitchModel
    assert type(model.preprocessor).__module__ == "nemo.collections.tts.parts.preprocessor"
    assert model.aligner is model.fastpitch.aligner  # saved under both names, as NeMo does
    assert float(model.fastpitch.pitch_mean) == 212.0 and float(model.fastpitch.pitch_std) == 68.5
    for module in ("nemo.collections.common.tokenizers.text_to_speech", "nemo.collections.tts.data.dataset"):
        assert module not in sys.modules


def test_fastpitch_tokens_mels_durations_and_pitch_match_nemo():
    arrays, _ = _goldens(FASTPITCH)
    model = _fastpitch()
    tokens = torch.from_numpy(arrays["tokens"])
    for row, length in zip(arrays["tokens"], arrays["token_lengths"]):  # our parse of NeMo's texts gives its ids
        assert row[length:].tolist() == [model.tokenizer.pad] * (len(row) - length)
    audio = torch.from_numpy(arrays["audio_int16"].astype(np.float32) / 32768.0)
    with torch.no_grad():
        features, feature_lengths = model.preprocessor(
            input_signal=audio, length=torch.from_numpy(arrays["audio_lengths"])
        )
        spect, dec_lens, durs, log_durs, pitch = model(text=tokens)[:5]
        pace_lens = model(text=tokens, pace=1.25)[1]
    assert feature_lengths.tolist() == arrays["feature_lengths"].tolist()
    assert dec_lens.tolist() == arrays["dec_lens"].tolist() and pace_lens.tolist() == arrays["dec_lens_pace"].tolist()
    for ours, key in ((features, "features"), (spect, "spect"), (durs, "durs_predicted"),
                      (log_durs, "log_durs_predicted"), (pitch, "pitch_predicted")):  # fmt: skip
        assert tuple(ours.shape) == arrays[key].shape, key
        np.testing.assert_allclose(ours.numpy(), arrays[key], rtol=0, atol=ATOL, err_msg=key)


def test_fastpitch_parse_gives_nemos_ids():
    arrays = _arrays(ARCHIVE.with_name("pipeline.npz"))
    assert _fastpitch().parse(str(arrays["text"])).tolist() == arrays["tokens"].tolist()


def test_text_to_waveform_from_nemos_fastpitch_and_hifigan_archives_gives_nemos_audio():
    """``SpectrogramGenerator.restore_from`` + ``Vocoder.restore_from`` of NeMo's archives, chained: one call from
    text to NeMo's waveform (NeMo's ``generate_spectrogram`` then ``convert_spectrogram_to_audio``)."""
    arrays = _arrays(ARCHIVE.with_name("pipeline.npz"))
    pipeline = SpectrogramVocoderPipeline.from_models(
        SpectrogramGenerator.restore_from(str(FASTPITCH), map_location="cpu"),
        Vocoder.restore_from(str(ARCHIVE), map_location="cpu"),
    )
    (waveform,) = pipeline.convert_text_to_waveform(tokens=pipeline.parse(str(arrays["text"])))
    assert waveform.shape[0] == arrays["waveform"].size
    np.testing.assert_allclose(waveform.numpy(), arrays["waveform"].reshape(-1), rtol=0, atol=ATOL)
