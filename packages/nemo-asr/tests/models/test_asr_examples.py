"""examples/asr/speech_to_text.py and transcribe_speech.py run end to end on a tiny model and corpus."""

import importlib.util
import json
from pathlib import Path

import pytest
from asr_models_testing import TEXTS, tiny_encoder, write_corpus
from omegaconf import OmegaConf

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "asr"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"asr_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corpus(tmp_path):
    return {
        split: write_corpus(tmp_path / "corpus", [{"text": t} for t in TEXTS[:n]], name=f"{split}.json")
        for split, n in (("train", 6), ("validation", 2), ("test", 3))
    }


def test_train_then_transcribe_with_the_example_scripts(tmp_path, corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = OmegaConf.load(EXAMPLES / "conf" / "config.yaml")
    cfg.model.encoder = OmegaConf.merge(cfg.model.encoder, tiny_encoder(feat_in=64))
    cfg.model.decoder.feat_in = 32
    for split in ("train", "validation", "test"):
        cfg.model[f"{split}_ds"].manifest_filepath = str(corpus[split])
        cfg.model[f"{split}_ds"].batch_size = 3
    cfg.trainer.max_epochs = 1
    cfg.trainer.enable_progress_bar = False
    cfg.trainer.enable_model_summary = False
    cfg.exp_manager.exp_dir = str(tmp_path / "exp")
    cfg.exp_manager.create_tensorboard_logger = False
    model = _load("speech_to_text").main(cfg)
    assert "test_wer" in model.trainer.callback_metrics  # the test split ran on its own single-device trainer
    nemo_files = sorted((tmp_path / "exp").rglob("*.nemo"))
    assert nemo_files, "exp_manager should save the final .nemo"

    transcribe = _load("transcribe_speech")
    output = tmp_path / "predictions.json"
    options = transcribe.TranscriptionConfig(
        model_path=str(nemo_files[0]), dataset_manifest=str(corpus["test"]), output_filename=str(output), batch_size=2
    )
    wer = transcribe.main(OmegaConf.structured(options))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["text"] for line in lines] == TEXTS[:3] and all("pred_text" in line for line in lines)
    assert wer >= 0.0

    options = transcribe.TranscriptionConfig(model_path=str(nemo_files[0]), audio_dir=str(tmp_path / "corpus"))
    assert transcribe.main(OmegaConf.structured(options)) is None  # no references, no WER
    assert len((tmp_path / f"{nemo_files[0].stem}_transcriptions.json").read_text().splitlines()) == 11
    with pytest.raises(ValueError, match="exactly one"):
        transcribe.main(OmegaConf.structured(transcribe.TranscriptionConfig(model_path="x.nemo")))


def test_bpe_example_trains_and_packs_the_tokenizer(tmp_path, corpus, monkeypatch):
    from nemo.collections.asr.models import EncDecCTCModelBPE
    from nemo.collections.common.tokenizers.sentencepiece_tokenizer import create_spt_model

    monkeypatch.chdir(tmp_path)
    text = tmp_path / "text.txt"
    text.write_text("\n".join(TEXTS * 20) + "\n", encoding="utf-8")
    create_spt_model(str(text), 24, -1, True, "bpe", str(tmp_path / "tok"))
    cfg = OmegaConf.load(EXAMPLES / "conf" / "config_bpe.yaml")
    cfg.model.tokenizer.dir = str(tmp_path / "tok")
    cfg.model.encoder = OmegaConf.merge(cfg.model.encoder, tiny_encoder(feat_in=64))
    cfg.model.decoder.feat_in = 32
    cfg.model.train_ds.manifest_filepath = str(corpus["train"])
    cfg.model.validation_ds.manifest_filepath = str(corpus["validation"])
    cfg.trainer.max_epochs = 1
    cfg.trainer.enable_progress_bar = False
    cfg.trainer.enable_model_summary = False
    cfg.exp_manager.exp_dir = str(tmp_path / "exp")
    cfg.exp_manager.create_tensorboard_logger = False
    model = _load("speech_to_text_bpe").main(cfg)
    assert model.decoder.num_classes_with_blank == 25
    (nemo_file,) = (tmp_path / "exp").rglob("*.nemo")
    restored = EncDecCTCModelBPE.restore_from(str(nemo_file))
    assert restored.tokenizer.vocab == model.tokenizer.vocab
