"""Token classification data in NeMo v1's NER format: ``text.txt`` (words) and ``labels.txt`` (one label per word).

Line *i* of the labels file labels the whitespace-separated words of line *i* of the text file. Each word is split
into WordPiece sub-tokens; the word's label goes to its first sub-token (and, unless ``ignore_extra_tokens``, to the
others as well), and ``subtokens_mask`` marks the first sub-tokens, whose predictions are the word predictions.
"""

import os
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import torch

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    bert_input_types,
    pad_batch,
    pad_bert_inputs,
)
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import LabelsType, MaskType, NeuralType
from nemo.utils import logging

__all__ = [
    "BertTokenClassificationDataset",
    "BertTokenClassificationInferDataset",
    "check_known_labels",
    "count_truncated",
    "encode_words",
    "LabelledTokenDataset",
    "get_label_ids",
    "label_id_lines",
    "pad_rows",
    "read_token_classification_files",
    "token_labels",
]


def _read_lines(path: str) -> List[str]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Token classification file {path!r} does not exist")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def read_token_classification_files(
    text_file: str, labels_file: str, check_label: Optional[Callable[[str], Optional[str]]] = None
) -> Tuple[List[List[str]], List[List[str]]]:
    """Words and labels per line, checked to have one label per word (blank line pairs are skipped).

    ``check_label(label)`` returns what is wrong with a label (None when it is fine); the error names
    ``labels_file:line``.
    """
    texts, labels = _read_lines(text_file), _read_lines(labels_file)
    if len(texts) != len(labels):
        raise ValueError(f"{text_file} has {len(texts)} lines but {labels_file} has {len(labels)}")
    words, tags = [], []
    for number, (text, label) in enumerate(zip(texts, labels), start=1):
        w, t = text.split(), label.split()
        if len(w) != len(t):
            raise ValueError(f"{labels_file}:{number}: {len(t)} labels for the {len(w)} words of {text_file}:{number}")
        for position, tag in enumerate(t, start=1):
            problem = check_label(tag) if check_label else None
            if problem:
                raise ValueError(f"{labels_file}:{number}: label {position} {tag!r}: {problem}")
        if w:
            words.append(w)
            tags.append(t)
    if not words:
        raise ValueError(f"{text_file}: no non-empty lines")
    return words, tags


def get_label_ids(labels: Iterable[Sequence[str]], pad_label: str = "O") -> Dict[str, int]:
    """Label -> id with ``pad_label`` as 0 and the other labels sorted after it."""
    seen = {label for line in labels for label in line}
    return {label: i for i, label in enumerate([pad_label, *sorted(seen - {pad_label})])}


def _word_pieces(tokenizer: TokenizerSpec, words: Sequence[str]) -> List[List[int]]:
    """Sub-token ids of every word; a word the tokenizer drops entirely becomes the unknown token."""
    pieces = []
    for word in words:
        ids = tokenizer.text_to_ids(word)
        pieces.append(ids or [tokenizer.unk_id])
    return pieces


def encode_words(
    tokenizer: TokenizerSpec,
    words: Sequence[str],
    max_seq_length: Optional[int],
    ignore_extra_tokens: bool = False,
    ignore_start_end: bool = True,
) -> Dict[str, List[int]]:
    """``[CLS] pieces [SEP]`` with subtokens/loss masks and ``word_index`` (the word of each sub-token, -1 for
    ``[CLS]``/``[SEP]``), from which :func:`token_labels` spreads word labels over the sub-tokens."""
    input_ids, subtokens, loss, word_index = [tokenizer.cls_id], [0], [int(not ignore_start_end)], [-1]
    budget = None if not max_seq_length or max_seq_length <= 0 else max_seq_length - 2
    for index, pieces in enumerate(_word_pieces(tokenizer, words)):
        if budget is not None and len(input_ids) - 1 + len(pieces) > budget:
            break
        for position, piece in enumerate(pieces):
            input_ids.append(piece)
            subtokens.append(int(position == 0))
            loss.append(int(position == 0 or not ignore_extra_tokens))
            word_index.append(index)
    input_ids.append(tokenizer.sep_id)
    subtokens.append(0)
    loss.append(int(not ignore_start_end))
    word_index.append(-1)
    return {"input_ids": input_ids, "subtokens_mask": subtokens, "loss_mask": loss, "word_index": word_index}


def token_labels(features: Dict[str, List[int]], word_label_ids: Sequence[int], pad_id: int = 0) -> List[int]:
    """The label id of each sub-token of ``encode_words``' features: its word's, ``pad_id`` for ``[CLS]``/``[SEP]``."""
    return [word_label_ids[i] if i >= 0 else pad_id for i in features["word_index"]]


def count_truncated(
    text_file: str,
    features: Sequence[Dict[str, List[int]]],
    words: Sequence[Sequence[str]],
    max_seq_length: Optional[int],
) -> None:
    """Warn when lines lost words to ``max_seq_length``."""
    truncated = sum(sum(f["subtokens_mask"]) < len(w) for f, w in zip(features, words))
    if truncated:
        logging.warning(f"{text_file}: {truncated} lines were cut to max_seq_length={max_seq_length} sub-tokens")


def check_known_labels(labels_file: str, tags: Iterable[Sequence[str]], label_ids: Dict[str, int]) -> None:
    """Refuse labels the model has no id for, naming the file."""
    unknown = sorted({t for line in tags for t in line} - set(label_ids))
    if unknown:
        raise ValueError(f"{labels_file}: labels {unknown} are not in the model's label_ids {sorted(label_ids)}")


def pad_rows(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad id lists with 0 into ``[B, T]``."""
    return pad_batch(rows, 0)[0]


class BertTokenClassificationInferDataset(Dataset):
    """Unlabelled queries (whitespace-separated words); batches ``(input_ids, segment_ids, input_mask,
    subtokens_mask)``."""

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {**bert_input_types(), "subtokens_mask": NeuralType(("B", "T"), MaskType())}

    def __init__(self, queries: Sequence[str], tokenizer: TokenizerSpec, max_seq_length: Optional[int] = -1) -> None:
        self.tokenizer = tokenizer
        self.features = [encode_words(tokenizer, q.split(), max_seq_length) for q in queries]

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, idx: int) -> Dict[str, List[int]]:
        return self.features[idx]

    def _collate_fn(self, batch: Sequence[Dict[str, List[int]]]) -> Tuple[torch.Tensor, ...]:
        input_ids, segment_ids, input_mask = pad_bert_inputs(self.tokenizer, [f["input_ids"] for f in batch])
        return input_ids, segment_ids, input_mask, pad_rows([f["subtokens_mask"] for f in batch])


class LabelledTokenDataset(BertTokenClassificationInferDataset):
    """Words with one or more label sets (``label_keys``); batches ``(input_ids, segment_ids, input_mask,
    subtokens_mask, loss_mask, <one tensor per label set>)``, padded to the batch's longest sequence."""

    label_keys: Tuple[str, ...] = ("labels",)

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        labels = {key: NeuralType(("B", "T"), LabelsType()) for key in self.label_keys}
        return {**super().output_types, "loss_mask": NeuralType(("B", "T"), MaskType()), **labels}

    def _encode_labelled(
        self,
        tokenizer: TokenizerSpec,
        text_file: str,
        words: Sequence[Sequence[str]],
        label_sets: Sequence[Sequence[Sequence[int]]],
        max_seq_length: Optional[int],
        ignore_extra_tokens: bool,
        ignore_start_end: bool,
    ) -> None:
        """Encode ``words`` with each label set (word label ids per line, in ``label_keys`` order)."""
        self.tokenizer = tokenizer
        self.features = [
            encode_words(tokenizer, w, max_seq_length, ignore_extra_tokens, ignore_start_end) for w in words
        ]
        for feature, *line_labels in zip(self.features, *label_sets):
            for key, ids in zip(self.label_keys, line_labels):
                feature[key] = token_labels(feature, ids)
        count_truncated(text_file, self.features, words, max_seq_length)

    def _collate_fn(self, batch: Sequence[Dict[str, List[int]]]) -> Tuple[torch.Tensor, ...]:
        inputs = super()._collate_fn(batch)
        return (*inputs, *(pad_rows([f[key] for f in batch]) for key in ("loss_mask", *self.label_keys)))


def label_id_lines(labels_file: str, tags: Sequence[Sequence[str]], label_ids: Dict[str, int]) -> List[List[int]]:
    """The ids of ``tags`` (labels per line), refusing labels the model has no id for."""
    check_known_labels(labels_file, tags, label_ids)
    return [[label_ids[t] for t in line] for line in tags]


class BertTokenClassificationDataset(LabelledTokenDataset):
    """Labelled examples for token classification; batches ``(input_ids, segment_ids, input_mask,
    subtokens_mask, loss_mask, labels)`` (the inputs as the unlabelled dataset's)."""

    def __init__(
        self,
        text_file: str,
        label_file: str,
        tokenizer: TokenizerSpec,
        label_ids: Dict[str, int],
        max_seq_length: Optional[int] = -1,
        num_samples: int = -1,
        ignore_extra_tokens: bool = False,
        ignore_start_end: bool = True,
    ) -> None:
        words, tags = read_token_classification_files(text_file, label_file)
        if num_samples is not None and num_samples > 0:
            words, tags = words[:num_samples], tags[:num_samples]
        self.label_ids = dict(label_ids)
        ids = label_id_lines(label_file, tags, label_ids)
        self._encode_labelled(tokenizer, text_file, words, [ids], max_seq_length, ignore_extra_tokens, ignore_start_end)
        self.all_labels = [label for line in tags for label in line]
