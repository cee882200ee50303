"""Train a transducer (RNN-T) model, ContextNet or Conformer, with NeMo's canonical Hydra script.

    python examples/asr/make_speech_corpus.py --out-dir /tmp/speech
    python examples/asr/speech_to_text_rnnt.py \
        model.train_ds.manifest_filepath=/tmp/speech/train_manifest.json \
        model.validation_ds.manifest_filepath=/tmp/speech/validation_manifest.json \
        model.test_ds.manifest_filepath=/tmp/speech/test_manifest.json \
        trainer.max_epochs=6

The default config is ``conf/contextnet_rnnt/contextnet_rnnt_small.yaml`` (characters); ``--config-path=conf/conformer
--config-name=conformer_transducer_small`` trains a Conformer-Transducer. A config with a ``model.tokenizer`` node
(``{dir, type: bpe|wpe}``, see ``process_asr_text_tokenizer.py``) trains the sub-word ``EncDecRNNTBPEModel`` instead
(NeMo's ``speech_to_text_rnnt_bpe.py``). Decoding for validation and ``transcribe``:
``model.decoding.strategy=greedy_batch`` (default), ``greedy`` or ``beam`` (``model.decoding.beam.beam_size=4``).
The experiment (TensorBoard logs, checkpoints, the final ``.nemo``) goes to ``./nemo_experiments/<name>/<version>``
unless ``exp_manager.exp_dir`` says otherwise; ``transcribe_speech.py model_path=<.nemo>`` transcribes with it.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.models import EncDecRNNTBPEModel, EncDecRNNTModel
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf/contextnet_rnnt", config_name="contextnet_rnnt_small")
def main(cfg: DictConfig) -> EncDecRNNTModel:
    logging.info(f"Hydra config:\n{OmegaConf.to_yaml(cfg)}")
    trainer_cfg = map_legacy_trainer_keys(cfg.trainer)
    trainer = pl.Trainer(**trainer_cfg)
    exp_manager(trainer, cfg.get("exp_manager", None))
    model_class = EncDecRNNTBPEModel if cfg.model.get("tokenizer") is not None else EncDecRNNTModel
    asr_model = model_class(cfg=cfg.model, trainer=trainer)

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
