"""Train Tacotron 2 with NeMo's canonical Hydra script (hydra_runner -> Trainer -> exp_manager -> model -> fit).

    python examples/tts/make_tts_corpus.py --out-dir /tmp/tts_corpus
    python examples/tts/tacotron2.py --config-name=tacotron2_small \
        train_dataset=/tmp/tts_corpus/train_manifest.json \
        validation_datasets=/tmp/tts_corpus/validation_manifest.json \
        sup_data_path=/tmp/tts_corpus/sup trainer.max_time=00:00:10:00

The full-size model is the default config (``conf/tacotron2.yaml``; add ``trainer.accelerator=gpu``). The experiment
(TensorBoard logs with spectrogram and alignment images, checkpoints, the final ``.nemo``) goes to
``./nemo_experiments/<name>/<version>`` unless ``exp_manager.exp_dir`` says otherwise.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.tts.models import Tacotron2Model
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="tacotron2")
def main(cfg: DictConfig) -> Tacotron2Model:
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    trainer = pl.Trainer(**map_legacy_trainer_keys(cfg.trainer))
    exp_manager(trainer, cfg.get("exp_manager", None))
    model = Tacotron2Model(cfg=cfg.model, trainer=trainer)
    if trainer.loggers:  # the monitor needs a logger; exp_manager makes one unless told not to
        trainer.callbacks.append(pl.callbacks.LearningRateMonitor())
    trainer.fit(model)
    return model


if __name__ == "__main__":
    main()
