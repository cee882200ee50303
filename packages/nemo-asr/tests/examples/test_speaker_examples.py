"""make_speech_corpus.py --speakers, speaker_reco.py and speaker_eer.py run end to end on a tiny corpus."""

import json
from pathlib import Path

import pytest
from asr_models_testing import write_corpus
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("asr")


def _train(tmp_path, train, validation, num_speakers, monkeypatch):
    """speaker_reco.py on titanet-cpu.yaml for one epoch; returns the saved .nemo."""
    monkeypatch.chdir(tmp_path)
    cfg = OmegaConf.load(EXAMPLES / "conf" / "speaker" / "titanet-cpu.yaml")
    for split, manifest in (("train", train), ("validation", validation)):
        cfg.model[f"{split}_ds"].manifest_filepath = str(manifest)
        cfg.model[f"{split}_ds"].time_length = 1.0
    cfg.model.decoder.num_classes = num_speakers
    cfg.trainer.max_epochs = 1
    cfg.trainer.enable_progress_bar = False
    cfg.trainer.enable_model_summary = False
    cfg.exp_manager.exp_dir = str(tmp_path / "exp")
    cfg.exp_manager.create_tensorboard_logger = False
    cfg.save_to = str(tmp_path / "speaker.nemo")
    model = load_script(EXAMPLES / "speaker_reco.py").main(cfg)
    assert "val_acc_micro_top_1" in model.trainer.callback_metrics
    assert sorted((tmp_path / "exp").rglob("*.nemo")), "exp_manager should save the final .nemo"
    return Path(cfg.save_to)


def test_train_then_measure_eer_with_the_example_scripts(tmp_path, monkeypatch, capsys):
    train = write_corpus(tmp_path / "corpus", [{"label": f"s{i % 3}"} for i in range(6)], name="train.json")
    test = write_corpus(tmp_path / "corpus", [{"label": f"t{i % 2}"} for i in range(4)], name="test.json")
    model = _train(tmp_path, train, train, 3, monkeypatch)
    eer = load_script(EXAMPLES / "speaker_eer.py").main(["--model", str(model), "--manifest", str(test)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert 0.0 <= eer <= 100.0 and line.startswith(f"EER {eer:.2f}% at score ")
    assert line.endswith("over 6 trials (2 same-speaker) of 4 clips from 2 speakers")
    one_speaker = write_corpus(tmp_path / "one", [{"label": "t0"}] * 2)
    with pytest.raises(ValueError, match="both same-speaker and different-speaker pairs"):
        load_script(EXAMPLES / "speaker_eer.py").main(["--model", str(model), "--manifest", str(one_speaker)])


def test_equal_error_rate_on_known_scores():
    import numpy as np

    eer = load_script(EXAMPLES / "speaker_eer.py").equal_error_rate
    targets = np.array([True, True, False, False])
    assert eer(np.array([0.9, 0.8, 0.2, 0.1]), targets)["eer"] == 0.0  # separable
    assert eer(np.array([0.1, 0.2, 0.8, 0.9]), targets)["eer"] == 100.0  # reversed
    assert eer(np.array([0.9, 0.3, 0.5, 0.1]), targets)["eer"] == 50.0  # one of each side is wrong


def test_speaker_corpus_labels_speakers_and_holds_out_test_voices(tmp_path):
    pytest.importorskip(
        "espeakng_loader", reason="espeakng-loader (eSpeak NG wheel) is an example/test-only dependency"
    )
    pytest.importorskip("wordfreq", reason="wordfreq (the corpus word list) is an example/test-only dependency")
    corpus = load_script(EXAMPLES / "make_speech_corpus.py")
    corpus.main(["--speakers", "--out-dir", str(tmp_path), "--num-train", "4", "--num-val", "2", "--num-test", "4"])
    rows = {
        split: [json.loads(line) for line in (tmp_path / f"{split}_manifest.json").read_text().splitlines()]
        for split in ("train", "validation", "test")
    }
    train_variants = {voice.partition("+")[2] for voice in corpus.TRAIN_VARIANTS}
    held_out = {voice.partition("+")[2] for voice in corpus.HELD_OUT_VARIANTS}
    for split, variants in (("train", train_variants), ("validation", train_variants), ("test", held_out)):
        assert [row["label"] for row in rows[split]] == [row["speaker"].partition("+")[2] for row in rows[split]]
        assert {row["label"] for row in rows[split]} <= variants and {row["warp"] for row in rows[split]} == {1.0}
