"""vad_infer.py and vad_frame_accuracy.py run end to end on tiny inputs with the MarbleNet config."""

import json

import numpy as np
import pytest
import soundfile
from asr_models_testing import SAMPLE_RATE, write_corpus
from omegaconf import OmegaConf

from nemo.collections.asr.models import EncDecClassificationModel
from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("asr")


def _vad_cfg(tmp_path, model_path, manifest):
    cfg = OmegaConf.load(EXAMPLES / "conf" / "vad" / "vad_inference_postprocessing.yaml")
    cfg.pop("hydra")
    cfg.dataset, cfg.vad.model_path = str(manifest), str(model_path)
    cfg.chunk_len_in_sec = 1.0
    cfg.frame_out_dir, cfg.table_out_dir = str(tmp_path / "frames"), str(tmp_path / "rttm")
    cfg.out_manifest_filepath = str(tmp_path / "out" / "segments.json")
    cfg.vad.parameters.postprocessing.update({"onset": 0.0, "offset": 0.0, "min_duration_on": 0.0})
    return cfg


def test_vad_infer_writes_frames_rttm_and_segment_manifest(tmp_path):
    model_cfg = OmegaConf.load(EXAMPLES / "conf" / "marblenet" / "marblenet_3x2x64.yaml").model
    for key in ("train_ds", "validation_ds", "test_ds"):
        model_cfg.pop(key)
    model_path = tmp_path / "marblenet.nemo"
    EncDecClassificationModel(cfg=model_cfg).save_to(str(model_path))
    audio = (0.1 * np.random.default_rng(0).standard_normal(int(2.5 * SAMPLE_RATE))).astype(np.float32)
    soundfile.write(tmp_path / "long.wav", audio, SAMPLE_RATE)
    manifest = tmp_path / "in.json"
    manifest.write_text(json.dumps({"audio_filepath": "long.wav"}) + "\n")
    cfg = _vad_cfg(tmp_path, model_path, manifest)
    # onset = offset = 0: every frame is speech, so the whole file is one segment
    segments = load_script(EXAMPLES / "vad_infer.py").main(cfg)
    wav = str(tmp_path / "long.wav")
    assert segments == {wav: [(0.0, pytest.approx(2.5 + 0.1))]}
    assert len((tmp_path / "frames" / "long.frame").read_text().splitlines()) == 250
    assert (tmp_path / "rttm" / "long.rttm").read_text().startswith("SPEAKER long 1 0.0000 2.6000 <NA>")
    line = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert line == {"audio_filepath": wav, "offset": 0.0, "duration": 2.6}
    cfg.vad.parameters.postprocessing.onst = 0.5
    with pytest.raises(ValueError, match="did you mean 'onset'"):
        load_script(EXAMPLES / "vad_infer.py").main(cfg)


def test_vad_frame_accuracy_trains_and_scores(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    for split, n in (("train", 4), ("validation", 2), ("test", 3)):
        write_corpus(corpus, [{"text": "x"} for _ in range(n)], name=f"{split}_manifest.json")
    scores = load_script(EXAMPLES / "vad_frame_accuracy.py").main(
        ["--corpus", str(corpus), "--work-dir", str(tmp_path / "vad"), "--max-epochs", "1", "--num-test-clips", "3"]
    )
    assert (tmp_path / "vad" / "marblenet.nemo").is_file()
    assert len((tmp_path / "vad" / "long_test_truth.rttm").read_text().splitlines()) == 3
    assert all(0.0 <= scores[key] <= 1.0 for key in ("raw", "smoothed", "postprocessed"))
    assert 0.1 < scores["speech_fraction"] < 0.9
    assert "VAD frame accuracy on 3 held-out-voice sentences" in capsys.readouterr().out
