"""Train a sub-word CTC model (``EncDecCTCModelBPE``) with a SentencePiece (or WordPiece) tokenizer.

    python examples/asr/speech_to_text_bpe.py model.tokenizer.dir=<folder with tokenizer.model> \
        model.train_ds.manifest_filepath=<train manifest> model.validation_ds.manifest_filepath=<val manifest>

conf/config_bpe.yaml shows how to build a tokenizer from the eSpeak NG corpus of make_speech_corpus.py. The tokenizer
files are packed into the ``.nemo`` file, so the trained model restores without the tokenizer folder.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.models import EncDecCTCModelBPE
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="config_bpe")
def main(cfg: DictConfig) -> EncDecCTCModelBPE:
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    trainer_cfg = map_legacy_trainer_keys(cfg.trainer)
    trainer = pl.Trainer(**trainer_cfg)
    exp_manager(trainer, cfg.get("exp_manager", None))
    asr_model = EncDecCTCModelBPE(cfg=cfg.model, trainer=trainer)

    trainer.fit(asr_model)

    if cfg.model.get("test_ds") is not None and cfg.model.test_ds.get("manifest_filepath"):
        # A single-device trainer, so a distributed sampler neither repeats nor drops test utterances.
        test_trainer = pl.Trainer(
            devices=1, num_nodes=1, accelerator=trainer_cfg.get("accelerator", "auto"), logger=False
        )
        if asr_model.prepare_test(test_trainer):
            test_trainer.test(asr_model)
    return asr_model


if __name__ == "__main__":
    main()
