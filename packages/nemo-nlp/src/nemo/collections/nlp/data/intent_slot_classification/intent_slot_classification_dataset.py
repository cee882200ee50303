"""Joint intent and slot data in NeMo v1's format, all in one ``data_dir``:

* ``dict.intents.csv`` and ``dict.slots.csv``: one label name per line, the line number (from 0) is its id; the slot
  named ``O`` (v1's ``none_slot_label``) marks words outside any slot;
* ``<prefix>.tsv``: a ``sentence<TAB>label`` header, then one ``sentence<TAB>intent id`` per line;
* ``<prefix>_slots.tsv``: for line *i* of the sentences, one slot id per word.
"""

import os
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    bert_input_types,
    pad_bert_inputs,
    read_text_classification_file,
)
from nemo.collections.nlp.data.token_classification.token_classification_dataset import (
    BertTokenClassificationInferDataset,
    count_truncated,
    encode_words,
    pad_rows,
    token_labels,
)
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import LabelsType, MaskType, NeuralType

__all__ = [
    "IntentSlotClassificationDataset",
    "IntentSlotInferenceDataset",
    "read_intent_slot_dicts",
    "read_intent_slot_files",
]

NONE_SLOT_LABEL = "O"

# v1's inference dataset gives the inputs and the sub-token mask of the queries (the first sub-token of each word
# carries the word's slot).
IntentSlotInferenceDataset = BertTokenClassificationInferDataset


def _read_dict(path: str) -> List[str]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Intent/slot dictionary {path!r} does not exist")
    with open(path, encoding="utf-8") as f:
        names = [line.strip() for line in f]
    while names and not names[-1]:
        names.pop()
    for number, name in enumerate(names, start=1):
        if not name:
            raise ValueError(f"{path}:{number}: empty label name (one name per line, its line number is its id)")
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: repeated label names {sorted({n for n in names if names.count(n) > 1})}")
    return names


def read_intent_slot_dicts(data_dir: str) -> Tuple[List[str], List[str]]:
    """``(intent labels, slot labels)`` from ``dict.intents.csv``/``dict.slots.csv`` (index = id); the slots must
    have ``O``."""
    intents = _read_dict(os.path.join(data_dir, "dict.intents.csv"))
    slots = _read_dict(os.path.join(data_dir, "dict.slots.csv"))
    if NONE_SLOT_LABEL not in slots:
        raise ValueError(
            f"{os.path.join(data_dir, 'dict.slots.csv')}: no '{NONE_SLOT_LABEL}' slot (words outside slots)"
        )
    return intents, slots


def read_intent_slot_files(
    input_file: str, slot_file: str, num_intents: int, num_slots: int
) -> Tuple[List[List[str]], List[int], List[List[int]]]:
    """``(words, intent ids, slot ids per word)``; an id out of range or a slot count that differs from the word
    count is refused naming ``file:line``."""
    sentences, intents = read_text_classification_file(input_file)
    if not os.path.isfile(slot_file):
        raise FileNotFoundError(f"Slot file {slot_file!r} does not exist")
    with open(slot_file, encoding="utf-8") as f:
        slot_lines = [line.split() for line in f if line.strip()]
    if len(slot_lines) != len(sentences):
        raise ValueError(f"{input_file} has {len(sentences)} sentences but {slot_file} has {len(slot_lines)} lines")
    words, slots = [], []
    for number, (sentence, intent, line) in enumerate(zip(sentences, intents, slot_lines), start=1):
        if intent >= num_intents:
            raise ValueError(f"{input_file}: sentence {number}: intent {intent} is not below the {num_intents} intents")
        try:
            ids = [int(t) for t in line]
        except ValueError:
            raise ValueError(f"{slot_file}:{number}: slot ids must be integers, got {' '.join(line)[:80]!r}") from None
        w = sentence.split()
        if len(ids) != len(w):
            raise ValueError(f"{slot_file}:{number}: {len(ids)} slots for the {len(w)} words of {sentence[:60]!r}")
        if any(not 0 <= i < num_slots for i in ids):
            raise ValueError(f"{slot_file}:{number}: slot ids {ids} are not all in [0, {num_slots})")
        words.append(w)
        slots.append(ids)
    return words, intents, slots


class IntentSlotClassificationDataset(Dataset):
    """Labelled queries; batches ``(input_ids, segment_ids, input_mask, loss_mask, subtokens_mask, intent_labels,
    slot_labels)`` (v1's order). ``pad_label`` is the slot id of ``[CLS]``/``[SEP]`` (v1: the ``O`` slot)."""

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            **bert_input_types(),
            "loss_mask": NeuralType(("B", "T"), MaskType()),
            "subtokens_mask": NeuralType(("B", "T"), MaskType()),
            "intent_labels": NeuralType(("B",), LabelsType()),
            "slot_labels": NeuralType(("B", "T"), LabelsType()),
        }

    def __init__(
        self,
        input_file: str,
        slot_file: str,
        max_seq_length: Optional[int],
        tokenizer: TokenizerSpec,
        num_intents: int,
        num_slots: int,
        num_samples: int = -1,
        pad_label: int = 0,
        ignore_extra_tokens: bool = False,
        ignore_start_end: bool = False,
    ) -> None:
        words, intents, slots = read_intent_slot_files(input_file, slot_file, num_intents, num_slots)
        if num_samples is not None and num_samples > 0:
            words, intents, slots = words[:num_samples], intents[:num_samples], slots[:num_samples]
        self.tokenizer = tokenizer
        self.intents = intents
        self.features = [
            encode_words(tokenizer, w, max_seq_length, ignore_extra_tokens, ignore_start_end) for w in words
        ]
        for feature, ids in zip(self.features, slots):
            feature["slots"] = token_labels(feature, ids, pad_label)
        count_truncated(input_file, self.features, words, max_seq_length)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, idx: int) -> Tuple[Dict[str, List[int]], int]:
        return self.features[idx], self.intents[idx]

    def _collate_fn(self, batch: Sequence[Tuple[Dict[str, List[int]], int]]) -> Tuple[torch.Tensor, ...]:
        features = [f for f, _ in batch]
        inputs = pad_bert_inputs(self.tokenizer, [f["input_ids"] for f in features])
        masks = [pad_rows([f[key] for f in features]) for key in ("loss_mask", "subtokens_mask")]
        intents = torch.as_tensor([intent for _, intent in batch], dtype=torch.long)
        return (*inputs, *masks, intents, pad_rows([f["slots"] for f in features]))
