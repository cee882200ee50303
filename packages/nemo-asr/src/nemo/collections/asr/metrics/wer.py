"""Word/character error rate: a DDP-aware torchmetrics ``WER`` over greedy CTC output, and a plain helper."""

from typing import Any, List, Optional, Sequence, Tuple, Union

import torch

from nemo.collections.asr.parts.ctc_greedy_decoding import ctc_greedy_decode
from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.collections.common.metrics.meta_safe import MetaSafeMetric
from nemo.utils import logging

__all__ = ["WER", "ErrorCounts", "edit_distance", "word_error_rate"]


def edit_distance(hypothesis: Sequence, reference: Sequence) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1) between two sequences of hashables.

    ``editdistance`` (C++, the library NVIDIA NeMo's WER uses) instead of a Python dynamic programme.
    """
    import editdistance

    return int(editdistance.eval(hypothesis, reference))


def _units(text: str, use_cer: bool) -> List[str]:
    return list(text) if use_cer else text.split()


def _errors_and_words(hypotheses: Sequence[str], references: Sequence[str], use_cer: bool) -> Tuple[int, int]:
    if len(hypotheses) != len(references):
        raise ValueError(
            "In word error rate calculation, hypotheses and reference lists must have the same number of elements, "
            f"got {len(hypotheses)} and {len(references)}"
        )
    errors = words = 0
    for hyp, ref in zip(hypotheses, references):
        ref_units = _units(ref, use_cer)
        words += len(ref_units)
        errors += edit_distance(_units(hyp, use_cer), ref_units)
    return errors, words


def word_error_rate(hypotheses: Sequence[str], references: Sequence[str], use_cer: bool = False) -> float:
    """Total edit distance over total reference words (characters with ``use_cer``); ``inf`` without references."""
    errors, words = _errors_and_words(hypotheses, references, use_cer)
    return errors / words if words else float("inf")


class ErrorCounts(MetaSafeMetric):
    """The state and arithmetic of the corpus WER metrics: edit errors (``scores``) and reference words (``words``,
    characters with ``use_cer``) summed across DDP ranks; ``compute()`` returns ``(scores / words, scores, words)``.

    Subclasses decode a batch to text in ``update`` and hand the texts to ``_accumulate``.
    """

    full_state_update = False

    def __init__(
        self, batch_dim_index: int = 0, use_cer: bool = False, log_prediction: bool = True, **metric_kwargs: Any
    ) -> None:
        super().__init__(**metric_kwargs)
        if batch_dim_index not in (0, 1):
            raise ValueError(f"{type(self).__name__}: batch_dim_index must be 0 or 1, got {batch_dim_index}")
        self.batch_dim_index = batch_dim_index
        self.use_cer = use_cer
        self.log_prediction = log_prediction

    def declare_states(self) -> None:
        self.add_state("scores", default=torch.tensor(0), dist_reduce_fx="sum", persistent=False)
        self.add_state("words", default=torch.tensor(0), dist_reduce_fx="sum", persistent=False)

    def _references(self, targets: torch.Tensor, target_lengths: torch.Tensor) -> List[str]:
        """The target label ids of each item as text (through ``decode_tokens_to_str``)."""
        targets_cpu = targets.detach().long().cpu()
        if self.batch_dim_index == 1:
            targets_cpu = targets_cpu.transpose(0, 1)
        lengths = target_lengths.detach().long().cpu().tolist()
        return [self.decode_tokens_to_str(targets_cpu[i, :n].tolist()) for i, n in enumerate(lengths)]

    def _accumulate(self, hypotheses: Sequence[str], references: Sequence[str]) -> None:
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


class WER(ErrorCounts):
    """Corpus WER (or CER) of greedy CTC predictions against label-id targets, summed across DDP ranks.

    ``update`` decodes predictions (blank id = ``len(vocabulary)``) and targets through ``vocabulary`` and accumulates
    edit errors (``scores``) and reference words (``words``); ``compute`` returns ``(scores / words, scores, words)``.
    Call ``reset()`` to start a new aggregation.
    """

    def __init__(
        self,
        vocabulary: Sequence[str],
        batch_dim_index: int = 0,
        use_cer: bool = False,
        ctc_decode: bool = True,
        log_prediction: bool = True,
        dist_sync_on_step: bool = False,
    ) -> None:
        super().__init__(batch_dim_index, use_cer, log_prediction, dist_sync_on_step=dist_sync_on_step)
        if not ctc_decode:
            raise ValueError("WER: only ctc_decode=True is supported (predictions are framewise CTC labels)")
        self.blank_id = len(vocabulary)
        self.labels_map = dict(enumerate(vocabulary))
        self.ctc_decode = ctc_decode
        self.reset_buffers()

    def decode_ids_to_tokens(self, tokens: Sequence[int]) -> List[str]:
        return [self.labels_map[t] for t in tokens if t in self.labels_map]

    def decode_tokens_to_str(self, tokens: Sequence[int]) -> str:
        return "".join(self.decode_ids_to_tokens(tokens))

    def ctc_decoder_predictions_tensor(
        self,
        predictions: torch.Tensor,
        predictions_len: Optional[torch.Tensor] = None,
        return_hypotheses: bool = False,
    ) -> Union[List[str], List[Hypothesis]]:
        """Greedy CTC decoding of ``(B, T)`` label ids (or ``(B, T, V)`` log-probs) to strings or ``Hypothesis``.

        Hypotheses carry the emitted ids (``y_sequence``), their frame indices (``timestep``), the valid length and,
        for log-prob input, the greedy path's log-probability (``score``; ``-1.0`` for id input).
        """
        if self.batch_dim_index == 1:
            predictions = predictions.transpose(0, 1)
        labels, timesteps, scores = ctc_greedy_decode(predictions, predictions_len, self.blank_id)
        texts = [self.decode_tokens_to_str(ids) for ids in labels]
        if not return_hypotheses:
            return texts
        steps = predictions.shape[1]
        lengths = predictions_len.tolist() if predictions_len is not None else [steps] * len(texts)
        return [
            Hypothesis(
                score=score,
                y_sequence=torch.tensor(ids, dtype=torch.long),
                text=text,
                timestep=times,
                length=int(length),
            )
            for ids, times, score, text, length in zip(labels, timesteps, scores, texts, lengths)
        ]

    def update(
        self,
        predictions: torch.Tensor,
        targets: torch.Tensor,
        target_lengths: torch.Tensor,
        predictions_lengths: Optional[torch.Tensor] = None,
    ) -> None:
        with torch.no_grad():
            references = self._references(targets, target_lengths)
            hypotheses = self.ctc_decoder_predictions_tensor(predictions, predictions_lengths)
        self._accumulate(hypotheses, references)
