"""``BertPretrainingDataset``: masked-LM and next-sentence examples drawn from plain text, as NeMo v1 made them.

Each line of the text file(s) is a passage (blank lines are skipped). An example is ``[CLS] A [SEP] B [SEP]``:
``A`` starts at a random line (following lines appended until it is long enough), ``B`` continues it half of the
time (``is_next`` 1) and starts at a random line otherwise. Whole words (a token plus its ``##`` pieces) are masked
with probability ``mask_prob``, BERT's way: 80% ``[MASK]``, 10% a random token, 10% kept; ``output_mask`` marks them.
Sampling uses Python's ``random`` (seeded per worker by PyTorch and by ``seed_everything``), as v1 did.
"""

import os
import random
from typing import Dict, List, Optional, Tuple, Union

import torch

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.core.classes.dataset import Dataset
from nemo.core.neural_types import ChannelType, LabelsType, MaskType, NeuralType

__all__ = ["BertPretrainingDataset", "read_passages"]

# [CLS], the [SEP] after A and the one after B.
_NUM_SPECIAL_TOKENS = 3


def read_passages(path: str) -> List[Tuple[int, str]]:
    """``(line number, text)`` of every non-blank line of ``path``; a line that is not UTF-8 is refused at file:line."""
    passages = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}:{number}: not UTF-8 text ({err.reason} at byte {err.start})") from None
            if text:
                passages.append((number, text))
    return passages


class BertPretrainingDataset(Dataset):
    """Masked-LM (and next-sentence) examples from ``data_file``: one text file, or a directory of them.

    Args:
        tokenizer: a tokenizer with ``[CLS]``, ``[SEP]``, ``[MASK]`` and ``[PAD]`` tokens.
        data_file: text file (one passage per line) or directory of such files.
        max_seq_length: length of every example, special tokens included (padded with ``[PAD]``).
        mask_prob: probability that a whole word is chosen for prediction.
        short_seq_prob: probability that an example aims at a random shorter length (as BERT's pretraining).
        seq_a_ratio: share of the target length given to ``A``.
        num_samples: examples per epoch; None or -1: one per passage.
    """

    @property
    def output_types(self) -> Optional[Dict[str, NeuralType]]:
        return {
            "input_ids": NeuralType(("B", "T"), ChannelType()),
            "input_type_ids": NeuralType(("B", "T"), ChannelType()),
            "input_mask": NeuralType(("B", "T"), MaskType()),
            "output_ids": NeuralType(("B", "T"), LabelsType()),
            "output_mask": NeuralType(("B", "T"), MaskType()),
            "labels": NeuralType(tuple("B"), LabelsType()),
        }

    def __init__(
        self,
        tokenizer: TokenizerSpec,
        data_file: Union[str, os.PathLike],
        max_seq_length: int,
        mask_prob: float = 0.15,
        short_seq_prob: float = 0.1,
        seq_a_ratio: float = 0.6,
        num_samples: Optional[int] = None,
    ) -> None:
        if max_seq_length < _NUM_SPECIAL_TOKENS + 2:
            raise ValueError(f"max_seq_length={max_seq_length}: expected >= 5 ([CLS] A [SEP] B [SEP], one token each)")
        for name, value in (("mask_prob", mask_prob), ("short_seq_prob", short_seq_prob)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value}: expected a probability in [0, 1]")
        if not 0.0 < seq_a_ratio < 1.0:
            raise ValueError(f"seq_a_ratio={seq_a_ratio}: expected a share in (0, 1)")
        special = {name: getattr(tokenizer, f"{name}_id", None) for name in ("cls", "sep", "mask", "pad")}
        missing = [name for name, token_id in special.items() if token_id is None]
        if missing:
            raise ValueError(f"BertPretrainingDataset: the tokenizer has no {', '.join(missing)} token")
        self.tokenizer = tokenizer
        self.cls_id, self.sep_id, self.mask_id, self.pad_id = special.values()
        self.max_seq_length = max_seq_length
        self.mask_prob = mask_prob
        self.short_seq_prob = short_seq_prob
        self.seq_a_ratio = seq_a_ratio
        self.vocab_size = tokenizer.vocab_size
        self.documents = self._read_documents(data_file)
        self.num_passages = sum(len(doc) for doc in self.documents)
        self.num_samples = self.num_passages if num_samples is None or num_samples < 0 else num_samples
        # Token ids that continue the previous word (WordPiece ``##`` pieces): masked together with it.
        vocab = tokenizer.ids_to_tokens(list(range(self.vocab_size)))
        self._continues = frozenset(i for i, token in enumerate(vocab) if token.startswith("##"))

    def _read_documents(self, data_file: Union[str, os.PathLike]) -> List[List[List[int]]]:
        """Token ids of each passage, one list per file (``A`` and its continuation come from one file)."""
        if os.path.isdir(data_file):
            paths = sorted(os.path.join(data_file, name) for name in os.listdir(data_file))
            paths = [path for path in paths if os.path.isfile(path)]
        elif os.path.isfile(data_file):
            paths = [data_file]
        else:
            raise FileNotFoundError(f"data_file={data_file!r}: no such file or directory")
        documents = []
        for path in paths:
            passages = [self.tokenizer.text_to_ids(text) for _, text in read_passages(path)]
            passages = [ids for ids in passages if ids]
            if passages:
                documents.append(passages)
        if not documents:
            raise ValueError(f"data_file={data_file!r}: no text (every line is blank)")
        return documents

    def __len__(self) -> int:
        return self.num_samples

    def _segment(self, doc: int, line: int, length: int) -> Tuple[List[int], int]:
        """Tokens from ``line`` of document ``doc`` on, following lines appended until ``length`` tokens (or the
        document's end); returns them and the last line used."""
        passages = self.documents[doc]
        ids = list(passages[line])
        while len(ids) < length and line + 1 < len(passages):
            line += 1
            ids.extend(passages[line])
        return ids, line

    def _random_line(self) -> Tuple[int, int]:
        doc = random.randrange(len(self.documents))
        return doc, random.randrange(len(self.documents[doc]))

    def __getitem__(self, idx: int) -> Tuple[torch.Tensor, ...]:
        max_tokens = self.max_seq_length - _NUM_SPECIAL_TOKENS
        target = max_tokens
        if random.random() < self.short_seq_prob:
            target = random.randint(2, max_tokens)
        target_a = max(1, int(round(target * self.seq_a_ratio)))
        target_b = max(1, target - target_a)

        doc, line = self._random_line()
        a_ids, a_last = self._segment(doc, line, target_a)
        is_next = a_last + 1 < len(self.documents[doc]) and random.random() < 0.5
        b_doc, b_line = (doc, a_last + 1) if is_next else self._random_line()
        b_ids, _ = self._segment(b_doc, b_line, target_b)
        _truncate_pair(a_ids, b_ids, max_tokens)

        output_ids = [self.cls_id, *a_ids, self.sep_id, *b_ids, self.sep_id]
        input_ids, output_mask = self.mask_ids(output_ids)
        length = len(output_ids)
        padding = self.max_seq_length - length
        input_type_ids = [0] * (len(a_ids) + 2) + [1] * (len(b_ids) + 1) + [0] * padding
        return (
            torch.tensor(input_ids + [self.pad_id] * padding),
            torch.tensor(input_type_ids),
            torch.tensor([1] * length + [0] * padding),
            torch.tensor(output_ids + [self.pad_id] * padding),
            torch.tensor(output_mask + [0.0] * padding),
            torch.tensor(int(is_next)),
        )

    def mask_ids(self, ids: List[int]) -> Tuple[List[int], List[float]]:
        """``ids`` with whole words masked BERT's way (80% ``[MASK]``, 10% random token, 10% unchanged) and the
        mask of the positions to predict; ``[CLS]``/``[SEP]`` are never chosen."""
        words: List[List[int]] = []
        for token_id in ids:
            if words and token_id in self._continues:
                words[-1].append(token_id)
            else:
                words.append([token_id])
        masked: List[int] = []
        output_mask: List[float] = []
        for word in words:
            if word[0] in (self.cls_id, self.sep_id) or random.random() >= self.mask_prob:
                masked.extend(word)
                output_mask.extend([0.0] * len(word))
                continue
            output_mask.extend([1.0] * len(word))
            p = random.random()
            if p < 0.8:
                masked.extend([self.mask_id] * len(word))
            elif p < 0.9:
                masked.extend(self._random_token() for _ in word)
            else:
                masked.extend(word)
        return masked, output_mask

    def _random_token(self) -> int:
        while True:
            token_id = random.randrange(self.vocab_size)
            if token_id not in (self.cls_id, self.sep_id):
                return token_id


def _truncate_pair(a: List[int], b: List[int], max_tokens: int) -> None:
    """Cut tokens off the longer of ``a``/``b`` (front or back at random) until both fit in ``max_tokens``."""
    while len(a) + len(b) > max_tokens:
        longer = a if len(a) > len(b) else b
        del longer[0 if random.random() < 0.5 else -1]
