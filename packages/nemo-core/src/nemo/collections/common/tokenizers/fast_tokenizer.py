"""``FastTokenizer``: a ``TokenizerSpec`` over a pipeline of HuggingFace's Rust ``tokenizers`` library.

WordPiece (BERT), byte-level BPE (RoBERTa, GPT-2) and Unigram SentencePiece (ALBERT) pipelines differ only in how
they are built; special tokens, id lookups, decoding and BERT-style model inputs are the same code, here.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging

__all__ = ["FastTokenizer", "SPECIAL_TOKEN_NAMES"]

SPECIAL_TOKEN_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "bos_token", "eos_token")


class FastTokenizer(TokenizerSpec):
    """Wraps ``tokenizer`` (a ``tokenizers.Tokenizer``); ``special_tokens`` maps names such as ``sep_token`` to tokens.

    Special tokens are matched verbatim in the input text and never split; ones missing from the vocabulary are
    appended to it (with a warning), so a model using them must be resized to ``vocab_size``. ``pair_separators`` is
    how many ``sep_token`` end the first text of a pair: 1 for BERT (``[CLS] A [SEP] B [SEP]``), 2 for RoBERTa
    (``<s> A </s></s> B </s>``), whose segment ids are all 0 (``segment_ids=False``).
    """

    pair_separators = 1
    segment_ids = True

    def __init__(self, tokenizer: Any, special_tokens: Dict[str, str], source: str, lstrip: Sequence[str] = ()) -> None:
        self.tokenizer = tokenizer
        self.source = source
        self._lstrip = set(lstrip)
        self.all_special_tokens: List[str] = []
        for name in SPECIAL_TOKEN_NAMES:
            setattr(self, name, None)
        self.add_special_tokens(special_tokens)

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
            logging.warning(f"{new} added to the vocabulary of {self.source}; resize the model's embeddings")
        added = self.tokenizer.add_special_tokens(
            [AddedToken(t, special=True, normalized=False, lstrip=t in self._lstrip) for t in tokens]
        )
        self.all_special_tokens.extend(t for t in tokens if t not in self.all_special_tokens)
        return added

    def text_to_tokens(self, text: str) -> List[str]:
        return self.tokenizer.encode(text, add_special_tokens=False).tokens

    def text_to_ids(self, text: str) -> List[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def tokens_to_ids(self, tokens: Union[str, List[str]]) -> List[int]:
        """Unknown tokens map to the unknown token's id, as in the reference tokenizers."""
        if isinstance(tokens, str):
            tokens = [tokens]
        unk = self.tokenizer.token_to_id(self.unk_token) if self.unk_token is not None else None
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
        """The pipeline's decoder joins the tokens (byte-level BPE back to UTF-8, ``▁`` back to spaces)."""
        decoder = self.tokenizer.decoder
        return decoder.decode(list(tokens)) if decoder is not None else " ".join(tokens)

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
        """Model inputs for one text or a pair: ``cls A sep (sep B sep)`` (see the class docstring).

        With ``max_length`` the longer of the two texts loses its last token until everything fits (the second text
        on ties), as ``longest_first`` truncation does. Returns ``input_ids``, ``token_type_ids`` (0 for the first
        segment, 1 for the second where the model has segments) and ``attention_mask``.
        """
        first = self.text_to_ids(text)
        second = self.text_to_ids(text_pair) if text_pair is not None else None
        if max_length is not None:
            n_special = (2 if second is None else 2 + self.pair_separators) if add_special_tokens else 0
            first, second = _truncate_longest_first(first, second, max_length - n_special, max_length)
        if add_special_tokens:
            cls, sep = self.cls_id, self.sep_id
            if cls is None or sep is None:
                raise ValueError(
                    f"{type(self).__name__}: encode(add_special_tokens=True) needs cls_token and sep_token"
                )
            first = [cls, *first, sep] + ([sep] * (self.pair_separators - 1) if second is not None else [])
            second = None if second is None else [*second, sep]
        input_ids = first + (second or [])
        token_type_ids = [0] * len(first) + [int(self.segment_ids)] * len(second or [])
        return {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": [1] * len(input_ids)}


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
