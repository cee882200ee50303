"""Every NLP model class, built from its example config and saved, restores with one construction and quietly, and
refuses every tampered config node on restore."""

import json
from pathlib import Path
from typing import Callable

from omegaconf import DictConfig

from nemo.core.testing import examples_dir
from nemo.core.testing.archive_safety import ArchiveSafetySuite

EXAMPLES = examples_dir("nlp")


def _text_classification(bert_example):
    model = bert_example(EXAMPLES / "text_classification" / "conf" / "text_classification_config.yaml")
    for split in ("train_ds", "validation_ds", "test_ds"):
        model[split].file_path = None
    return model


def _word_labels_example(conf: str, labels: str) -> Callable[..., DictConfig]:
    """A builder of a token-level example (``conf`` under ``token_classification/conf``) over two tiny files in
    ``tmp_path`` whose two lines (``the movie is good``, ``bad plot``) get ``labels``."""

    def build(tmp_path: Path, bert_example: Callable[[Path], DictConfig]) -> DictConfig:
        model = bert_example(EXAMPLES / "token_classification" / "conf" / conf)
        for split in ("train", "dev"):
            (tmp_path / f"text_{split}.txt").write_text("the movie is good\nbad plot\n", encoding="utf-8")
            (tmp_path / f"labels_{split}.txt").write_text(labels, encoding="utf-8")
        model.dataset.data_dir = str(tmp_path)
        return model

    return build


def _intent_slot_classification(tmp_path: Path, bert_example: Callable[[Path], DictConfig]) -> DictConfig:
    model = bert_example(EXAMPLES / "intent_slot_classification" / "conf" / "intent_slot_classification_config.yaml")
    (tmp_path / "dict.intents.csv").write_text("find_reviews\nbuy_tickets\n", encoding="utf-8")
    (tmp_path / "dict.slots.csv").write_text("O\nmovie_name\n", encoding="utf-8")
    for prefix in ("train", "test"):
        (tmp_path / f"{prefix}.tsv").write_text("sentence\tlabel\nreviews of heat\t0\n", encoding="utf-8")
        (tmp_path / f"{prefix}_slots.tsv").write_text("0 0 1\n", encoding="utf-8")
    model.data_dir = str(tmp_path)
    return model


def _machine_translation(tmp_path: Path, toy_nmt_cfg) -> dict:
    for side, text in (("src", "one two three\nforty two\n"), ("tgt", "1 2 3\n4 2\n")):
        (tmp_path / f"train.{side}").write_text(text * 20, encoding="utf-8")
    return toy_nmt_cfg((tmp_path / "train.src", tmp_path / "train.tgt")).model


def _bert_lm(tmp_path: Path, bert_example: Callable[[Path], DictConfig]) -> DictConfig:
    model = bert_example(EXAMPLES / "language_modeling" / "conf" / "bert_pretraining_from_text_config.yaml")
    (tmp_path / "text.txt").write_text("the movie is good\nbad plot\n", encoding="utf-8")
    model.train_ds.data_file = str(tmp_path / "text.txt")
    model.max_seq_length = 16
    return model


def _question_answering(tmp_path: Path, bert_example: Callable[[Path], DictConfig]) -> DictConfig:
    model = bert_example(EXAMPLES / "question_answering" / "conf" / "question_answering_squad_config.yaml")
    qa = {"id": "q0", "question": "is the movie good ?", "answers": [{"text": "good", "answer_start": 13}]}
    squad = {"data": [{"paragraphs": [{"context": "the movie is good .", "qas": [qa]}]}]}
    (tmp_path / "squad.json").write_text(json.dumps(squad), encoding="utf-8")
    model.train_ds.file = str(tmp_path / "squad.json")
    model.dataset.max_seq_length = 32
    return model


# Model class name -> the example config it is built from (a new model class adds its example here).
EXAMPLE_CONFIGS = {
    "TextClassificationModel": _text_classification,
    "TokenClassificationModel": _word_labels_example(
        "token_classification_config.yaml", "O-U O O PERIOD\nO-U PERIOD\n"
    ),
    "PunctuationCapitalizationModel": _word_labels_example(
        "punctuation_capitalization_config.yaml", "OU OO OO .O\nOU ?O\n"
    ),
    "IntentSlotClassificationModel": _intent_slot_classification,
    "MTEncDecModel": _machine_translation,
    "BERTLMModel": _bert_lm,
    "QAModel": _question_answering,
}


class TestArchiveSafety(ArchiveSafetySuite):
    package = "nemo.collections.nlp"
    example_configs = EXAMPLE_CONFIGS
    required_nodes = ("optim",)
