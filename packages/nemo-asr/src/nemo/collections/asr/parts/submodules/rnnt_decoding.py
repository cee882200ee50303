"""Transducer decoding behind NeMo's ``decoding`` config: ``RNNTDecoding`` (characters) and ``RNNTBPEDecoding``.

Config (``RNNTDecodingConfig``, any missing key takes its default)::

    decoding:
      strategy: greedy_batch        # greedy | greedy_batch | beam
      compute_hypothesis_token_set: false
      preserve_alignments: null     # greedy strategies only
      greedy:
        max_symbols: 10             # labels per frame at most (also read as max_symbols_per_step); null: no limit
      beam:
        beam_size: 4
        score_norm: true
        return_best_hypothesis: true
        softmax_temperature: 1.0
        max_symbols_per_step: 10

``rnnt_decoder_predictions_tensor(encoder_output, encoded_lengths, return_hypotheses=False)`` returns, as NeMo 1.x
did, ``(best, all)``: ``best`` one text (or ``Hypothesis`` with ``text``) per item, ``all`` None, or with beam
search and ``return_best_hypothesis: false`` every item's n-best texts (or hypotheses), best first. NeMo's other
strategies (``tsd``, ``alsd``, ``maes``, ``malsd_batch``, ``maes_batch``) raise an error naming what is available.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple, Union

import torch
from omegaconf import DictConfig, OmegaConf

from nemo.collections.asr.parts.rnnt_utils import Hypothesis, NBestHypotheses
from nemo.collections.asr.parts.submodules import rnnt_beam_decoding, rnnt_greedy_decoding

__all__ = ["AbstractRNNTDecoding", "RNNTBPEDecoding", "RNNTDecoding", "RNNTDecodingConfig"]

STRATEGIES = ("greedy", "greedy_batch", "beam")
_NEMO_ONLY_STRATEGIES = ("tsd", "alsd", "maes", "malsd_batch", "maes_batch")


@dataclass
class RNNTDecodingConfig:
    """NeMo's transducer ``decoding`` config node (the keys this implementation reads)."""

    strategy: str = "greedy_batch"
    compute_hypothesis_token_set: bool = False
    preserve_alignments: Optional[bool] = None
    greedy: rnnt_greedy_decoding.GreedyBatchedRNNTInferConfig = field(
        default_factory=rnnt_greedy_decoding.GreedyBatchedRNNTInferConfig
    )
    beam: rnnt_beam_decoding.BeamRNNTInferConfig = field(
        default_factory=lambda: rnnt_beam_decoding.BeamRNNTInferConfig(beam_size=4)
    )
    temperature: float = 1.0


def resolve_decoding_config(decoding_cfg: Any) -> DictConfig:
    """A complete ``decoding`` config: the given keys over ``RNNTDecodingConfig``'s defaults (None: all defaults)."""
    base = OmegaConf.create(OmegaConf.to_container(OmegaConf.structured(RNNTDecodingConfig)))
    if decoding_cfg is None:
        return base
    if not isinstance(decoding_cfg, DictConfig):
        decoding_cfg = OmegaConf.create(decoding_cfg)
    return OmegaConf.merge(base, decoding_cfg)


def _max_symbols(node: Any) -> Optional[int]:
    """``max_symbols`` (NeMo's YAML key) or ``max_symbols_per_step`` (its dataclass field); None means no limit."""
    if node is None:
        return 10
    if "max_symbols" in node:
        return node.get("max_symbols")
    return node.get("max_symbols_per_step", 10)


class AbstractRNNTDecoding(ABC):
    """Decodes encoder outputs with a transducer's prediction network and joint, by the ``decoding`` config.

    Args:
        decoding_cfg: the ``decoding`` node (see the module docstring).
        decoder, joint: the model's ``RNNTDecoder`` and ``RNNTJoint`` (held by reference, not copied).
        blank_id: the blank's index.
    """

    def __init__(self, decoding_cfg: Any, decoder: Any, joint: Any, blank_id: int) -> None:
        super().__init__()
        self.cfg = cfg = resolve_decoding_config(decoding_cfg)
        self.blank_id = blank_id
        self.compute_hypothesis_token_set = bool(cfg.get("compute_hypothesis_token_set", False))
        self.preserve_alignments = bool(cfg.get("preserve_alignments") or False)
        strategy = cfg.strategy
        if strategy in _NEMO_ONLY_STRATEGIES:
            raise ValueError(
                f"Decoding strategy {strategy!r} is not implemented in this implementation; "
                f"use one of {list(STRATEGIES)}"
            )
        if strategy not in STRATEGIES:
            raise ValueError(f"Decoding strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
        greedy = cfg.get("greedy")
        if strategy in ("greedy", "greedy_batch"):
            infer = (
                rnnt_greedy_decoding.GreedyRNNTInfer
                if strategy == "greedy"
                else rnnt_greedy_decoding.GreedyBatchedRNNTInfer
            )
            self.decoding = infer(
                decoder_model=decoder,
                joint_model=joint,
                blank_index=blank_id,
                max_symbols_per_step=_max_symbols(greedy),
                preserve_alignments=self.preserve_alignments or bool(greedy.get("preserve_alignments", False)),
            )
        else:
            beam = cfg.beam
            self.decoding = rnnt_beam_decoding.BeamRNNTInfer(
                decoder_model=decoder,
                joint_model=joint,
                beam_size=int(beam.beam_size),
                search_type=beam.get("search_type", "default"),
                score_norm=bool(beam.get("score_norm", True)),
                return_best_hypothesis=bool(beam.get("return_best_hypothesis", True)),
                softmax_temperature=float(beam.get("softmax_temperature", 1.0)),
                max_symbols_per_step=beam.get("max_symbols_per_step", 10),
                preserve_alignments=self.preserve_alignments,
            )

    def rnnt_decoder_predictions_tensor(
        self,
        encoder_output: torch.Tensor,
        encoded_lengths: torch.Tensor,
        return_hypotheses: bool = False,
        partial_hypotheses: Optional[List[Hypothesis]] = None,
    ) -> Tuple[List[Union[str, Hypothesis]], Optional[List[List[Union[str, Hypothesis]]]]]:
        """``(best, all)`` for encoder outputs ``[B, D, T]`` (see the module docstring)."""
        with torch.no_grad():
            (results,) = self.decoding(
                encoder_output=encoder_output, encoded_lengths=encoded_lengths, partial_hypotheses=partial_hypotheses
            )
        if results and isinstance(results[0], NBestHypotheses):
            every = [self.decode_hypothesis(list(nbest.n_best_hypotheses)) for nbest in results]
            best = [hyps[0] for hyps in every]
            if return_hypotheses:
                return best, every
            return [h.text for h in best], [[h.text for h in hyps] for hyps in every]
        best = self.decode_hypothesis(list(results))
        if return_hypotheses:
            return best, None
        return [h.text for h in best], None

    def decode_hypothesis(self, hypotheses_list: List[Hypothesis]) -> List[Hypothesis]:
        """Fill each hypothesis' ``text`` (and ``tokens`` with ``compute_hypothesis_token_set``) from its labels."""
        for hyp in hypotheses_list:
            ids = hyp.y_sequence.tolist() if torch.is_tensor(hyp.y_sequence) else list(hyp.y_sequence)
            ids = [int(i) for i in ids if int(i) != self.blank_id]
            hyp.text = self.decode_tokens_to_str(ids)
            if self.compute_hypothesis_token_set:
                hyp.tokens = self.decode_ids_to_tokens(ids)
        return hypotheses_list

    @abstractmethod
    def decode_tokens_to_str(self, tokens: List[int]) -> str:
        """The text of label ids ``tokens``."""

    @abstractmethod
    def decode_ids_to_tokens(self, tokens: List[int]) -> List[str]:
        """The label (string) of each id of ``tokens``."""


class RNNTDecoding(AbstractRNNTDecoding):
    """Transducer decoding over a character vocabulary: the blank is ``len(vocabulary)``, texts join characters."""

    def __init__(self, decoding_cfg: Any, decoder: Any, joint: Any, vocabulary: Sequence[str]) -> None:
        vocabulary = list(vocabulary)
        self.labels_map = dict(enumerate(vocabulary))
        super().__init__(decoding_cfg=decoding_cfg, decoder=decoder, joint=joint, blank_id=len(vocabulary))

    def decode_tokens_to_str(self, tokens: List[int]) -> str:
        return "".join(self.decode_ids_to_tokens(tokens))

    def decode_ids_to_tokens(self, tokens: List[int]) -> List[str]:
        return [self.labels_map[t] for t in tokens if t != self.blank_id and t in self.labels_map]


class RNNTBPEDecoding(AbstractRNNTDecoding):
    """Transducer decoding over a tokenizer's pieces: the blank is ``tokenizer.vocab_size``, texts are detokenized."""

    def __init__(self, decoding_cfg: Any, decoder: Any, joint: Any, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        super().__init__(decoding_cfg=decoding_cfg, decoder=decoder, joint=joint, blank_id=tokenizer.vocab_size)

    def decode_tokens_to_str(self, tokens: List[int]) -> str:
        return self.tokenizer.ids_to_text([t for t in tokens if t != self.blank_id])

    def decode_ids_to_tokens(self, tokens: List[int]) -> List[str]:
        return self.tokenizer.ids_to_tokens([t for t in tokens if t != self.blank_id])
