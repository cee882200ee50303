"""``WERBPE``: the corpus WER of CTC models whose labels are sub-word pieces of a tokenizer (NeMo's name and module)."""

from typing import Any, List, Sequence

from nemo.collections.asr.metrics.wer import WER

__all__ = ["WERBPE", "tokenizer_vocabulary"]


class WERBPE(WER):
    """``WER`` whose label ids are decoded by ``tokenizer`` (pieces joined into words) instead of a character list.

    ``WERBPE(tokenizer, batch_dim_index=0, use_cer=False, ctc_decode=True, log_prediction=True,
    dist_sync_on_step=False)``; the blank id is the tokenizer's vocabulary size.
    """

    def __init__(self, tokenizer: Any, **kwargs: Any) -> None:
        super().__init__(vocabulary=tokenizer_vocabulary(tokenizer), **kwargs)
        self.tokenizer = tokenizer

    def decode_ids_to_tokens(self, tokens: Sequence[int]) -> List[str]:
        return self.tokenizer.ids_to_tokens([t for t in tokens if t != self.blank_id])

    def decode_tokens_to_str(self, tokens: Sequence[int]) -> str:
        return self.tokenizer.ids_to_text([t for t in tokens if t != self.blank_id])


def tokenizer_vocabulary(tokenizer: Any) -> List[str]:
    """The tokenizer's pieces in id order (the CTC decoder's vocabulary); an error if they disagree with vocab_size."""
    vocabulary = list(tokenizer.vocab)
    if len(vocabulary) != tokenizer.vocab_size:
        raise ValueError(f"tokenizer vocabulary has {len(vocabulary)} entries but vocab_size {tokenizer.vocab_size}")
    return vocabulary
