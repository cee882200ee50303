"""examples/tts/tts_infer.py and evaluate_intelligibility.py end to end on tiny random models."""

import json
from pathlib import Path

import pytest
import soundfile
import tiny_tts_models
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, load_script, reference_error_rate

EXAMPLES = examples_dir("tts")


def _load(name):
    return load_script(EXAMPLES / f"{name}.py")


@pytest.fixture(scope="module")
def fastpitch_nemo(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "fastpitch.nemo"
    tiny_tts_models.tiny_fastpitch().save_to(str(path))
    return path


def test_tts_infer_writes_wavs_and_a_reusable_pipeline(fastpitch_nemo, tmp_path):
    infer = _load("tts_infer")
    out, saved = tmp_path / "out" / "hello.wav", tmp_path / "pipeline.nemo"
    text = "Hello, world = 42 'quoted' words."  # commas, '=' and quotes need no escaping
    result = infer.main([f"spec_model={fastpitch_nemo}", "vocoder=griffin_lim", f"text={text}", f"out={out}",
                         "griffin_lim_iters=2", f"save_pipeline={saved}", "pace=1.5"])  # fmt: skip
    info = soundfile.info(str(out))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert info.frames > 0 and result["duration"] == pytest.approx(info.frames / 22050)

    again = tmp_path / "again.wav"
    infer.main([f"pipeline={saved}", f"text={text}", f"out={again}", "pace=1.5"])
    assert again.read_bytes() == out.read_bytes()  # the saved pipeline reproduces the two-model run

    with pytest.raises(SystemExit, match="key among text, spec_model"):
        infer.main(["speed=2", "text=x"])
    with pytest.raises(SystemExit, match="missing required argument.*text="):
        infer.main([f"pipeline={saved}"])
    with pytest.raises(ValueError, match="exactly one of spec_model"):
        infer.main(["text=x", f"out={again}"])
    with pytest.raises(FileNotFoundError, match="vocoder=missing.nemo"):
        infer.main([f"spec_model={fastpitch_nemo}", "vocoder=missing.nemo", "text=x"])


def test_tts_infer_with_nemo_written_archives_gives_nemos_waveform(tmp_path, capsys):
    """The FastPitch and HiFi-GAN archives NVIDIA NeMo 3.0 wrote (tests/interop/archives): NeMo's audio, as PCM-16."""
    import numpy as np

    archives = Path(__file__).parents[1] / "interop" / "archives"
    with np.load(archives / "pipeline.npz", allow_pickle=False) as data:
        text, golden = str(data["text"]), data["waveform"].reshape(-1)
    out = tmp_path / "nemo.wav"
    result = _load("tts_infer").main([f"spec_model={archives / 'fastpitch.nemo'}",
                                      f"vocoder={archives / 'hifigan.nemo'}", f"text={text}", f"out={out}"])  # fmt: skip
    audio, rate = soundfile.read(str(out), dtype="float32")
    assert rate == 22050 and audio.shape == golden.shape
    np.testing.assert_allclose(audio, np.clip(golden, -1, 1), rtol=0, atol=1 / 32768 + 1e-4)  # PCM-16 rounding
    assert result["seconds_per_audio_second"] == pytest.approx(result["seconds"] / result["duration"])
    assert "s per second of audio)" in capsys.readouterr().out


def test_normalize_for_asr_spells_numbers_and_keeps_the_vocabulary():
    evaluate = _load("evaluate_intelligibility")
    vocabulary = list(" abcdefghijklmnopqrstuvwxyz'")
    assert evaluate.normalize_for_asr("Dr. Smith paid $5 for 3 apples; don't-stop!", vocabulary) == (
        "doctor smith paid five dollars for three apples don't stop"
    )


def test_evaluate_intelligibility_end_to_end(fastpitch_nemo, tone_corpus, tmp_path, capsys):
    pytest.importorskip("nemo.collections.asr", reason="the ASR judge needs nemo-asr, not a nemo-tts dependency")
    pytest.importorskip("soxr", reason="soxr resamples to the ASR model's rate")
    from nemo.collections.asr.models import EncDecCTCModel

    labels = list(" abcdefghijklmnopqrstuvwxyz'")
    encoder_block = {"filters": 16, "repeat": 1, "kernel": [5], "stride": [1], "dilation": [1], "dropout": 0.0,
                     "residual": False, "separable": True}  # fmt: skip
    asr_cfg = {
        "labels": labels,
        "sample_rate": 16000,
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "sample_rate": 16000,
            "features": 16,
            "window_size": 0.02,
            "window_stride": 0.01,
        },  # fmt: skip
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConvASREncoder",
            "feat_in": 16,
            "activation": "relu",
            "jasper": [encoder_block],
        },  # fmt: skip
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": 16,
            "num_classes": len(labels),
            "vocabulary": labels,
        },  # fmt: skip
    }
    asr_path = tmp_path / "asr.nemo"
    EncDecCTCModel(cfg=OmegaConf.create(asr_cfg)).save_to(str(asr_path))

    evaluate = _load("evaluate_intelligibility")
    out_dir = tmp_path / "eval"
    summary = evaluate.main(["--spec-model", str(fastpitch_nemo), "--griffin-lim-iters", "2", "--asr-model",
                             str(asr_path), "--manifest", tone_corpus["val"], "--limit", "2", "--out-dir", str(out_dir),
                             "--device", "cpu", "--pace", "0.5"])  # fmt: skip
    assert summary["utterances"] == 2 and summary["evaluation"] == "tts_intelligibility"
    printed = capsys.readouterr().out.strip().splitlines()
    assert json.loads(printed[-1]) == summary and any("reference recordings" in line for line in printed)
    rows = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines()]
    assert [row["target"] for row in rows] == [json.loads(line)["text"] for line in open(tone_corpus["val"])][:2]
    # the summary's rates are those of the per-utterance transcripts it wrote, computed independently here
    targets = [row["target"] for row in rows]
    for prefix, column in (("synth", "synthesized_asr"), ("ref", "reference_asr")):
        transcripts = [row[column] for row in rows]
        assert summary[f"{prefix}_wer"] == pytest.approx(reference_error_rate(transcripts, targets), abs=5e-5)
        assert summary[f"{prefix}_cer"] == pytest.approx(reference_error_rate(transcripts, targets, True), abs=5e-5)
    assert summary["mcd_db"] == pytest.approx(sum(row["mcd"] for row in rows) / 2, abs=5e-4)
    assert summary["mcd_db"] > 0.0 and summary["synthesis_rtf"] > 0.0  # a random model is far from the recordings
    assert soundfile.info(rows[0]["synthesized_wav"]).samplerate == 16000

    with pytest.raises(SystemExit):
        evaluate.main(["--asr-model", str(asr_path), "--manifest", tone_corpus["val"]])  # no TTS model given
