"""``RNNTWER``: the corpus WER (or CER) of a transducer's decoded encoder outputs, summed across DDP ranks.

NeMo 1.x's module: it also exports ``RNNTDecoding`` and ``RNNTDecodingConfig`` (which live in
``nemo.collections.asr.parts.submodules.rnnt_decoding``).
"""

from typing import Tuple

import torch

from nemo.collections.asr.metrics.wer import _errors_and_words
from nemo.collections.asr.parts.submodules.rnnt_decoding import (
    AbstractRNNTDecoding,
    RNNTDecoding,
    RNNTDecodingConfig,
)
from nemo.collections.common.metrics.meta_safe import MetaSafeMetric
from nemo.utils import logging

__all__ = ["RNNTDecoding", "RNNTDecodingConfig", "RNNTWER"]


class RNNTWER(MetaSafeMetric):
    """Corpus WER of transducer hypotheses against label-id targets.

    ``update(encoder_output, encoded_lengths, targets, target_lengths)`` decodes the encoder outputs with ``decoding``
    (an ``RNNTDecoding`` or ``RNNTBPEDecoding``), turns the targets into text with it and accumulates edit errors
    (``scores``) and reference words (``words``, characters with ``use_cer``); ``compute()`` returns
    ``(scores / words, scores, words)``. Call ``reset()`` to start a new aggregation.
    """

    full_state_update = False

    def __init__(
        self,
        decoding: AbstractRNNTDecoding,
        batch_dim_index: int = 0,
        use_cer: bool = False,
        log_prediction: bool = True,
        dist_sync_on_step: bool = False,
    ) -> None:
        super().__init__(dist_sync_on_step=dist_sync_on_step)
        if batch_dim_index not in (0, 1):
            raise ValueError(f"RNNTWER: batch_dim_index must be 0 or 1, got {batch_dim_index}")
        self.decoding = decoding
        self.batch_dim_index = batch_dim_index
        self.use_cer = use_cer
        self.log_prediction = log_prediction
        self.blank_id = decoding.blank_id
        self.labels_map = getattr(decoding, "labels_map", None)
        self.reset_buffers()

    def declare_states(self) -> None:
        self.add_state("scores", default=torch.tensor(0), dist_reduce_fx="sum", persistent=False)
        self.add_state("words", default=torch.tensor(0), dist_reduce_fx="sum", persistent=False)

    def update(
        self,
        encoder_output: torch.Tensor,
        encoded_lengths: torch.Tensor,
        targets: torch.Tensor,
        target_lengths: torch.Tensor,
    ) -> None:
        with torch.no_grad():
            targets_cpu = targets.detach().long().cpu()
            if self.batch_dim_index == 1:
                targets_cpu = targets_cpu.transpose(0, 1)
            lengths = target_lengths.detach().long().cpu().tolist()
            references = [
                self.decoding.decode_tokens_to_str(targets_cpu[i, :n].tolist()) for i, n in enumerate(lengths)
            ]
            hypotheses, _ = self.decoding.rnnt_decoder_predictions_tensor(encoder_output.detach(), encoded_lengths)
        if self.log_prediction and references:
            logging.info(f"reference:{references[0]}")
            logging.info(f"predicted:{hypotheses[0]}")
        errors, words = _errors_and_words(hypotheses, references, self.use_cer)
        self.scores += errors
        self.words += words

    def compute(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        scores = self.scores.detach().float()
        words = self.words.detach().float()
        return scores / words, scores, words
