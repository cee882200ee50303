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

from omegaconf import DictConfig

from nemo.collections.tts.models import HifiGanModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf/hifigan", config_name="hifigan")
def main(cfg: DictConfig) -> HifiGanModel:
    return train_then_test(cfg, HifiGanModel, exp_manager)


if __name__ == "__main__":
    main()
