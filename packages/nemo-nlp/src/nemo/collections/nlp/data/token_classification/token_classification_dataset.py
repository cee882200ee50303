"""Token classification data in NeMo v1's NER format: ``text.txt`` (words) and ``labels.txt`` (one label per word).

Line *i* of the labels file labels the whitespace-separated words of line *i* of the text file. Each word is split
into WordPiece sub-tokens; the word's label goes to its first sub-token (and, unless ``ignore_extra_tokens``, to the
others as well), and ``subtokens_mask`` marks the first sub-tokens, whose predictions are the word predictions.
"""

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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
    "get_label_ids",
    "read_token_classification_files",
]


def _read_lines(path: str) -> List[str]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Token classification file {path!r} does not exist")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def read_token_classification_files(text_file: str, labels_file: str) -> Tuple[List[List[str]], List[List[str]]]:
    """Words and labels per line, checked to have one label per word (blank line pairs are skipped)."""
    texts, labels = _read_lines(text_file), _read_lines(labels_file)
    if len(texts) != len(labels):
        raise ValueError(f"{text_file} has {len(texts)} lines but {labels_file} has {len(labels)}")
    words, tags = [], []
    for number, (text, label) in enumerate(zip(texts, labels), start=1):
        w, t = text.split(), label.split()
        if len(w) != len(t):
            raise ValueError(f"{labels_file}:{number}: {len(t)} labels for the {len(w)} words of {text_file}:{number}")
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
    label_ids: Optional[Sequence[int]] = None,
    ignore_extra_tokens: bool = False,
    ignore_start_end: bool = True,
) -> Dict[str, List[int]]:
    """``[CLS] pieces [SEP]`` with subtokens/loss masks and (given word labels) per-sub-token labels."""
    input_ids, subtokens, loss, labels = [tokenizer.cls_id], [0], [int(not ignore_start_end)], [0]
    budget = None if not max_seq_length or max_seq_length <= 0 else max_seq_length - 2
    for index, pieces in enumerate(_word_pieces(tokenizer, words)):
        if budget is not None and len(input_ids) - 1 + len(pieces) > budget:
            break
        for position, piece in enumerate(pieces):
            input_ids.append(piece)
            subtokens.append(int(position == 0))
            loss.append(int(position == 0 or not ignore_extra_tokens))
            labels.append(label_ids[index] if label_ids is not None else 0)
    input_ids.append(tokenizer.sep_id)
    subtokens.append(0)
    loss.append(int(not ignore_start_end))
    labels.append(0)
    return {"input_ids": input_ids, "subtokens_mask": subtokens, "loss_mask": loss, "labels": labels}


def _pad(rows: Sequence[Sequence[int]]) -> torch.Tensor:
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
        return input_ids, segment_ids, input_mask, _pad([f["subtokens_mask"] for f in batch])


class BertTokenClassificationDataset(BertTokenClassificationInferDataset):
    """Labelled examples for token classification; batches ``(input_ids, segment_ids, input_mask,
    subtokens_mask, loss_mask, labels)``, padded to the batch's longest sequence (the inputs as the unlabelled
    dataset's)."""

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            **super().output_types,
            "loss_mask": NeuralType(("B", "T"), MaskType()),
            "labels": NeuralType(("B", "T"), LabelsType()),
        }

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
        unknown = sorted({t for line in tags for t in line} - set(label_ids))
        if unknown:
            raise ValueError(f"{label_file}: labels {unknown} are not in the model's label_ids {sorted(label_ids)}")
        self.tokenizer = tokenizer
        self.label_ids = dict(label_ids)
        self.features = [
            encode_words(
                tokenizer, w, max_seq_length, [label_ids[t] for t in line], ignore_extra_tokens, ignore_start_end
            )
            for w, line in zip(words, tags)
        ]
        truncated = sum(sum(f["subtokens_mask"]) < len(w) for f, w in zip(self.features, words))
        if truncated:
            logging.warning(f"{text_file}: {truncated} lines were cut to max_seq_length={max_seq_length} sub-tokens")
        self.all_labels = [label for line in tags for label in line]

    def _collate_fn(self, batch: Sequence[Dict[str, List[int]]]) -> Tuple[torch.Tensor, ...]:
        inputs = super()._collate_fn(batch)
        return (*inputs, _pad([f["loss_mask"] for f in batch]), _pad([f["labels"] for f in batch]))
