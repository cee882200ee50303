"""Train a character CTC model (QuartzNet, Jasper) with NeMo's canonical Hydra script.

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech
    python examples/asr/speech_to_text.py \
        model.train_ds.manifest_filepath=/tmp/speech/train_manifest.json \
        model.validation_ds.manifest_filepath=/tmp/speech/validation_manifest.json \
        model.test_ds.manifest_filepath=/tmp/speech/test_manifest.json \
        trainer.max_epochs=6

Other layouts: ``--config-path=conf/quartznet --config-name=quartznet_15x5`` or ``--config-path=conf/jasper
--config-name=jasper_10x5dr`` (full-size models; add ``trainer.accelerator=gpu``). Several validation sets: ``model.validation_ds.manifest_filepath=[a.json,b.json]``. The experiment (TensorBoard logs,
checkpoints, the final ``.nemo``) goes to ``./nemo_experiments/<name>/<version>`` unless ``exp_manager.exp_dir`` says
otherwise. Old Lightning 1.x keys (``trainer.gpus``, ``trainer.checkpoint_callback``...) are translated.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.models import EncDecCTCModel
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="config")
def main(cfg: DictConfig) -> EncDecCTCModel:
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    trainer_cfg = map_legacy_trainer_keys(cfg.trainer)
    trainer = pl.Trainer(**trainer_cfg)
    exp_manager(trainer, cfg.get("exp_manager", None))
    asr_model = EncDecCTCModel(cfg=cfg.model, trainer=trainer)

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
