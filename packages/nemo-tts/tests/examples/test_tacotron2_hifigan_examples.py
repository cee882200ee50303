"""examples/tts/tacotron2.py and hifigan.py run end to end (fast_dev_run) with their Hydra configs."""

from pathlib import Path

import pytest

from nemo.core.testing import examples_dir, load_script

EXAMPLES = examples_dir("tts")


def _load(name):
    return load_script(EXAMPLES / f"{name}.py")


def _compose(config_dir: Path, name: str, overrides):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        return compose(name, overrides=overrides)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything a script writes relative to the working directory lands here


def test_tacotron2_example_fast_dev_run(tone_corpus, tmp_path):
    cfg = _compose(
        EXAMPLES / "conf",
        "tacotron2_small",
        [
            f"train_dataset={tone_corpus['train']}",
            f"validation_datasets={tone_corpus['val']}",
            f"sup_data_path={tmp_path / 'sup'}",
            "+trainer.fast_dev_run=true",
            f"exp_manager.exp_dir={tmp_path / 'exp'}",
            "model.encoder.encoder_embedding_dim=32",
            "model.decoder.attention_rnn_dim=32",
            "model.decoder.decoder_rnn_dim=32",
            "model.decoder.max_decoder_steps=20",
            "model.postnet.postnet_embedding_dim=32",
        ],
    )
    model = _load("tacotron2").main(cfg)
    assert model.trainer.state.finished and model.trainer.global_step == 1
    assert any((tmp_path / "sup" / "log_mel").glob("*.npy"))  # the data set cached its mel targets


def test_hifigan_example_fast_dev_run(tone_corpus, tmp_path):
    cfg = _compose(
        EXAMPLES / "conf" / "hifigan",
        "hifigan_small",
        [
            f"train_dataset={tone_corpus['train']}",
            f"validation_datasets={tone_corpus['val']}",
            "train_min_duration=null",
            "train_n_segments=2048",
            "+trainer.fast_dev_run=true",
            f"exp_manager.exp_dir={tmp_path / 'exp'}",
        ],
    )
    assert cfg.model.generator.upsample_rates == [8, 8, 4]  # the "small" generator group was composed in
    model = _load("hifigan").main(cfg)
    assert model.trainer.state.finished and model.trainer.global_step == 2  # one update of each optimizer


def test_full_size_hifigan_config_composes_each_generator():
    for version, channels in (("v1", 512), ("v2", 128), ("v3", 256)):
        cfg = _compose(
            EXAMPLES / "conf" / "hifigan",
            "hifigan",
            ["train_dataset=t.json", "validation_datasets=v.json", f"model/generator={version}"],
        )
        assert cfg.model.generator.upsample_initial_channel == channels
        assert cfg.model.train_ds.dataset.n_segments == 8192 and cfg.model.validation_ds.dataset.n_segments == -1
