"""The interfaces transducer decoders (prediction networks) and joints offer to decoding algorithms (NeMo's names)."""

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Tuple

import torch

from nemo.core.classes.module import NeuralModule

__all__ = ["AbstractRNNTDecoder", "AbstractRNNTJoint"]


class AbstractRNNTJoint(NeuralModule, ABC):
    """A joint network: combines encoder frames ``f`` ``[B, T, H1]`` and prediction outputs ``g`` ``[B, U, H2]`` into
    ``[B, T, U, V + 1]`` scores. ``joint`` = ``joint_after_projection(project_encoder(f), project_prednet(g))``, so a
    decoder can project each encoder frame once."""

    @abstractmethod
    def joint_after_projection(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Scores ``[B, T, U, V + 1]`` of projected encoder ``[B, T, H]`` and prediction ``[B, U, H]`` outputs."""

    @abstractmethod
    def project_encoder(self, encoder_output: torch.Tensor) -> torch.Tensor:
        """``[B, T, H1]`` -> ``[B, T, H]``."""

    @abstractmethod
    def project_prednet(self, prednet_output: torch.Tensor) -> torch.Tensor:
        """``[B, U, H2]`` -> ``[B, U, H]``."""

    def joint(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Scores ``[B, T, U, V + 1]`` of encoder ``f`` ``[B, T, H1]`` and prediction ``g`` ``[B, U, H2]`` outputs."""
        return self.joint_after_projection(self.project_encoder(f), self.project_prednet(g))

    @property
    def num_classes_with_blank(self) -> int:
        raise NotImplementedError

    @property
    def num_extra_outputs(self) -> int:
        raise NotImplementedError


class AbstractRNNTDecoder(NeuralModule, ABC):
    """A prediction network: label history in, one vector per step and a recurrent state out.

    Args:
        vocab_size: labels without the blank.
        blank_idx: the blank's index (``vocab_size`` in NeMo's transducers).
        blank_as_pad: the embedding has a row for the blank that stays zero (used as padding and start token).
    """

    def __init__(self, vocab_size: int, blank_idx: int, blank_as_pad: bool) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.blank_idx = blank_idx
        self.blank_as_pad = blank_as_pad
        if blank_idx not in (0, vocab_size):
            raise ValueError(f"blank_idx must be 0 or vocab_size ({vocab_size}), got {blank_idx}")

    @abstractmethod
    def predict(
        self,
        y: Optional[torch.Tensor] = None,
        state: Optional[Any] = None,
        add_sos: bool = False,
        batch_size: Optional[int] = None,
    ) -> Tuple[torch.Tensor, Any]:
        """Outputs ``[B, U(+1), H]`` and the new state, for labels ``y`` ``[B, U]`` (None: the start token)."""

    @abstractmethod
    def initialize_state(self, y: torch.Tensor) -> Any:
        """A zero state for a batch the size of ``y``'s first axis, on its device and dtype."""

    @abstractmethod
    def score_hypothesis(self, hypothesis: Any, cache: Dict[Tuple[int, ...], Any]) -> Tuple[torch.Tensor, Any, Any]:
        """``(output [1, 1, H], state after the hypothesis' last label, last label)`` for beam search (cached)."""

    def batch_select_state(self, batch_states: Any, idx: int) -> Any:
        """The state of batch item ``idx`` out of a batched state."""
        raise NotImplementedError

    def batch_concat_states(self, batch_states: List[Any]) -> Any:
        """One batched state from a list of per-item states (``batch_select_state``'s inverse)."""
        raise NotImplementedError
