"""Train a sub-word CTC model (``EncDecCTCModelBPE``) with a SentencePiece (or WordPiece) tokenizer.

    python examples/asr/speech_to_text_bpe.py model.tokenizer.dir=<folder with tokenizer.model> \
        model.train_ds.manifest_filepath=<train manifest> model.validation_ds.manifest_filepath=<val manifest>

conf/config_bpe.yaml shows how to build a tokenizer from the eSpeak NG corpus of make_speech_corpus.py. The tokenizer
files are packed into the ``.nemo`` file, so the trained model restores without the tokenizer folder.
"""

from omegaconf import DictConfig

from nemo.collections.asr.models import EncDecCTCModelBPE
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="config_bpe")
def main(cfg: DictConfig) -> EncDecCTCModelBPE:
    return train_then_test(cfg, EncDecCTCModelBPE, exp_manager, test_data_key="manifest_filepath")


if __name__ == "__main__":
    main()
