"""Byte-level tokenizer: ids are the UTF-8 bytes of the text, so no vocabulary file is needed (NMT baseline)."""

from typing import List, Union

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec

__all__ = ["ByteLevelTokenizer"]

_PAD, _BOS, _EOS = 256, 257, 258


class ByteLevelTokenizer(TokenizerSpec):
    """Bytes 0-255 are their own ids; 256/257/258 are pad/bos/eos. Tokens are the ids themselves."""

    def __init__(self) -> None:
        self.vocab_size = 259
        self.special_start = _PAD

    def text_to_tokens(self, text: str) -> List[int]:
        return self.text_to_ids(text)

    def tokens_to_text(self, tokens: List[int]) -> str:
        return self.ids_to_text(tokens)

    def text_to_ids(self, text: str) -> List[int]:
        return list(text.encode("utf-8"))

    def ids_to_text(self, ids: List[int]) -> str:
        """Decode, dropping special ids and incomplete UTF-8 sequences (e.g. a cut-off generation)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        return bytes(int(i) for i in ids if 0 <= int(i) < self.special_start).decode("utf-8", errors="ignore")

    def tokens_to_ids(self, tokens: Union[int, List[int]]) -> List[int]:
        return [tokens] if isinstance(tokens, int) else list(tokens)

    def ids_to_tokens(self, ids: List[int]) -> List[int]:
        return list(ids)

    pad_id, bos_id, eos_id = _PAD, _BOS, _EOS
    unk_id = None  # every byte is in the vocabulary, so there is no unknown token
