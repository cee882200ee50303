"""Every TTS model class, built from its example config and saved, restores with one construction and quietly, and
refuses every tampered ``_target_`` on restore."""

from omegaconf import OmegaConf

from nemo.core.testing import examples_dir
from nemo.core.testing.archive_safety import ArchiveSafetySuite

CONF = examples_dir("tts", "conf")


def _fastpitch(tmp_path, tone_corpus):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        cfg = compose(
            "fastpitch_small",
            overrides=[
                f"train_dataset={tone_corpus['train']}",
                f"validation_datasets={tone_corpus['val']}",
                f"sup_data_path={tmp_path / 'sup'}",
                "model.train_ds.dataloader_params.num_workers=0",
                "model.validation_ds.dataloader_params.num_workers=0",
                "model.text_tokenizer._target_=nemo.collections.tts.parts.text.tokenizers.EnglishCharsTokenizer",
                "~model.text_tokenizer.voice",
                "model.input_fft.n_layer=1",
                "model.output_fft.n_layer=1",
            ],
        )
    return cfg.model


def _tacotron2(tmp_path, tacotron2_config):
    cfg = tacotron2_config()
    cfg.sup_data_path = str(tmp_path / "sup")
    return cfg.model


def _hifigan(hifigan_config):
    return hifigan_config().model


def _griffin_lim():
    # Griffin-Lim has no weights to train, hence no example config: the pipeline examples build it from these keys.
    mel = {"sample_rate": 22050, "n_fft": 1024, "win_length": 1024, "hop_length": 256, "fmin": 0, "fmax": 8000}
    return OmegaConf.create({**mel, "n_mels": 80, "n_iters": 2, "nnls_iters": 2})


def _pipeline(tmp_path, tone_corpus):
    from nemo.collections.tts.models import FastPitchModel, GriffinLimModel

    generator = OmegaConf.create(OmegaConf.to_container(_fastpitch(tmp_path, tone_corpus), resolve=True))
    for split in ("train_ds", "validation_ds"):
        generator.pop(split)
    generator.target = f"{FastPitchModel.__module__}.FastPitchModel"
    generator.pitch_mean, generator.pitch_std = 150.0, 40.0
    vocoder = _griffin_lim()
    vocoder.target = f"{GriffinLimModel.__module__}.GriffinLimModel"
    return OmegaConf.create({"spectrogram_generator": generator, "vocoder": vocoder})


# Model class name -> the example config it is built from (a new model class adds its example here).
EXAMPLE_CONFIGS = {
    "FastPitchModel": _fastpitch,
    "Tacotron2Model": _tacotron2,
    "HifiGanModel": _hifigan,
    "GriffinLimModel": _griffin_lim,
    "SpectrogramVocoderPipeline": _pipeline,
}


class TestArchiveSafety(ArchiveSafetySuite):
    package = "nemo.collections.tts"
    example_configs = EXAMPLE_CONFIGS
