"""``SquadDataset``: the windows of a SQuAD v1.1/v2.0 file as BERT batches, and the answers and scores of a model's
logits over them."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.nlp.data.question_answering.qa_predictions import NBestEntry, get_predictions
from nemo.collections.nlp.data.question_answering.qa_squad_processing import (
    INFERENCE_MODE,
    TRAINING_MODE,
    convert_examples_to_features,
    read_squad_examples,
)
from nemo.collections.nlp.data.question_answering.squad_metrics import squad_evaluate
from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    bert_input_types,
    pad_bert_inputs,
)
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import ChannelType, NeuralType

__all__ = ["SquadDataset"]


class SquadDataset(Dataset):
    """SQuAD questions cut into ``[CLS] question [SEP] window [SEP]`` features (NeMo v1's arguments).

    Batches are ``(input_ids, segment_ids, input_mask, unique_ids, start_positions, end_positions)``, without the
    positions in ``mode='infer'``; ``unique_ids`` index ``self.features``, padded to the longest in the batch.
    """

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        types = {**bert_input_types(), "unique_ids": NeuralType(("B",), ChannelType())}
        if self.mode != INFERENCE_MODE:
            types["start_positions"] = NeuralType(("B",), ChannelType())
            types["end_positions"] = NeuralType(("B",), ChannelType())
        return types

    def __init__(
        self,
        tokenizer: TokenizerSpec,
        data_file: str,
        doc_stride: int,
        max_query_length: int,
        max_seq_length: int,
        version_2_with_negative: bool = False,
        num_samples: int = -1,
        mode: str = TRAINING_MODE,
    ) -> None:
        for name, value in (("doc_stride", doc_stride), ("max_query_length", max_query_length)):
            if int(value) < 1:
                raise ValueError(f"model.dataset.{name}={value}; expected a positive integer")
        self.tokenizer = tokenizer
        self.mode = mode
        self.version_2_with_negative = version_2_with_negative
        self.examples = read_squad_examples(data_file, mode, version_2_with_negative, num_samples)
        self.features = convert_examples_to_features(
            self.examples, tokenizer, int(max_seq_length), int(doc_stride), int(max_query_length), mode
        )

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, idx: int) -> int:
        return idx

    def _collate_fn(self, batch: Sequence[int]) -> Tuple[torch.Tensor, ...]:
        features = [self.features[i] for i in batch]
        input_ids, segment_ids, input_mask = pad_bert_inputs(self.tokenizer, [f.input_ids for f in features])
        for row, feature in enumerate(features):
            segment_ids[row, : len(feature.segment_ids)] = torch.as_tensor(feature.segment_ids)
        unique_ids = torch.as_tensor(list(batch), dtype=torch.long)
        if self.mode == INFERENCE_MODE:
            return input_ids, segment_ids, input_mask, unique_ids
        starts = torch.as_tensor([f.start_position for f in features], dtype=torch.long)
        ends = torch.as_tensor([f.end_position for f in features], dtype=torch.long)
        return input_ids, segment_ids, input_mask, unique_ids, starts, ends

    def get_predictions(
        self,
        unique_ids: Sequence[int],
        start_logits: Sequence[Sequence[float]],
        end_logits: Sequence[Sequence[float]],
        allow_partial: bool = False,
        **options: Any,
    ) -> Tuple[Dict[str, str], Dict[str, List[NBestEntry]], Dict[str, float]]:
        """``(answer, n-best list, null minus best span score)`` per question id, from the logits of the features
        ``unique_ids`` (any order; a feature given twice, as distributed samplers pad, counts once). Features without
        logits are refused unless ``allow_partial`` (a sanity check or ``limit_val_batches`` scores part of the set),
        which leaves their questions out. ``options``: ``get_predictions``' (``n_best_size``, ``max_answer_length``,
        ``version_2_with_negative``, ``null_score_diff_threshold``, ``do_lower_case``)."""
        logits = {int(u): (s, e) for u, s, e in zip(unique_ids, start_logits, end_logits)}
        missing = len(self.features) - len(logits)
        if missing and not allow_partial:
            raise ValueError(f"SquadDataset.get_predictions: no logits for {missing} of {len(self.features)} features")
        ordered = [logits.get(i, (None, None)) for i in range(len(self.features))]
        return get_predictions(
            self.examples, self.features, [s for s, _ in ordered], [e for _, e in ordered], self.tokenizer, **options
        )

    def evaluate(self, unique_ids: Sequence[int], *logits: Sequence[Sequence[float]], **options: Any) -> Tuple:
        """``(exact match, F1, answers, n-best lists)`` from the start and end ``logits``: SQuAD's scores (percent) of
        the answers against every gold answer, over the questions answered (all of them unless ``allow_partial``);
        ``options`` are :meth:`get_predictions`'."""
        predictions, nbest, _ = self.get_predictions(unique_ids, *logits, **options)
        gold = {e.qas_id: e.answers for e in self.examples if e.qas_id in predictions}
        scores = squad_evaluate(gold, predictions)
        return scores["exact"], scores["f1"], predictions, nbest
