"""Extractive question answering data in SQuAD v1.1/v2.0 format, its answers and its scores."""

from nemo.collections.nlp.data.question_answering.qa_dataset import SquadDataset
from nemo.collections.nlp.data.question_answering.qa_predictions import NBestEntry, get_predictions
from nemo.collections.nlp.data.question_answering.qa_squad_processing import (
    EVALUATION_MODE,
    INFERENCE_MODE,
    TRAINING_MODE,
    convert_examples_to_features,
    read_squad_examples,
)
from nemo.collections.nlp.data.question_answering.squad_metrics import (
    exact_match_score,
    f1_score,
    normalize_answer,
    squad_evaluate,
)

__all__ = [
    "EVALUATION_MODE",
    "INFERENCE_MODE",
    "TRAINING_MODE",
    "NBestEntry",
    "SquadDataset",
    "convert_examples_to_features",
    "exact_match_score",
    "f1_score",
    "get_predictions",
    "normalize_answer",
    "read_squad_examples",
    "squad_evaluate",
]
