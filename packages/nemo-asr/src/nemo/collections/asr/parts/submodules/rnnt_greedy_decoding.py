"""Greedy transducer decoding (NeMo's ``GreedyRNNTInfer`` and ``GreedyBatchedRNNTInfer``).

At each encoder frame the joint's best label is emitted and fed back to the prediction network until the blank wins
(then the next frame starts) or ``max_symbols_per_step`` labels were emitted at that frame. The first prediction
step takes the start token (a zero vector). Both classes take ``encoder_output`` ``[B, D, T]`` and
``encoded_lengths`` ``[B]`` and return a 1-tuple holding one ``Hypothesis`` per item: ``y_sequence`` (int64 label
ids), ``timestep`` (the frame of each label), ``score`` (the emitted labels' summed log-probabilities), ``length``
(the valid frames), ``dec_state`` (the prediction network's final state) and, with ``preserve_alignments``,
``alignments`` (per frame, a list of ``(log-probabilities [V + 1], chosen label)`` for every step taken there).

The batched decoder runs every item at once (items that already took the blank at a frame, or are past their length,
keep their state); it gives the same hypotheses as the per-item one.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

import torch

from nemo.collections.asr.parts.rnnt_utils import Hypothesis
from nemo.core.classes.typecheck import Typing, typecheck
from nemo.core.neural_types import AcousticEncodedRepresentation, HypothesisType, LengthsType, NeuralType

__all__ = [
    "GreedyBatchedRNNTInfer",
    "GreedyBatchedRNNTInferConfig",
    "GreedyRNNTInfer",
    "GreedyRNNTInferConfig",
    "TransducerInfer",
    "eval_mode",
    "pack_hypotheses",
]


def _states_to_device(state: Any, device: Any = "cpu") -> Any:
    if torch.is_tensor(state):
        return state.to(device)
    if isinstance(state, (list, tuple)):
        return type(state)(_states_to_device(item, device) for item in state)
    return state


@contextmanager
def eval_mode(*modules: torch.nn.Module) -> Iterator[None]:
    """Every submodule of ``modules`` in eval mode inside the block, each back in its own mode afterwards."""
    modes = {m: m.training for module in modules for m in module.modules()}
    try:
        for module in modules:
            module.eval()
        yield
    finally:
        for m, training in modes.items():
            m.training = training


def pack_hypotheses(hypotheses: List[Hypothesis], lengths: torch.Tensor) -> List[Hypothesis]:
    """Label lists to int64 tensors, ``length`` from ``lengths`` and decoder states on the CPU."""
    lengths = lengths.detach().cpu() if torch.is_tensor(lengths) else lengths
    for idx, hyp in enumerate(hypotheses):
        hyp.y_sequence = torch.as_tensor(hyp.y_sequence, dtype=torch.long)
        hyp.length = lengths[idx]
        hyp.dec_state = _states_to_device(hyp.dec_state)
    return hypotheses


class TransducerInfer(Typing):
    """What the greedy and beam decoders share: their neural types, the call, the checks of NeMo's arguments, the
    projected encoder frames and the joint's log-probabilities."""

    @property
    def input_types(self) -> Dict[str, Any]:
        return {
            "encoder_output": NeuralType(("B", "D", "T"), AcousticEncodedRepresentation()),
            "encoded_lengths": NeuralType(("B",), LengthsType()),
            "partial_hypotheses": [NeuralType(elements_type=HypothesisType(), optional=True)],
        }

    @property
    def output_types(self) -> Dict[str, Any]:
        return {"predictions": [NeuralType(elements_type=HypothesisType())]}

    def __call__(self, *args: Any, **kwargs: Any) -> Tuple[List[Any]]:
        return self.forward(*args, **kwargs)

    @staticmethod
    def _check_max_symbols(max_symbols_per_step: Optional[int]) -> None:
        if max_symbols_per_step is not None and max_symbols_per_step <= 0:
            raise ValueError(f"Expected max_symbols_per_step > 0 (or None), got {max_symbols_per_step}")

    @typecheck()
    def forward(
        self,
        encoder_output: torch.Tensor,
        encoded_lengths: torch.Tensor,
        partial_hypotheses: Optional[List[Hypothesis]] = None,
    ) -> Tuple[List[Any]]:
        """``(results,)``, one per item, for encoder outputs ``[B, D, T]`` of valid lengths ``encoded_lengths``."""
        if partial_hypotheses is not None:
            raise NotImplementedError("`partial_hypotheses` support is not supported")
        with eval_mode(self.decoder, self.joint), torch.no_grad():
            frames = self.joint.project_encoder(encoder_output.transpose(1, 2))  # [B, T, H]
            return (self._decode_batch(frames, encoded_lengths),)

    def _decode_batch(self, frames: torch.Tensor, encoded_lengths: torch.Tensor) -> List[Any]:
        """The results for projected frames ``[B, T, H]``."""
        raise NotImplementedError

    def _joint_log_probs(self, f: torch.Tensor, g: torch.Tensor, temperature: float) -> torch.Tensor:
        """Log-probabilities ``[B, V + 1]`` of projected frames ``f`` ``[B, 1, H]`` and projected prediction outputs
        ``g``, the scores divided by ``temperature`` first."""
        logits = self.joint.joint_logits_after_projection(f, g)[:, 0, 0, :].float()
        if temperature != 1.0:
            logits = logits / temperature
        return logits.log_softmax(dim=-1)


class _GreedyRNNTInfer(TransducerInfer):
    """Shared set-up of the greedy decoders (see the module docstring)."""

    def __init__(
        self,
        decoder_model: Any,
        joint_model: Any,
        blank_index: int,
        max_symbols_per_step: Optional[int] = None,
        preserve_alignments: bool = False,
        preserve_frame_confidence: bool = False,
        confidence_method_cfg: Any = None,
    ) -> None:
        super().__init__()
        self._check_max_symbols(max_symbols_per_step)
        if preserve_frame_confidence:
            raise ValueError("preserve_frame_confidence is not supported by this implementation's greedy decoders")
        self.decoder = decoder_model
        self.joint = joint_model
        self._blank_index = blank_index
        self._SOS = blank_index
        self.max_symbols = max_symbols_per_step
        self.preserve_alignments = preserve_alignments

    def _log_probs(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Log-probabilities ``[B, V + 1]`` at the joint's ``temperature``."""
        return self._joint_log_probs(f, g, getattr(self.joint, "temperature", 1.0))

    def _start(self, batch: int) -> Tuple[torch.Tensor, Any]:
        """Projected prediction output ``[B, 1, H]`` and state after the start token."""
        g, state = self.decoder.predict(None, state=None, add_sos=False, batch_size=batch)
        return self.joint.project_prednet(g), state

    def _step(self, labels: torch.Tensor, state: Any) -> Tuple[torch.Tensor, Any]:
        g, state = self.decoder.predict(labels.view(-1, 1), state=state, add_sos=False, batch_size=labels.numel())
        return self.joint.project_prednet(g), state

    def _decode_batch(self, frames: torch.Tensor, encoded_lengths: torch.Tensor) -> List[Hypothesis]:
        hypotheses = self._decode(frames, encoded_lengths.to(frames.device).long())
        return pack_hypotheses(hypotheses, encoded_lengths)

    def _decode(self, frames: torch.Tensor, lengths: torch.Tensor) -> List[Hypothesis]:
        raise NotImplementedError


class GreedyRNNTInfer(_GreedyRNNTInfer):
    """Greedy decoding one item at a time (``decoder_model``, ``joint_model``, ``blank_index``,
    ``max_symbols_per_step``: None for no limit, ``preserve_alignments``)."""

    def _decode(self, frames: torch.Tensor, lengths: torch.Tensor) -> List[Hypothesis]:
        return [self._decode_one(frames[b : b + 1], int(lengths[b]))[0] for b in range(frames.shape[0])]

    def decode_continued(
        self, encoder_frames: torch.Tensor, hypothesis: Optional[Hypothesis] = None, carry: Any = None, offset: int = 0
    ) -> Tuple[Hypothesis, Any]:
        """``(hypothesis, carry)`` after decoding one item's next encoder frames ``[T, D]`` (frames ``offset`` ...
        of the item), continuing ``hypothesis`` from ``carry`` (what the previous call returned: the prediction
        network's output and state). Consecutive calls give what one call over all frames gives (buffered decoding);
        ``y_sequence`` stays a list (``pack_hypotheses`` converts it)."""
        with eval_mode(self.decoder, self.joint), torch.no_grad():
            frames = self.joint.project_encoder(encoder_frames.unsqueeze(0))
            return self._decode_one(frames, frames.shape[1], hypothesis, carry, offset)

    def _decode_one(
        self, frames: torch.Tensor, length: int, hyp: Optional[Hypothesis] = None, carry: Any = None, offset: int = 0
    ) -> Tuple[Hypothesis, Any]:
        if hyp is None:
            hyp = Hypothesis(score=0.0, y_sequence=[], timestep=[], dec_state=None, last_token=None)
            if self.preserve_alignments:
                hyp.alignments = []
        g, state = carry if carry is not None else self._start(1)
        for t in range(length):
            f = frames[:, t : t + 1]
            if self.preserve_alignments:
                hyp.alignments.append([])
            emitted = 0
            while self.max_symbols is None or emitted < self.max_symbols:
                logp = self._log_probs(f, g)[0]
                value, label = logp.max(0)
                k = int(label)
                if self.preserve_alignments:
                    hyp.alignments[-1].append((logp.cpu(), torch.tensor(k, dtype=torch.int32)))
                if k == self._blank_index:
                    break
                hyp.y_sequence.append(k)
                hyp.score += float(value)
                hyp.timestep.append(offset + t)
                hyp.last_token = k
                g, state = self._step(label.view(1), state)
                emitted += 1
        hyp.dec_state = self.decoder.batch_select_state(state, 0)
        return hyp, (g, state)


class GreedyBatchedRNNTInfer(_GreedyRNNTInfer):
    """Greedy decoding of the whole batch at once; same arguments and results as ``GreedyRNNTInfer``."""

    def _decode(self, frames: torch.Tensor, lengths: torch.Tensor) -> List[Hypothesis]:
        batch, steps = frames.shape[:2]
        hyps = [Hypothesis(score=0.0, y_sequence=[], timestep=[], dec_state=None) for _ in range(batch)]
        if self.preserve_alignments:
            for hyp in hyps:
                hyp.alignments = []
        # Items not emitting feed a harmless label (the blank's zero row when it exists) whose result is discarded.
        filler = self._blank_index if getattr(self.decoder, "blank_as_pad", True) else 0
        g, state = self._start(batch)
        for t in range(min(steps, int(lengths.max()) if batch else 0)):
            f = frames[:, t : t + 1]
            active = lengths > t
            if self.preserve_alignments:
                for b in active.nonzero().flatten().tolist():
                    hyps[b].alignments.append([])
            emitted = 0
            while bool(active.any()) and (self.max_symbols is None or emitted < self.max_symbols):
                logp = self._log_probs(f, g)
                values, labels = logp.max(dim=-1)
                if self.preserve_alignments:
                    for b in active.nonzero().flatten().tolist():
                        hyps[b].alignments[-1].append((logp[b].cpu(), labels[b].to(torch.int32).cpu()))
                emit = active & (labels != self._blank_index)
                if not bool(emit.any()):
                    break
                rows = emit.nonzero().flatten().tolist()
                chosen, scores = labels.tolist(), values.tolist()
                for b in rows:
                    hyps[b].y_sequence.append(chosen[b])
                    hyps[b].score += scores[b]
                    hyps[b].timestep.append(t)
                    hyps[b].last_token = chosen[b]
                new_g, new_state = self._step(torch.where(emit, labels, torch.full_like(labels, filler)), state)
                g = torch.where(emit.view(-1, 1, 1), new_g, g)
                state = tuple(torch.where(emit.view(1, -1, 1), new, old) for new, old in zip(new_state, state))
                active = emit
                emitted += 1
        for b, hyp in enumerate(hyps):
            hyp.dec_state = self.decoder.batch_select_state(state, b)
        return hyps


@dataclass
class GreedyRNNTInferConfig:
    """The ``decoding.greedy`` node (NeMo's YAML files write ``max_symbols``, which is read first)."""

    max_symbols_per_step: Optional[int] = 10
    preserve_alignments: bool = False


@dataclass
class GreedyBatchedRNNTInferConfig:
    """The ``decoding.greedy`` node of ``greedy_batch`` decoding."""

    max_symbols_per_step: Optional[int] = 10
    preserve_alignments: bool = False
