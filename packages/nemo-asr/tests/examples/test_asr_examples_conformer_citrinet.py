"""The Conformer-CTC and Citrinet configs run through the example scripts' command lines, exactly as their headers show
(``--config-path=conf/<family> --config-name=<name>``): one training and one validation step each, with a BPE tokenizer
made by ``process_asr_text_tokenizer.py`` where the model needs one. The full-size layouts are shrunk by overrides; the
CPU-sized ones run as shipped."""

import pytest

from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("asr")

SHRINK_CONFORMER = ["model.encoder.n_layers=1", "model.encoder.d_model=32", "model.encoder.n_heads=4",
                    "model.encoder.subsampling_conv_channels=8"]  # fmt: skip
SHRINK_CITRINET = ["model.model_defaults.repeat=1", "model.model_defaults.enc_final=32"] + [
    f"model.encoder.jasper.{i}.filters=16" for i in range(22)
]


def _data(corpus):
    return [f"model.train_ds.manifest_filepath={corpus['train']}",
            f"model.validation_ds.manifest_filepath={corpus['validation']}"]  # fmt: skip


@pytest.mark.parametrize(
    "name, shrink",
    [("conformer_ctc_char", SHRINK_CONFORMER), ("conformer_ctc_small", [])],
)
def test_conformer_char_configs_train_one_step(corpus, run_cli, capfd, name, shrink):
    from nemo.collections.asr.models import EncDecCTCModel

    overrides = ["--config-path=conf/conformer", f"--config-name={name}", *_data(corpus), *shrink]
    calls = run_cli("speech_to_text", EncDecCTCModel, *overrides)
    assert calls == {"training_step": 1, "validation_step": 1}
    assert "_target_: nemo.collections.asr.modules.ConformerEncoder" in capfd.readouterr().out


@pytest.mark.parametrize(
    "family, name, shrink",
    [("conformer", "conformer_ctc_bpe", SHRINK_CONFORMER), ("citrinet", "citrinet_512", SHRINK_CITRINET),
     ("citrinet", "citrinet_small", [])],
)  # fmt: skip
def test_bpe_configs_train_one_step_with_the_scripts_tokenizer(tmp_path, corpus, run_cli, family, name, shrink):
    from nemo.collections.asr.models import EncDecCTCModelBPE

    tokenizer_dir = load_script(EXAMPLES / "process_asr_text_tokenizer.py").main(
        [f"--manifest={corpus['train']}", f"--data_root={tmp_path / 'tokenizers'}", "--vocab_size=24"]
    )
    overrides = [f"--config-path=conf/{family}", f"--config-name={name}", f"model.tokenizer.dir={tokenizer_dir}"]
    calls = run_cli("speech_to_text_bpe", EncDecCTCModelBPE, *overrides, *_data(corpus), *shrink)
    assert calls == {"training_step": 1, "validation_step": 1}
