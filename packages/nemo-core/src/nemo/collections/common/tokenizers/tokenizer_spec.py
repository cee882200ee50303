"""``TokenizerSpec``: the interface every NeMo tokenizer implements, so datasets and models can swap them freely."""

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Union

__all__ = ["SpecialTokenId", "TokenizerSpec"]


class SpecialTokenId:
    """``tokenizer.<x>_id``: the id of ``tokenizer.<x>_token``, or ``None`` where the tokenizer has no such token.

    One descriptor instead of seven look-alike properties; a tokenizer with fixed ids sets ``pad_id = 256`` instead.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.token_attribute = name.removesuffix("_id") + "_token"

    def __get__(self, tokenizer: Optional["TokenizerSpec"], owner: Optional[type] = None) -> Any:
        if tokenizer is None:
            return self
        token = getattr(tokenizer, self.token_attribute, None)
        return None if token is None else tokenizer.tokens_to_ids([token])[0]


class TokenizerSpec(ABC):
    """Text <-> tokens <-> ids. Special-token ids are ``None`` where a tokenizer has no such token."""

    @abstractmethod
    def text_to_tokens(self, text: str) -> List[str]:
        """Split ``text`` into token strings."""

    @abstractmethod
    def tokens_to_text(self, tokens: List[str]) -> str:
        """Join token strings back into text."""

    @abstractmethod
    def tokens_to_ids(self, tokens: List[str]) -> List[int]:
        """Map token strings to vocabulary ids."""

    @abstractmethod
    def ids_to_tokens(self, ids: List[int]) -> List[str]:
        """Map vocabulary ids to token strings."""

    @abstractmethod
    def text_to_ids(self, text: str) -> List[int]:
        """Tokenize ``text`` straight to ids."""

    @abstractmethod
    def ids_to_text(self, ids: List[int]) -> str:
        """Decode ids to text."""

    def add_special_tokens(self, special_tokens: Union[List[str], Dict[str, Any]]) -> Any:
        """Add special tokens to the vocabulary; tokenizers that cannot grow their vocabulary say so."""
        raise NotImplementedError(f"{type(self).__name__} does not support adding special tokens")

    @property
    def name(self) -> str:
        """Name of the tokenizer, used in logs and configs."""
        return type(self).__name__

    @property
    def vocab_size(self) -> int:
        """Number of ids the tokenizer can produce, special tokens included."""
        try:
            return self._vocab_size
        except AttributeError:
            raise NotImplementedError(f"{type(self).__name__} does not set vocab_size") from None

    @vocab_size.setter
    def vocab_size(self, value: int) -> None:
        self._vocab_size = int(value)

    pad_id = SpecialTokenId()
    bos_id = SpecialTokenId()
    eos_id = SpecialTokenId()
    unk_id = SpecialTokenId()
    sep_id = SpecialTokenId()
    cls_id = SpecialTokenId()
    mask_id = SpecialTokenId()
