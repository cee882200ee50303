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

from omegaconf import DictConfig

from nemo.collections.tts.models import Tacotron2Model
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="tacotron2")
def main(cfg: DictConfig) -> Tacotron2Model:
    return train_then_test(cfg, Tacotron2Model, exp_manager, monitor_learning_rate=True)


if __name__ == "__main__":
    main()
