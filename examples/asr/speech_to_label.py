"""Train an utterance classifier (MatchboxNet speech commands, MarbleNet VAD) with NeMo's canonical Hydra script.

    python examples/asr/make_speech_corpus.py --commands --out-dir /tmp/commands --num-train 600
    python examples/asr/speech_to_label.py --config-path=conf/matchboxnet --config-name=matchboxnet_3x1x64_v1 \
        model.train_ds.manifest_filepath=/tmp/commands/train_manifest.json \
        model.validation_ds.manifest_filepath=/tmp/commands/validation_manifest.json \
        model.test_ds.manifest_filepath=/tmp/commands/test_manifest.json \
        'model.labels=[yes,no,up,down,left,right,on,off,stop,go]' trainer.max_epochs=20 \
        model.train_ds.batch_size=32 model.train_ds.num_workers=0 model.validation_ds.num_workers=0

Manifests are JSON lines with ``audio_filepath``, ``duration`` and ``label`` (one of ``model.labels``, which the data
configs always use). The experiment (TensorBoard logs, checkpoints, the final
``.nemo``) goes to ``./nemo_experiments/<name>/<version>`` unless ``exp_manager.exp_dir`` says otherwise.
"""

from omegaconf import DictConfig, open_dict

from nemo.collections.asr.models import EncDecClassificationModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


def _share_labels(cfg: DictConfig) -> None:
    """Data configs use ``model.labels``: YAML anchors are copied at load time, so an override would not reach them."""
    with open_dict(cfg):
        for key in ("train_ds", "validation_ds", "test_ds"):
            if cfg.model.get(key) is not None:
                cfg.model[key].labels = cfg.model.labels


@hydra_runner(config_path="conf/matchboxnet", config_name="matchboxnet_3x1x64_v1")
def main(cfg: DictConfig) -> EncDecClassificationModel:
    _share_labels(cfg)
    return train_then_test(cfg, EncDecClassificationModel, exp_manager, test_data_key="manifest_filepath")


if __name__ == "__main__":
    main()
