"""Every ASR model class, built from its example config and saved, restores with one construction and quietly, and
refuses every tampered ``_target_`` on restore."""

from pathlib import Path

from asr_models_testing import make_tokenizer_dir, tiny_encoder
from omegaconf import OmegaConf

from nemo.core.testing import examples_dir
from nemo.core.testing.archive_safety import ArchiveSafetySuite

CONF = examples_dir("asr", "conf")


def _example(name: str):
    """The ``model`` node of an example config, with a small encoder (the safety test needs no capacity)."""
    model = OmegaConf.load(CONF / name).model
    for split in ("train_ds", "validation_ds", "test_ds"):
        if split in model:
            model[split].manifest_filepath = None  # no data: restoring sets up no loaders anyway
    model.encoder = OmegaConf.merge(model.encoder, tiny_encoder(feat_in=model.encoder.feat_in))
    return model


def _small_decoder(name: str):
    """A builder of the example ``name`` whose decoder reads the small encoder's 32 channels."""

    def build(tmp_path: Path):
        model = _example(name)
        model.decoder.feat_in = 32
        return model

    return build


def _ctc_bpe(tmp_path: Path):
    model = _small_decoder("config_bpe.yaml")(tmp_path)
    model.tokenizer.dir = str(make_tokenizer_dir(tmp_path / "spe", vocab_size=24))
    return model


def _rnnt(tmp_path: Path):
    model = _example("contextnet_rnnt/contextnet_rnnt_small.yaml")
    model.model_defaults.enc_hidden = 32  # the small encoder's width
    return model


def _rnnt_bpe(tmp_path: Path):
    model = _rnnt(tmp_path)
    model.tokenizer = _ctc_bpe(tmp_path).tokenizer  # the same SentencePiece tokenizer
    return model


# Model class name -> the example config it is built from (a new model class adds its example here).
EXAMPLE_CONFIGS = {
    "EncDecCTCModel": _small_decoder("config.yaml"),
    "EncDecCTCModelBPE": _ctc_bpe,
    "EncDecClassificationModel": _small_decoder("matchboxnet/matchboxnet_3x1x64_v1.yaml"),
    "EncDecRNNTModel": _rnnt,
    "EncDecRNNTBPEModel": _rnnt_bpe,
    "EncDecSpeakerLabelModel": _small_decoder("speaker/titanet-cpu.yaml"),
}


class TestArchiveSafety(ArchiveSafetySuite):
    package = "nemo.collections.asr"
    example_configs = EXAMPLE_CONFIGS
    required_nodes = ("preprocessor", "encoder", "decoder")
