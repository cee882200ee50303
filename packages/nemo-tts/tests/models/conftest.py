"""Test-size configs of the Tacotron 2 and HiFi-GAN example configs, over the shared synthetic tone corpus."""

from typing import Callable

import pytest
from omegaconf import DictConfig, OmegaConf

from nemo.core.testing import examples_dir

CONF = examples_dir("tts", "conf")


@pytest.fixture
def tacotron2_config(tone_corpus) -> Callable[[], DictConfig]:
    """A factory of tacotron2_small.yaml at test size: the shipped layout and keys, narrower layers."""

    def make() -> DictConfig:
        cfg = OmegaConf.load(CONF / "tacotron2_small.yaml")
        cfg.train_dataset, cfg.validation_datasets = tone_corpus["train"], tone_corpus["val"]
        model = cfg.model
        model.encoder.encoder_embedding_dim = 32
        model.encoder.encoder_n_convolutions = 2
        model.decoder.update(
            decoder_rnn_dim=64, attention_rnn_dim=64, prenet_dim=32, attention_dim=32,
            attention_location_n_filters=8, max_decoder_steps=60,
        )  # fmt: skip
        model.postnet.postnet_embedding_dim = 32
        model.postnet.postnet_n_convolutions = 3
        model.optim.lr = 3e-3
        model.optim.pop("sched")  # a constant rate: the few steps of a test should all count
        return cfg

    return make


@pytest.fixture
def hifigan_config(tone_corpus) -> Callable[..., DictConfig]:
    """A factory of hifigan_small.yaml composed by Hydra ("small" generator, debug discriminators), 2048-sample
    segments; extra Hydra overrides may be passed."""

    def make(*overrides: str) -> DictConfig:
        from hydra import compose, initialize_config_dir

        with initialize_config_dir(config_dir=str(CONF / "hifigan"), version_base=None):
            return compose(
                "hifigan_small",
                overrides=[
                    f"train_dataset={tone_corpus['train']}",
                    f"validation_datasets={tone_corpus['val']}",
                    "train_min_duration=null",
                    "train_n_segments=2048",
                    "model.train_ds.dataloader_params.batch_size=2",
                    "model.validation_ds.dataloader_params.batch_size=4",
                    "model.optim.lr=0.002",
                    "~model.optim.sched",
                    *overrides,
                ],
            )

    return make
