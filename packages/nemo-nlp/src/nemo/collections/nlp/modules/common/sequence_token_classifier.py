"""``SequenceTokenClassifier``: joint intent (sequence) and slot (token) classification heads."""

from typing import Dict, Tuple

import torch

from nemo.collections.nlp.modules.common.classifier import Classifier, MultiLayerPerceptron
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LogitsType, NeuralType

__all__ = ["SequenceTokenClassifier"]


class SequenceTokenClassifier(Classifier):
    """``intent_logits`` ``[B, D]`` from the first token and ``slot_logits`` ``[B, T, D]`` from every token."""

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {
            "intent_logits": NeuralType(("B", "D"), LogitsType()),
            "slot_logits": NeuralType(("B", "T", "D"), LogitsType()),
        }

    def __init__(
        self,
        hidden_size: int,
        num_intents: int,
        num_slots: int,
        num_layers: int = 2,
        activation: str = "relu",
        log_softmax: bool = False,
        dropout: float = 0.0,
        use_transformer_init: bool = True,
    ) -> None:
        super().__init__(hidden_size=hidden_size, dropout=dropout)
        self.intent_mlp = MultiLayerPerceptron(hidden_size, num_intents, num_layers, activation, log_softmax)
        self.slot_mlp = MultiLayerPerceptron(hidden_size, num_slots, num_layers, activation, log_softmax)
        self.post_init(use_transformer_init=use_transformer_init)

    @typecheck()
    def forward(self, hidden_states: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        hidden_states = self.dropout(hidden_states)
        return self.intent_mlp(hidden_states[:, 0]), self.slot_mlp(hidden_states)
