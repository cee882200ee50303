"""examples/tts/fastpitch.py runs end to end with both Hydra configs (a few steps, tiny overrides)."""

import pytest

from nemo.core.testing import examples_dir, load_script, torch_threads

EXAMPLES = examples_dir("tts")


def _compose(name: str, overrides):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(EXAMPLES / "conf"), version_base=None):
        return compose(name, overrides=overrides)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything the script writes relative to the working directory lands here
    with torch_threads(1):  # the script sets its own thread count (threads=1); the suite's is restored afterwards
        yield


@pytest.mark.parametrize("config", ["fastpitch_small", "fastpitch"])
def test_fastpitch_example_trains_and_saves_a_nemo(config, tone_corpus, tmp_path):
    small = ["model.input_fft.n_layer=1", "model.output_fft.n_layer=1", "model.symbols_embedding_dim=32",
             "model.input_fft.d_inner=32", "model.output_fft.d_inner=32", "model.duration_predictor.filter_size=16",
             "model.pitch_predictor.filter_size=16"]  # fmt: skip
    cfg = _compose(
        config,
        [
            f"train_dataset={tone_corpus['train']}",
            f"validation_datasets={tone_corpus['val']}",
            f"sup_data_path={tmp_path / 'sup'}",
            "threads=1",
            "trainer.max_epochs=1",
            "+trainer.limit_train_batches=2",
            "+trainer.limit_val_batches=1",
            "trainer.check_val_every_n_epoch=1",
            "trainer.accelerator=cpu",
            "model.train_ds.dataloader_params.num_workers=0",
            "model.train_ds.dataloader_params.batch_size=8",
            "model.validation_ds.dataloader_params.num_workers=0",
            "model.text_tokenizer._target_=nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer",
            "~model.text_tokenizer.voice",
            f"exp_manager.exp_dir={tmp_path / 'exp'}",
            *small,
        ],
    )
    model = load_script(EXAMPLES / "fastpitch.py").main(cfg)
    assert model.trainer.state.finished and model.trainer.global_step == 2
    assert model.cfg.pitch_mean is not None  # computed from the training set
    assert list((tmp_path / "exp").rglob("*.nemo"))
