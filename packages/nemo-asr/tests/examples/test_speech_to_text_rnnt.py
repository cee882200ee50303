"""examples/asr/speech_to_text_rnnt.py trains the shipped transducer configs (ContextNet and Conformer, at their full
small size) on a tiny corpus, and transcribe_speech.py transcribes with the saved ``.nemo``."""

import importlib
import json

import pytest
from asr_models_testing import TEXTS
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir, load_script, reference_error_rate

EXAMPLES = examples_dir("asr")


def _conformer_missing() -> str:
    try:
        importlib.import_module("nemo.collections.asr.modules").ConformerEncoder  # noqa: B018 - the import is the check
    except (ImportError, AttributeError) as err:
        return f"nemo.collections.asr.modules.ConformerEncoder cannot be imported yet ({err})"
    return ""


def test_contextnet_config_trains_then_transcribes_with_the_example_scripts(tmp_path, corpus, monkeypatch, quiet_cfg):
    monkeypatch.chdir(tmp_path)
    cfg = quiet_cfg(OmegaConf.load(EXAMPLES / "conf" / "contextnet_rnnt" / "contextnet_rnnt_small.yaml"), corpus)
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
def test_conformer_transducer_command_line_trains_one_step(corpus, run_cli, capfd):
    from nemo.collections.asr.models import EncDecRNNTModel

    overrides = ["--config-path=conf/conformer", "--config-name=conformer_transducer_small",
                 f"model.train_ds.manifest_filepath={corpus['train']}",
                 f"model.validation_ds.manifest_filepath={corpus['validation']}"]  # fmt: skip
    assert run_cli("speech_to_text_rnnt", EncDecRNNTModel, *overrides) == {"training_step": 1, "validation_step": 1}
    assert "name: Conformer-Transducer-small" in capfd.readouterr().out
