"""Sentence classification data in NeMo v1's format: one ``sentence<TAB>label`` per line, label an integer id.

A first line whose label is not an integer (e.g. ``sentence<TAB>label``) is a header and skipped.
"""

import os
import random
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import ChannelType, LabelsType, MaskType, NeuralType

__all__ = [
    "TextClassificationDataset",
    "read_text_classification_file",
    "calc_class_weights",
    "pad_batch",
]


def read_text_classification_file(path: str) -> Tuple[List[str], List[int]]:
    """Sentences and integer labels of a ``sentence<TAB>label`` file (header line optional)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Text classification file {path!r} does not exist")
    sentences, labels = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            text, sep, label = line.rpartition("\t")
            if not sep:
                raise ValueError(f"{path}:{number}: expected 'sentence<TAB>label', got {line[:80]!r}")
            try:
                value = int(label)
            except ValueError:
                if number == 1 and not sentences:
                    continue  # header
                raise ValueError(f"{path}:{number}: label {label!r} is not an integer class id") from None
            if value < 0:
                raise ValueError(f"{path}:{number}: label {value} is negative")
            sentences.append(text.strip())
            labels.append(value)
    if not sentences:
        raise ValueError(f"{path}: no 'sentence<TAB>label' lines")
    return sentences, labels


def calc_class_weights(labels: Sequence[int], num_classes: int) -> List[float]:
    """Weights ``total / (num_classes * count_c)`` that balance the loss over classes (absent classes get 0)."""
    counts = torch.bincount(torch.as_tensor(list(labels), dtype=torch.long), minlength=num_classes).double()
    if counts.numel() > num_classes:
        raise ValueError(f"labels go up to {counts.numel() - 1} but num_classes is {num_classes}")
    total = counts.sum()
    weights = torch.where(counts > 0, total / (num_classes * counts.clamp(min=1)), torch.zeros_like(counts))
    return weights.tolist()


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into ``[B, T]`` ids and the ``[B, T]`` attention mask."""
    length = max(len(r) for r in rows)
    ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.as_tensor(list(row), dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def bert_input_types() -> Dict[str, NeuralType]:
    """Neural types of the ``(input_ids, segment_ids, input_mask)`` that every BERT dataset's batch starts with."""
    return {
        "input_ids": NeuralType(("B", "T"), ChannelType()),
        "segment_ids": NeuralType(("B", "T"), ChannelType()),
        "input_mask": NeuralType(("B", "T"), MaskType()),
    }


def pad_bert_inputs(
    tokenizer: TokenizerSpec, rows: Sequence[Sequence[int]]
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(input_ids, segment_ids, input_mask)`` of a batch of id lists: padded with the tokenizer's pad id (0 when
    it has none), one segment."""
    pad_id = tokenizer.pad_id if tokenizer.pad_id is not None else 0
    input_ids, input_mask = pad_batch(rows, pad_id)
    return input_ids, torch.zeros_like(input_ids), input_mask


class TextClassificationDataset(Dataset):
    """``[CLS] sentence [SEP]`` examples for sequence classification, from a file or from ``queries``.

    Batches are ``(input_ids, segment_ids, input_mask, label)``, padded to the longest in the batch; sentences are
    truncated to ``max_seq_length`` tokens (special ones included; -1 or None for no limit). ``num_samples`` > 0
    keeps that many examples (after shuffling with ``shuffle``). Query examples get label -1.
    """

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {**bert_input_types(), "label": NeuralType(("B",), LabelsType())}

    def __init__(
        self,
        tokenizer: TokenizerSpec,
        input_file: Optional[str] = None,
        queries: Optional[List[str]] = None,
        max_seq_length: Optional[int] = -1,
        num_samples: int = -1,
        shuffle: bool = False,
        seed: int = 42,
    ) -> None:
        if (input_file is None) == (queries is None):
            raise ValueError("TextClassificationDataset needs exactly one of input_file and queries")
        if input_file is not None:
            sentences, labels = read_text_classification_file(input_file)
        else:
            sentences, labels = list(queries), [-1] * len(queries)
        order = list(range(len(sentences)))
        if shuffle:
            random.Random(seed).shuffle(order)
        if num_samples is not None and num_samples > 0:
            order = order[:num_samples]
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length if max_seq_length and max_seq_length > 0 else None
        self.sentences = [sentences[i] for i in order]
        self.labels = [labels[i] for i in order]
        self.features = [self._encode(s) for s in self.sentences]

    def _encode(self, sentence: str) -> List[int]:
        ids = self.tokenizer.text_to_ids(sentence)
        if self.max_seq_length is not None:
            ids = ids[: self.max_seq_length - 2]
        return [self.tokenizer.cls_id, *ids, self.tokenizer.sep_id]

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, idx: int) -> Tuple[List[int], int]:
        return self.features[idx], self.labels[idx]

    def _collate_fn(self, batch: Sequence[Tuple[List[int], int]]) -> Tuple[torch.Tensor, ...]:
        labels = torch.as_tensor([label for _, label in batch], dtype=torch.long)
        return (*pad_bert_inputs(self.tokenizer, [ids for ids, _ in batch]), labels)
