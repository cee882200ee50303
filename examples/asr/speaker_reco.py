"""Train a speaker embedding model (TitaNet, SpeakerNet) as speaker classification, as NeMo's speaker_reco.py.

    python examples/asr/make_speech_corpus.py --speakers --out-dir /tmp/speakers --num-train 2000 --num-test 240
    python examples/asr/speaker_reco.py --config-path=conf/speaker --config-name=titanet-cpu \
        model.train_ds.manifest_filepath=/tmp/speakers/train_manifest.json \
        model.validation_ds.manifest_filepath=/tmp/speakers/validation_manifest.json +save_to=/tmp/titanet-cpu.nemo

Manifests are JSON lines with ``audio_filepath``, ``duration`` and ``label`` (the speaker); ``train_ds.labels:
null`` takes the training manifest's speakers, whose count must be ``model.decoder.num_classes``. The experiment
(TensorBoard logs, checkpoints, the final ``.nemo``) goes to ``./nemo_experiments/<name>/<version>`` unless
``exp_manager.exp_dir`` says otherwise; ``+save_to=<path>`` also saves the trained model there. Then
``speaker_eer.py`` measures the equal error rate on held-out speakers.
"""

from omegaconf import DictConfig

from nemo.collections.asr.models import EncDecSpeakerLabelModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf/speaker", config_name="titanet-cpu")
def main(cfg: DictConfig) -> EncDecSpeakerLabelModel:
    model = train_then_test(cfg, EncDecSpeakerLabelModel, exp_manager, test_data_key="manifest_filepath")
    if cfg.get("save_to"):
        model.save_to(cfg.save_to)
        logging.info(f"saved the trained model to {cfg.save_to}")
    return model


if __name__ == "__main__":
    main()
