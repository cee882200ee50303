"""Character tokenizer: every character of the vocabulary file is one token (character-level ASR and TTS)."""

from typing import Dict, List, Optional, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging
from nemo.utils.config_keys import refuse_unknown_keys

__all__ = ["CharTokenizer"]

# NeMo v1's constructor order, which is also the order special tokens are appended to the vocabulary.
SPECIAL_TOKEN_NAMES = ("mask_token", "bos_token", "eos_token", "pad_token", "sep_token", "cls_token", "unk_token")


class CharTokenizer(TokenizerSpec):
    """Tokens are single characters listed one per line in ``vocab_file`` (UTF-8; a line may hold a space).

    Special tokens given to the constructor are appended after the file's tokens (unless already there); they are
    never produced from text except ``unk_token``, which replaces out-of-vocabulary characters (without it they are
    dropped with a warning). Decoding removes special tokens.
    """

    def __init__(self, vocab_file: str, **special_tokens: Optional[str]) -> None:
        """``special_tokens``: any of ``SPECIAL_TOKEN_NAMES`` (``pad_token="<pad>"``); ``None`` values are skipped."""
        refuse_unknown_keys(special_tokens, SPECIAL_TOKEN_NAMES, type(self).__name__)
        self.vocab: Dict[str, int] = {}
        self.inv_vocab: Dict[int, str] = {}
        self.special_tokens: List[str] = []
        for name in SPECIAL_TOKEN_NAMES:
            setattr(self, name, None)
        try:
            with open(vocab_file, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except OSError as e:
            raise ValueError(f"{type(self).__name__}: cannot read vocab_file {vocab_file!r}: {e}") from e
        if lines and lines[-1] == "":
            lines.pop()  # the newline that ends the last line
        for number, line in enumerate(lines, start=1):
            token = self._token_from_line(line.removesuffix("\r"), vocab_file, number)
            if token not in self.vocab:
                self._append(token)
        given = {name: special_tokens.get(name) for name in SPECIAL_TOKEN_NAMES}  # appended in this order
        self.add_special_tokens({name: token for name, token in given.items() if token is not None})

    def _token_from_line(self, line: str, vocab_file: str, number: int) -> str:
        if len(line) != 1:
            raise ValueError(f"{vocab_file}:{number}: expected exactly one character per line, got {line!r}")
        return line

    def _split(self, text: str) -> List[str]:
        return list(text)

    def _join(self, tokens: List[str]) -> str:
        return "".join(tokens)

    def _append(self, token: str) -> None:
        self.vocab[token] = len(self.vocab)
        self.inv_vocab[self.vocab[token]] = token
        self.vocab_size = len(self.vocab)

    def add_special_tokens(self, special_tokens: Union[Dict[str, str], List[str]]) -> None:
        """Add tokens (a dict ``{"pad_token": "<pad>", ...}`` also sets the attributes); returns nothing."""
        if isinstance(special_tokens, dict):
            for name, token in special_tokens.items():
                if not isinstance(token, str) or not token:
                    raise ValueError(f"{type(self).__name__}: special token {name}={token!r} must be a non-empty str")
                setattr(self, name, token)
            tokens = list(special_tokens.values())
        else:
            tokens = list(special_tokens)
        for token in tokens:
            if token not in self.special_tokens:
                self.special_tokens.append(token)
            if token not in self.vocab:
                self._append(token)

    def text_to_tokens(self, text: str) -> List[str]:
        tokens = []
        for position, token in enumerate(self._split(text)):
            if token in self.vocab:
                tokens.append(token)
            elif self.unk_token is not None:
                tokens.append(self.unk_token)
            else:
                logging.warning(
                    f"{type(self).__name__}: {token!r} at position {position} is not in the vocabulary "
                    "and no unk_token is set; dropping it"
                )
        return tokens

    def tokens_to_text(self, tokens: List[str]) -> str:
        special = set(self.special_tokens)
        return self._join([t for t in tokens if t not in special])

    def tokens_to_ids(self, tokens: Union[str, List[str]]) -> List[int]:
        if isinstance(tokens, str):
            tokens = [tokens]
        try:
            return [self.vocab[t] for t in tokens]
        except KeyError as e:
            raise KeyError(f"{type(self).__name__}: token {e.args[0]!r} is not in the vocabulary") from None

    def ids_to_tokens(self, ids: List[int]) -> List[str]:
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        try:
            return [self.inv_vocab[int(i)] for i in ids]
        except KeyError as e:
            raise IndexError(
                f"{type(self).__name__}: id {e.args[0]} is outside the vocabulary (size {self.vocab_size})"
            ) from None

    def text_to_ids(self, text: str) -> List[int]:
        return self.tokens_to_ids(self.text_to_tokens(text))

    def ids_to_text(self, ids: List[int]) -> str:
        return self.tokens_to_text(self.ids_to_tokens(ids))
