"""examples/asr/speech_to_text_rnnt.py trains the shipped transducer configs (ContextNet and Conformer, at their full
small size) on a tiny corpus, and transcribe_speech.py transcribes with the saved ``.nemo``."""

import importlib
import json
import runpy

import pytest
from asr_models_testing import TEXTS, write_corpus
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, load_script, reference_error_rate

EXAMPLES = examples_dir("asr")


def _conformer_missing() -> str:
    try:
        importlib.import_module("nemo.collections.asr.modules").ConformerEncoder  # noqa: B018 - the import is the check
    except (ImportError, AttributeError) as err:
        return f"nemo.collections.asr.modules.ConformerEncoder cannot be imported yet ({err})"
    return ""


@pytest.fixture
def corpus(tmp_path):
    return {
        split: write_corpus(tmp_path / "corpus", [{"text": t} for t in TEXTS[:n]], name=f"{split}.json")
        for split, n in (("train", 6), ("validation", 2), ("test", 3))
    }


def test_contextnet_config_trains_then_transcribes_with_the_example_scripts(tmp_path, corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = OmegaConf.load(EXAMPLES / "conf" / "contextnet_rnnt" / "contextnet_rnnt_small.yaml")
    for split in ("train", "validation", "test"):
        cfg.model[f"{split}_ds"].manifest_filepath = str(corpus[split])
        cfg.model[f"{split}_ds"].batch_size = 3
    cfg.trainer.max_epochs = 1
    cfg.trainer.enable_progress_bar = False
    cfg.trainer.enable_model_summary = False
    cfg.exp_manager.exp_dir = str(tmp_path / "exp")
    cfg.exp_manager.create_tensorboard_logger = False
    model = load_script(EXAMPLES / "speech_to_text_rnnt.py").main(cfg)
    assert type(model).__name__ == "EncDecRNNTModel"
    assert {"test_loss", "test_wer"} <= set(model.trainer.callback_metrics)  # the test split's own trainer
    squeeze_excite = [m for m in model.encoder.modules() if type(m).__name__ == "SqueezeExcite"]
    assert len(squeeze_excite) == 6  # one per block: ContextNet's global context
    nemo_files = sorted((tmp_path / "exp").rglob("*.nemo"))
    assert nemo_files, "exp_manager should save the final .nemo"

    transcribe = load_script(EXAMPLES / "transcribe_speech.py")
    output = tmp_path / "predictions.json"
    options = transcribe.TranscriptionConfig(
        model_path=str(nemo_files[0]), dataset_manifest=str(corpus["test"]), output_filename=str(output), batch_size=2
    )
    wer = transcribe.main(OmegaConf.structured(options))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["text"] for line in lines] == TEXTS[:3]
    assert wer == pytest.approx(reference_error_rate([line["pred_text"] for line in lines], TEXTS[:3]))


@pytest.mark.skipif(bool(_conformer_missing()), reason=_conformer_missing() or "ConformerEncoder is available")
def test_conformer_transducer_command_line_trains_one_step(tmp_path, corpus, monkeypatch, capfd):
    from nemo.collections.asr.models import EncDecRNNTModel

    calls = {"training_step": 0, "validation_step": 0}
    for name in calls:
        original = getattr(EncDecRNNTModel, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(EncDecRNNTModel, name, spy)
    monkeypatch.chdir(tmp_path)
    path = str(EXAMPLES / "speech_to_text_rnnt.py")
    argv = ["--config-path=conf/conformer", "--config-name=conformer_transducer_small",
            f"model.train_ds.manifest_filepath={corpus['train']}",
            f"model.validation_ds.manifest_filepath={corpus['validation']}",
            "+trainer.fast_dev_run=true", "++trainer.enable_progress_bar=false",
            "++trainer.enable_model_summary=false", f"exp_manager.exp_dir={tmp_path / 'exp'}"]  # fmt: skip
    monkeypatch.setattr("sys.argv", [path, *argv])
    try:
        runpy.run_path(path, run_name="__main__")  # as `python speech_to_text_rnnt.py ...`
    finally:
        GlobalHydra.instance().clear()
    assert calls == {"training_step": 1, "validation_step": 1}
    assert "name: Conformer-Transducer-small" in capfd.readouterr().out
