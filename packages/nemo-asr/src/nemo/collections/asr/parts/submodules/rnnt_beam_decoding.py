"""Transducer beam search (NeMo's ``BeamRNNTInfer`` with ``search_type='default'``, Graves 2012).

For each frame the search repeatedly takes the most probable open hypothesis and either closes it for this frame with
the blank (it joins the next frame's beam) or extends it by one of the ``beam`` best labels (it stays open), until
``beam`` closed hypotheses are more probable than any open one. Hypotheses reaching the same labels are merged
(their probabilities added), as the transducer's sum over alignments asks. A hypothesis emits at most
``max_symbols_per_step`` labels per frame (None: no limit), which also bounds the work per frame.

Each result is a ``Hypothesis`` whose ``y_sequence`` holds the label ids (int64, without the start blank NeMo 1.x left
at its head), ``timestep`` the frame of each, ``score`` the log-probability (a sum over the merged alignments),
``length`` the valid frames. ``return_best_hypothesis=False`` returns ``NBestHypotheses`` (best first); ranking
divides scores by the label count plus one with ``score_norm`` (NeMo's normalisation). ``beam_size=1`` decodes
greedily (``GreedyRNNTInfer``), as NeMo does. The time-synchronous (``tsd``), alignment-length-synchronous
(``alsd``) and adaptive-expansion (``maes``) searches and LM fusion are not implemented.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import torch

from nemo.collections.asr.parts.rnnt_utils import Hypothesis, NBestHypotheses
from nemo.collections.asr.parts.submodules.rnnt_greedy_decoding import (
    GreedyRNNTInfer,
    TransducerInfer,
    pack_hypotheses,
)

__all__ = ["BeamRNNTInfer", "BeamRNNTInferConfig"]

_SEARCH_TYPES = ("default",)


class BeamRNNTInfer(TransducerInfer):
    """Beam search over a transducer's prediction network and joint (see the module docstring).

    Args:
        decoder_model, joint_model: the ``RNNTDecoder`` and ``RNNTJoint``.
        beam_size: hypotheses kept per frame (>= 1).
        search_type: ``default`` only.
        score_norm: rank final hypotheses by score per label (+1).
        return_best_hypothesis: one ``Hypothesis`` per item (True) or ``NBestHypotheses`` (False).
        softmax_temperature: the joint's scores are divided by it before the log-softmax.
        max_symbols_per_step: labels a hypothesis may emit at one frame (None: unlimited).
        Other NeMo arguments (``tsd_max_sym_exp_per_step``, ``alsd_max_target_len``, ``maes_*``...) are accepted and
        unused; ``language_model``/``ngram_lm_model`` and ``preserve_alignments`` are refused.
    """

    def __init__(
        self,
        decoder_model: Any,
        joint_model: Any,
        beam_size: int,
        search_type: str = "default",
        score_norm: bool = True,
        return_best_hypothesis: bool = True,
        softmax_temperature: float = 1.0,
        max_symbols_per_step: Optional[int] = 10,
        preserve_alignments: bool = False,
        language_model: Optional[Dict[str, Any]] = None,
        ngram_lm_model: Optional[str] = None,
        **unused: Any,
    ) -> None:
        super().__init__()
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        if search_type not in _SEARCH_TYPES:
            raise ValueError(
                f"BeamRNNTInfer: search_type {search_type!r} is not implemented here; use one of {list(_SEARCH_TYPES)}"
            )
        if language_model is not None or ngram_lm_model is not None:
            raise ValueError("BeamRNNTInfer: language-model fusion is not implemented here")
        if preserve_alignments:
            raise ValueError("BeamRNNTInfer: preserve_alignments is not supported by beam search here")
        self._check_max_symbols(max_symbols_per_step)
        self.decoder = decoder_model
        self.joint = joint_model
        self.beam_size = int(beam_size)
        self.search_type = search_type
        self.score_norm = score_norm
        self.return_best_hypothesis = return_best_hypothesis
        self.softmax_temperature = float(softmax_temperature)
        self.max_symbols = max_symbols_per_step
        self.vocab_size = int(decoder_model.vocab_size)
        self.blank = int(decoder_model.blank_idx)
        self._greedy = (
            GreedyRNNTInfer(decoder_model, joint_model, self.blank, max_symbols_per_step=max_symbols_per_step)
            if self.beam_size == 1
            else None
        )

    def _decode_batch(
        self, frames: torch.Tensor, encoded_lengths: torch.Tensor
    ) -> List[Union[Hypothesis, NBestHypotheses]]:
        """Per item the best ``Hypothesis`` or, without ``return_best_hypothesis``, all of them."""
        if self._greedy is not None:
            hyps = self._greedy._decode_batch(frames, encoded_lengths)
            return [h if self.return_best_hypothesis else NBestHypotheses([h]) for h in hyps]
        results: List[Union[Hypothesis, NBestHypotheses]] = []
        for b in range(frames.shape[0]):
            nbest = self._search(frames[b : b + 1], int(encoded_lengths[b]))
            nbest = pack_hypotheses(nbest, [encoded_lengths[b].detach().cpu()] * len(nbest))
            results.append(nbest[0] if self.return_best_hypothesis else NBestHypotheses(nbest))
        return results

    def _log_probs(self, f: torch.Tensor, hyp: Hypothesis, cache: Dict) -> Tuple[torch.Tensor, Any]:
        """Log-probabilities ``[V + 1]`` after ``hyp`` at projected frame ``f``, and the state after its labels."""
        g, state, _ = self.decoder.score_hypothesis(hyp, cache)
        return self._joint_log_probs(f, self.joint.project_prednet(g), self.softmax_temperature)[0], state

    def _search(self, frames: torch.Tensor, length: int) -> List[Hypothesis]:
        beam = self.beam_size
        expansions = min(beam, self.vocab_size)
        labels = [k for k in range(self.vocab_size + 1) if k != self.blank]
        cache: Dict[Tuple[int, ...], Any] = {}
        kept: Dict[Tuple[int, ...], Hypothesis] = {
            (): Hypothesis(score=0.0, y_sequence=[], timestep=[], dec_state=None)
        }
        for t in range(length):
            f = frames[:, t : t + 1]
            open_hyps, kept = dict(kept), {}
            while open_hyps:
                key = max(open_hyps, key=lambda k: open_hyps[k].score)
                hyp = open_hyps.pop(key)
                logp, state = self._log_probs(f, hyp, cache)
                _merge(kept, key, hyp, hyp.score + float(logp[self.blank]), hyp.dec_state, hyp.timestep)
                emitted_here = sum(1 for step in hyp.timestep if step == t)
                if self.max_symbols is None or emitted_here < self.max_symbols:
                    values, best = logp[labels].topk(expansions)
                    for value, index in zip(values.tolist(), best.tolist()):
                        label = labels[index]
                        # dec_state is the state *before* the last label (NeMo's convention for score_hypothesis)
                        _merge(open_hyps, key + (label,), hyp, hyp.score + value, state, hyp.timestep + [t])
                best_open = max((h.score for h in open_hyps.values()), default=-np.inf)
                if sum(1 for h in kept.values() if h.score > best_open) >= beam:
                    break
            kept = dict(sorted(kept.items(), key=lambda item: -item[1].score)[:beam])
        return self._sort_nbest(list(kept.values()))

    def _sort_nbest(self, hyps: List[Hypothesis]) -> List[Hypothesis]:
        if self.score_norm:
            return sorted(hyps, key=lambda h: h.score / (len(h.y_sequence) + 1), reverse=True)
        return sorted(hyps, key=lambda h: h.score, reverse=True)

    def sort_nbest(self, hyps: List[Hypothesis]) -> List[Hypothesis]:
        """Best first, by score (per label + 1 with ``score_norm``)."""
        return self._sort_nbest(hyps)


def _merge(
    table: Dict[Tuple[int, ...], Hypothesis],
    key: Tuple[int, ...],
    parent: Hypothesis,
    score: float,
    dec_state: Any,
    timestep: List[int],
) -> None:
    """Add a hypothesis with labels ``key`` to ``table``, adding its probability to an existing one's."""
    existing = table.get(key)
    if existing is None:
        table[key] = Hypothesis(score=score, y_sequence=list(key), timestep=list(timestep), dec_state=dec_state)
        return
    if score > existing.score:
        existing.timestep, existing.dec_state = list(timestep), dec_state
    existing.score = float(np.logaddexp(existing.score, score))


@dataclass
class BeamRNNTInferConfig:
    """The ``decoding.beam`` node."""

    beam_size: int
    search_type: str = "default"
    score_norm: bool = True
    return_best_hypothesis: bool = True
    softmax_temperature: float = 1.0
    max_symbols_per_step: Optional[int] = 10
