"""Decoding results shared by the CTC and RNNT decoders (NeMo's ``Hypothesis``/``NBestHypotheses``)."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import torch

__all__ = ["Hypothesis", "NBestHypotheses"]


@dataclass
class Hypothesis:
    """One decoded utterance.

    Attributes:
        score: total log-probability of the emitted path (``-1.0`` stands for "not scored" as in NeMo).
        y_sequence: emitted token ids (or, after ``transcribe(return_hypotheses=True)``, the frame log-probs).
        text: the decoded string.
        dec_out, dec_state: decoder outputs/states (RNNT).
        timestep: frame index at which each token of ``y_sequence`` was emitted.
        alignments: per-frame labels (or lists of labels, RNNT).
        length: number of valid encoder frames.
        y, lm_state, lm_scores, tokens, last_token: beam-search bookkeeping (RNNT, LM fusion).
    """

    score: float
    y_sequence: Union[List[int], torch.Tensor]
    text: Optional[str] = None
    dec_out: Optional[List[torch.Tensor]] = None
    dec_state: Optional[Union[List[List[torch.Tensor]], List[torch.Tensor]]] = None
    timestep: Union[List[int], torch.Tensor] = field(default_factory=list)
    alignments: Optional[Union[List[int], List[List[int]]]] = None
    length: Union[int, torch.Tensor] = 0
    y: Optional[List[torch.Tensor]] = None
    lm_state: Optional[Union[Dict[str, Any], List[Any]]] = None
    lm_scores: Optional[torch.Tensor] = None
    tokens: Optional[Union[List[int], torch.Tensor]] = None
    last_token: Optional[torch.Tensor] = None


@dataclass
class NBestHypotheses:
    """The n best hypotheses of one utterance, best first."""

    n_best_hypotheses: Optional[List[Hypothesis]]
