"""Parallel-text dataset for machine translation, packed into batches by token count (``tokens_in_batch``).

Every item of ``TranslationDataset`` is a whole batch of similar-length sentence pairs, so it is used with a
``DataLoader(batch_size=1)`` and the model squeezes the extra leading dimension.
"""

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.core.classes.dataset import Dataset

__all__ = ["TranslationDataConfig", "TranslationDataset", "read_parallel_text"]


@dataclass
class TranslationDataConfig:
    """The ``train_ds``/``validation_ds``/``test_ds`` keys of ``MTEncDecModel``."""

    src_file_name: Optional[Any] = None  # a file, or (validation/test) a list of files: one loader per pair
    tgt_file_name: Optional[Any] = None
    tokens_in_batch: int = 512
    clean: bool = False
    max_seq_length: int = 512
    cache_ids: bool = False
    cache_data_per_node: bool = False
    use_cache: bool = False
    shuffle: bool = False
    num_samples: int = -1
    drop_last: bool = False
    pin_memory: bool = False
    num_workers: int = 8
    load_from_cached_dataset: bool = False
    reverse_lang_direction: bool = False


def read_parallel_text(src_file_name: str, tgt_file_name: str) -> Tuple[List[str], List[str]]:
    """Read two line-aligned text files; a different number of lines is an error naming both files."""
    with open(src_file_name, encoding="utf-8") as f:
        src = [line.rstrip("\n") for line in f]
    with open(tgt_file_name, encoding="utf-8") as f:
        tgt = [line.rstrip("\n") for line in f]
    if len(src) != len(tgt):
        raise ValueError(
            f"Parallel files must have the same number of lines: {src_file_name} has {len(src)}, "
            f"{tgt_file_name} has {len(tgt)}"
        )
    return src, tgt


class TranslationDataset(Dataset):
    """Tokenised sentence pairs grouped into padded batches of at most ``tokens_in_batch`` tokens.

    A batch's size is counted as ``num_sentences * (longest source + longest target)``; pairs are sorted by length
    first so that little padding is needed. A single pair longer than the budget forms a batch of its own.

    Args:
        src_texts, tgt_texts: aligned sentences (see ``read_parallel_text``).
        src_tokenizer, tgt_tokenizer: tokenizers with ``text_to_ids``, ``bos_id``, ``eos_id``, ``pad_id``.
        tokens_in_batch: token budget per batch.
        clean: drop pairs where a side has more than ``max_seq_length`` tokens or is empty.
        max_seq_length: length limit (with ``bos``/``eos``) used by ``clean``.
        num_samples: keep only the first ``num_samples`` pairs (-1: all).
        reverse_lang_direction: swap source and target.
    """

    def __init__(
        self,
        src_texts: Sequence[str],
        tgt_texts: Sequence[str],
        src_tokenizer: TokenizerSpec,
        tgt_tokenizer: TokenizerSpec,
        tokens_in_batch: int = 512,
        clean: bool = False,
        max_seq_length: int = 512,
        num_samples: int = -1,
        reverse_lang_direction: bool = False,
    ):
        if len(src_texts) != len(tgt_texts):
            raise ValueError(f"TranslationDataset: {len(src_texts)} source but {len(tgt_texts)} target sentences")
        if tokens_in_batch < 1:
            raise ValueError(f"tokens_in_batch must be >= 1, got {tokens_in_batch}")
        if reverse_lang_direction:
            src_texts, tgt_texts = tgt_texts, src_texts
            src_tokenizer, tgt_tokenizer = tgt_tokenizer, src_tokenizer
        if num_samples is not None and num_samples >= 0:
            src_texts, tgt_texts = src_texts[:num_samples], tgt_texts[:num_samples]
        self.tokens_in_batch = tokens_in_batch
        self.src_pad_id = _special_id(src_tokenizer, "pad_id")
        self.tgt_pad_id = _special_id(tgt_tokenizer, "pad_id")
        src_ids = [_with_bos_eos(src_tokenizer, text) for text in src_texts]
        tgt_ids = [_with_bos_eos(tgt_tokenizer, text) for text in tgt_texts]
        keep = range(len(src_ids))
        if clean:
            keep = [i for i in keep if 2 < len(src_ids[i]) <= max_seq_length and 2 < len(tgt_ids[i]) <= max_seq_length]
        self.src_ids = [src_ids[i] for i in keep]
        self.tgt_ids = [tgt_ids[i] for i in keep]
        self.batch_indices = self._pack(self.src_ids, self.tgt_ids, tokens_in_batch)

    @staticmethod
    def _pack(src_ids: List[List[int]], tgt_ids: List[List[int]], tokens_in_batch: int) -> List[List[int]]:
        order = sorted(range(len(src_ids)), key=lambda i: (len(src_ids[i]), len(tgt_ids[i]), i))
        batches: List[List[int]] = []
        current: List[int] = []
        max_src = max_tgt = 0
        for i in order:
            new_src, new_tgt = max(max_src, len(src_ids[i])), max(max_tgt, len(tgt_ids[i]))
            if current and (len(current) + 1) * (new_src + new_tgt) > tokens_in_batch:
                batches.append(current)
                current, new_src, new_tgt = [], len(src_ids[i]), len(tgt_ids[i])
            current.append(i)
            max_src, max_tgt = new_src, new_tgt
        if current:
            batches.append(current)
        return batches

    def __len__(self) -> int:
        return len(self.batch_indices)

    def __getitem__(self, idx: int) -> Tuple[np.ndarray, ...]:
        """``(src_ids, src_mask, tgt_ids, tgt_mask, labels, sent_ids)``; ``tgt_ids``/``labels`` are the target
        without its last / first token (teacher forcing)."""
        batch = self.batch_indices[idx]
        src = _pad([self.src_ids[i] for i in batch], self.src_pad_id)
        tgt = _pad([self.tgt_ids[i] for i in batch], self.tgt_pad_id)
        tgt_in, labels = tgt[:, :-1], tgt[:, 1:]
        src_mask = (src != self.src_pad_id).astype(np.int64)
        tgt_mask = (tgt_in != self.tgt_pad_id).astype(np.int64)
        return src, src_mask, tgt_in, tgt_mask, labels, np.asarray(batch, dtype=np.int64)


def _special_id(tokenizer: TokenizerSpec, name: str) -> int:
    value = getattr(tokenizer, name, None)
    if value is None or value < 0:
        raise ValueError(
            f"Translation needs a tokenizer with {name} defined; {type(tokenizer).__name__} has {name}={value!r} "
            "(train SentencePiece models with bos, eos and pad enabled)"
        )
    return int(value)


def _with_bos_eos(tokenizer: TokenizerSpec, text: str) -> List[int]:
    return [_special_id(tokenizer, "bos_id"), *tokenizer.text_to_ids(text), _special_id(tokenizer, "eos_id")]


def _pad(rows: List[List[int]], pad_id: int) -> np.ndarray:
    out = np.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out
