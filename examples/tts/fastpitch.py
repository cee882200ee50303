"""Train FastPitch (with its learned aligner) using NeMo's canonical Hydra script.

    python examples/tts/make_tts_corpus.py --out-dir /tmp/tts_corpus
    python examples/tts/fastpitch.py --config-name=fastpitch_small \
        train_dataset=/tmp/tts_corpus/train_manifest.json \
        validation_datasets=/tmp/tts_corpus/validation_manifest.json \
        sup_data_path=/tmp/tts_corpus/sup trainer.max_time=00:00:30:00

``fastpitch_small`` is sized for a CPU (two cores, 30 minutes); ``fastpitch`` is NeMo's full-size layout (add
``trainer.accelerator=gpu``). ``pitch_mean``/``pitch_std`` are computed from the training set when null (the first run
also caches log-mels and pitch under ``sup_data_path``). ``threads=N`` sets torch's intra-op threads (on a shared
machine 1 is often fastest). The experiment (TensorBoard logs with spectrogram and alignment images, checkpoints,
the final ``.nemo``) goes to ``./nemo_experiments/<name>/<version>`` unless ``exp_manager.exp_dir`` says otherwise;
listen with ``examples/tts/tts_infer.py`` and Griffin-Lim.
"""

import torch
from omegaconf import DictConfig

from nemo.collections.tts.models import FastPitchModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="fastpitch")
def main(cfg: DictConfig) -> FastPitchModel:
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    return train_then_test(cfg, FastPitchModel, exp_manager, monitor_learning_rate=True)


if __name__ == "__main__":
    main()
