"""BERT WordPiece tokenizer read from a ``vocab.txt``, with the ids of the reference BERT tokenizer.

NeMo v1 got this from HuggingFace ``transformers``; here HF's Rust ``tokenizers`` library does the normalising
(cleaning, lower-casing, accent stripping, CJK spacing), the splitting on whitespace and punctuation and the greedy
longest-match WordPiece, so ``transformers`` is not needed at run time.
"""

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging

__all__ = ["BertWordPieceTokenizer", "read_wordpiece_vocab"]

_SPECIAL_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "bos_token", "eos_token")


def read_wordpiece_vocab(vocab_file: str) -> Dict[str, int]:
    """Token -> id, the id being the line number from 0 (as BERT reads it: a repeated token keeps its last line)."""
    if not vocab_file or not os.path.isfile(vocab_file):
        raise ValueError(f"WordPiece vocab_file {vocab_file!r} is not an existing file")
    with open(vocab_file, encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): index for index, line in enumerate(f)}
    if not vocab:
        raise ValueError(f"WordPiece vocab_file {vocab_file!r} is empty")
    return vocab


class BertWordPieceTokenizer(TokenizerSpec):
    """Uncased or cased BERT tokenization of ``vocab_file`` (one token per line, id = line number).

    ``strip_accents=None`` strips accents exactly when lower-casing, as BERT does. Special tokens are matched verbatim
    in the input text and never split; ones missing from the vocabulary are appended to it (with a warning), so a
    model using them must be resized to ``vocab_size``.
    """

    def __init__(
        self,
        vocab_file: str,
        do_lower_case: bool = True,
        strip_accents: Optional[bool] = None,
        tokenize_chinese_chars: bool = True,
        unk_token: str = "[UNK]",
        sep_token: str = "[SEP]",
        pad_token: str = "[PAD]",
        cls_token: str = "[CLS]",
        mask_token: str = "[MASK]",
        bos_token: Optional[str] = None,
        eos_token: Optional[str] = None,
        max_input_chars_per_word: int = 100,
    ) -> None:
        from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

        vocab = read_wordpiece_vocab(vocab_file)
        if unk_token not in vocab:
            raise ValueError(f"{vocab_file}: the unknown token {unk_token!r} is not in the vocabulary")
        self.vocab_file = vocab_file
        self.do_lower_case = do_lower_case
        model = models.WordPiece(vocab, unk_token=unk_token, max_input_chars_per_word=max_input_chars_per_word)
        self.tokenizer = Tokenizer(model)
        self.tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=tokenize_chinese_chars,
            strip_accents=strip_accents,
            lowercase=do_lower_case,
        )
        self.tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        self.all_special_tokens: List[str] = []
        for name in _SPECIAL_NAMES:
            setattr(self, name, None)
        given = dict(
            unk_token=unk_token, sep_token=sep_token, pad_token=pad_token, cls_token=cls_token,
            mask_token=mask_token, bos_token=bos_token, eos_token=eos_token,
        )
        self.add_special_tokens({name: token for name, token in given.items() if token is not None})

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def vocab(self) -> List[str]:
        """Tokens in id order (added tokens last)."""
        return [self.tokenizer.id_to_token(i) or "" for i in range(self.vocab_size)]

    def add_special_tokens(self, special_tokens: Union[Dict[str, Union[str, List[str]]], List[str]]) -> int:
        """Register special tokens: ``{"sep_token": "[SEP]", "additional_special_tokens": [...]}`` or a list.

        Named tokens also set the ``<name>`` attribute. Returns how many tokens were new to the vocabulary.
        """
        from tokenizers import AddedToken

        if isinstance(special_tokens, dict):
            tokens: List[str] = []
            for name, value in special_tokens.items():
                values = list(value) if isinstance(value, (list, tuple)) else [value]
                if not all(isinstance(v, str) and v for v in values):
                    raise ValueError(f"{type(self).__name__}: special token {name}={value!r} must be non-empty str")
                if name != "additional_special_tokens":
                    setattr(self, name, values[0])
                tokens.extend(values)
        else:
            tokens = list(special_tokens)
        new = [t for t in tokens if self.tokenizer.token_to_id(t) is None]
        if new:
            logging.warning(f"{new} added to the vocabulary of {self.vocab_file}; resize the model's embeddings")
        added = self.tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in tokens])
        self.all_special_tokens.extend(t for t in tokens if t not in self.all_special_tokens)
        return added

    def text_to_tokens(self, text: str) -> List[str]:
        return self.tokenizer.encode(text, add_special_tokens=False).tokens

    def text_to_ids(self, text: str) -> List[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def tokens_to_ids(self, tokens: Union[str, List[str]]) -> List[int]:
        """Unknown tokens map to the unknown token's id, as in BERT."""
        if isinstance(tokens, str):
            tokens = [tokens]
        unk = self.tokenizer.token_to_id(self.unk_token)
        ids = (self.tokenizer.token_to_id(t) for t in tokens)
        return [unk if i is None else i for i in ids]

    def token_to_id(self, token: str) -> int:
        return self.tokens_to_ids([token])[0]

    def ids_to_tokens(self, ids: List[int]) -> List[str]:
        tokens = []
        for i in (int(i) for i in (ids.tolist() if hasattr(ids, "tolist") else ids)):
            token = self.tokenizer.id_to_token(i) if i >= 0 else None
            if token is None:
                raise IndexError(f"{type(self).__name__}: id {i} is outside the vocabulary (size {self.vocab_size})")
            tokens.append(token)
        return tokens

    def tokens_to_text(self, tokens: List[str]) -> str:
        """Join tokens with spaces and glue ``##`` continuation pieces to the previous token."""
        return " ".join(tokens).replace(" ##", "").strip()

    def ids_to_text(self, ids: List[int]) -> str:
        special = set(self.all_special_tokens)
        return self.tokens_to_text([t for t in self.ids_to_tokens(ids) if t not in special])

    def encode(
        self,
        text: str,
        text_pair: Optional[str] = None,
        add_special_tokens: bool = True,
        max_length: Optional[int] = None,
    ) -> Dict[str, List[int]]:
        """BERT model inputs for one text or a pair: ``[CLS] A [SEP] (B [SEP])``.

        With ``max_length`` the longer of the two texts loses its last token until everything fits (the second text
        on ties), as BERT's ``longest_first`` truncation does. Returns ``input_ids``, ``token_type_ids`` (0 for the
        first segment, 1 for the second) and ``attention_mask``.
        """
        first = self.text_to_ids(text)
        second = self.text_to_ids(text_pair) if text_pair is not None else None
        if max_length is not None:
            n_special = (2 if second is None else 3) if add_special_tokens else 0
            first, second = _truncate_longest_first(first, second, max_length - n_special, max_length)
        if add_special_tokens:
            cls, sep = self.cls_id, self.sep_id
            if cls is None or sep is None:
                raise ValueError(f"{type(self).__name__}: encode(add_special_tokens=True) needs cls_token and sep_token")
            first = [cls, *first, sep]
            second = None if second is None else [*second, sep]
        input_ids = first + (second or [])
        token_type_ids = [0] * len(first) + [1] * len(second or [])
        return {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": [1] * len(input_ids)}

    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        """Write the vocabulary (added tokens included) as ``[<prefix>-]vocab.txt``; returns ``(path,)``."""
        os.makedirs(save_directory, exist_ok=True)
        path = os.path.join(save_directory, f"{filename_prefix}-vocab.txt" if filename_prefix else "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{token}\n" for token in self.vocab)
        return (path,)


def _truncate_longest_first(
    first: Sequence[int], second: Optional[Sequence[int]], budget: int, max_length: int
) -> Tuple[List[int], Optional[List[int]]]:
    if budget < 0:
        raise ValueError(f"max_length={max_length} leaves no room for the special tokens")
    first, second = list(first), None if second is None else list(second)
    if second is None:
        return first[:budget], None
    excess = len(first) + len(second) - budget
    if excess <= 0:
        return first, second
    # Take tokens off the longer side until both are equally long, then alternately (the second text first).
    gap = min(abs(len(first) - len(second)), excess)
    rest = excess - gap
    cut_first = (gap if len(first) > len(second) else 0) + rest // 2
    cut_second = excess - cut_first
    return first[: len(first) - cut_first], second[: len(second) - cut_second]
