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

from omegaconf import DictConfig

from nemo.collections.asr.models import EncDecCTCModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="config")
def main(cfg: DictConfig) -> EncDecCTCModel:
    return train_then_test(cfg, EncDecCTCModel, exp_manager, test_data_key="manifest_filepath")


if __name__ == "__main__":
    main()
