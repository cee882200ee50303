"""Train the HiFi-GAN vocoder with NeMo's canonical Hydra script (hydra_runner -> Trainer -> exp_manager -> fit).

    python examples/tts/make_tts_corpus.py --out-dir /tmp/tts_corpus
    python examples/tts/hifigan.py --config-name=hifigan_small \
        train_dataset=/tmp/tts_corpus/train_manifest.json \
        validation_datasets=/tmp/tts_corpus/validation_manifest.json \
        trainer.max_time=00:00:10:00

The default config (``conf/hifigan/hifigan.yaml``) is NeMo's V1 generator; pick another with
``model/generator=v2`` (or ``v3``, ``small``) and add ``trainer.accelerator=gpu``. ``trainer.max_steps`` counts
the steps of both optimizers (twice the generator updates). Logs, checkpoints and the final ``.nemo`` go to
``./nemo_experiments/<name>/<version>`` unless ``exp_manager.exp_dir`` says otherwise.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.tts.models import HifiGanModel
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf/hifigan", config_name="hifigan")
def main(cfg: DictConfig) -> HifiGanModel:
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    trainer = pl.Trainer(**map_legacy_trainer_keys(cfg.trainer))
    exp_manager(trainer, cfg.get("exp_manager", None))
    model = HifiGanModel(cfg=cfg.model, trainer=trainer)
    trainer.fit(model)
    return model


if __name__ == "__main__":
    main()
