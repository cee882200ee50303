"""Train a transducer (RNN-T) model, ContextNet or Conformer, with NeMo's canonical Hydra script.

Its command line is ``speech_to_text.py``'s (the same corpus from ``make_speech_corpus.py``, the same manifest
overrides): ``python examples/asr/speech_to_text_rnnt.py model.train_ds.manifest_filepath=... trainer.max_epochs=6``.

The default config is ``conf/contextnet_rnnt/contextnet_rnnt_small.yaml`` (characters); ``--config-path=conf/conformer
--config-name=conformer_transducer_small`` trains a Conformer-Transducer. A config with a ``model.tokenizer`` node
(``{dir, type: bpe|wpe}``, see ``process_asr_text_tokenizer.py``) trains the sub-word ``EncDecRNNTBPEModel`` instead
(NeMo's ``speech_to_text_rnnt_bpe.py``). Decoding for validation and ``transcribe``:
``model.decoding.strategy=greedy_batch`` (default), ``greedy`` or ``beam`` (``model.decoding.beam.beam_size=4``).
The experiment (TensorBoard logs, checkpoints, the final ``.nemo``) goes to ``./nemo_experiments/<name>/<version>``
unless ``exp_manager.exp_dir`` says otherwise; ``transcribe_speech.py model_path=<.nemo>`` transcribes with it.
"""

from omegaconf import DictConfig

from nemo.collections.asr.models import EncDecRNNTBPEModel, EncDecRNNTModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf/contextnet_rnnt", config_name="contextnet_rnnt_small")
def main(cfg: DictConfig) -> EncDecRNNTModel:
    model_class = EncDecRNNTBPEModel if cfg.model.get("tokenizer") is not None else EncDecRNNTModel
    return train_then_test(cfg, model_class, exp_manager, test_data_key="manifest_filepath")


if __name__ == "__main__":
    main()
