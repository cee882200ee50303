"""``RNNTWER``: the corpus WER (or CER) of a transducer's decoded encoder outputs, summed across DDP ranks.

NeMo 1.x's module: it also exports ``RNNTDecoding`` and ``RNNTDecodingConfig`` (which live in
``nemo.collections.asr.parts.submodules.rnnt_decoding``).
"""

from typing import List

import torch

from nemo.collections.asr.metrics.wer import ErrorCounts
from nemo.collections.asr.parts.submodules.rnnt_decoding import (
    AbstractRNNTDecoding,
    RNNTDecoding,
    RNNTDecodingConfig,
)

__all__ = ["RNNTDecoding", "RNNTDecodingConfig", "RNNTWER"]


class RNNTWER(ErrorCounts):
    """Corpus WER of transducer hypotheses against label-id targets.

    ``update(encoder_output, encoded_lengths, targets, target_lengths)`` decodes the encoder outputs with ``decoding``
    (an ``RNNTDecoding`` or ``RNNTBPEDecoding``), turns the targets into text with it and accumulates edit errors
    (``scores``) and reference words (``words``, characters with ``use_cer``); ``compute()`` returns
    ``(scores / words, scores, words)`` (see ``ErrorCounts``). Call ``reset()`` to start a new aggregation.
    """

    def __init__(
        self,
        decoding: AbstractRNNTDecoding,
        batch_dim_index: int = 0,
        use_cer: bool = False,
        log_prediction: bool = True,
        dist_sync_on_step: bool = False,
    ) -> None:
        super().__init__(batch_dim_index, use_cer, log_prediction, dist_sync_on_step=dist_sync_on_step)
        self.decoding = decoding
        self.blank_id = decoding.blank_id
        self.labels_map = getattr(decoding, "labels_map", None)
        self.reset_buffers()

    def decode_tokens_to_str(self, tokens: List[int]) -> str:
        return self.decoding.decode_tokens_to_str(tokens)

    def update(
        self,
        encoder_output: torch.Tensor,
        encoded_lengths: torch.Tensor,
        targets: torch.Tensor,
        target_lengths: torch.Tensor,
    ) -> None:
        with torch.no_grad():
            references = self._references(targets, target_lengths)
            hypotheses, _ = self.decoding.rnnt_decoder_predictions_tensor(encoder_output.detach(), encoded_lengths)
        self._accumulate(hypotheses, references)
