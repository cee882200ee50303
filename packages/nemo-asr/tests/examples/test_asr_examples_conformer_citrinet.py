"""The Conformer-CTC and Citrinet configs run through the example scripts' command lines, exactly as their headers show
(``--config-path=conf/<family> --config-name=<name>``): one training and one validation step each, with a BPE tokenizer
made by ``process_asr_text_tokenizer.py`` where the model needs one. The full-size layouts are shrunk by overrides; the
CPU-sized ones run as shipped."""

import runpy

import pytest
from asr_models_testing import TEXTS, write_corpus

from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("asr")

SHRINK_CONFORMER = ["model.encoder.n_layers=1", "model.encoder.d_model=32", "model.encoder.n_heads=4",
                    "model.encoder.subsampling_conv_channels=8"]  # fmt: skip
SHRINK_CITRINET = ["model.model_defaults.repeat=1", "model.model_defaults.enc_final=32"] + [
    f"model.encoder.jasper.{i}.filters=16" for i in range(22)
]


@pytest.fixture
def corpus(tmp_path):
    return {
        split: write_corpus(tmp_path / "corpus", [{"text": t} for t in TEXTS[:n]], name=f"{split}.json")
        for split, n in (("train", 6), ("validation", 2))
    }


def _run_cli(monkeypatch, tmp_path, script, model_class, *overrides):
    """Run ``script`` as ``python <script>.py <overrides>`` would, under fast_dev_run; count the steps it ran."""
    from hydra.core.global_hydra import GlobalHydra

    calls = {"training_step": 0, "validation_step": 0}
    for name in calls:
        original = getattr(model_class, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(model_class, name, spy)
    monkeypatch.chdir(tmp_path)
    quiet = ["+trainer.fast_dev_run=true", "trainer.accelerator=cpu", "trainer.devices=1",
             "++trainer.enable_progress_bar=false", "++trainer.enable_model_summary=false",
             f"exp_manager.exp_dir={tmp_path / 'exp'}"]  # fmt: skip
    for split in ("train_ds", "validation_ds"):
        quiet += [f"model.{split}.num_workers=0", f"++model.{split}.pin_memory=false", f"model.{split}.batch_size=3"]
    path = str(EXAMPLES / f"{script}.py")
    monkeypatch.setattr("sys.argv", [path, *overrides, *quiet])
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        GlobalHydra.instance().clear()
    return calls


def _data(corpus):
    return [f"model.train_ds.manifest_filepath={corpus['train']}",
            f"model.validation_ds.manifest_filepath={corpus['validation']}"]  # fmt: skip


@pytest.mark.parametrize(
    "name, shrink",
    [("conformer_ctc_char", SHRINK_CONFORMER), ("conformer_ctc_small", [])],
)
def test_conformer_char_configs_train_one_step(tmp_path, corpus, monkeypatch, capfd, name, shrink):
    from nemo.collections.asr.models import EncDecCTCModel

    overrides = ["--config-path=conf/conformer", f"--config-name={name}", *_data(corpus), *shrink]
    calls = _run_cli(monkeypatch, tmp_path, "speech_to_text", EncDecCTCModel, *overrides)
    assert calls == {"training_step": 1, "validation_step": 1}
    assert "_target_: nemo.collections.asr.modules.ConformerEncoder" in capfd.readouterr().out


@pytest.mark.parametrize(
    "family, name, shrink",
    [("conformer", "conformer_ctc_bpe", SHRINK_CONFORMER), ("citrinet", "citrinet_512", SHRINK_CITRINET),
     ("citrinet", "citrinet_small", [])],
)  # fmt: skip
def test_bpe_configs_train_one_step_with_the_scripts_tokenizer(tmp_path, corpus, monkeypatch, family, name, shrink):
    from nemo.collections.asr.models import EncDecCTCModelBPE

    tokenizer_dir = load_script(EXAMPLES / "process_asr_text_tokenizer.py").main(
        [f"--manifest={corpus['train']}", f"--data_root={tmp_path / 'tokenizers'}", "--vocab_size=24"]
    )
    overrides = [f"--config-path=conf/{family}", f"--config-name={name}", f"model.tokenizer.dir={tokenizer_dir}"]
    calls = _run_cli(
        monkeypatch, tmp_path, "speech_to_text_bpe", EncDecCTCModelBPE, *overrides, *_data(corpus), *shrink
    )
    assert calls == {"training_step": 1, "validation_step": 1}
