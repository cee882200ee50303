"""``SequenceClassifier``: an MLP over one token's hidden state (``[CLS]`` by default) giving class scores."""

from typing import Dict

import torch

from nemo.collections.nlp.modules.common.classifier import Classifier, MultiLayerPerceptron
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LogitsType, LogprobsType, NeuralType

__all__ = ["SequenceClassifier"]


class SequenceClassifier(Classifier):
    """Classifies a sequence from the hidden state at position ``idx_conditioned_on``.

    Outputs ``logits`` ``[B, C]``, or ``log_probs`` when ``log_softmax`` is set.
    """

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        if self.log_softmax:
            return {"log_probs": NeuralType(("B", "D"), LogprobsType())}
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    def __init__(
        self,
        hidden_size: int,
        num_classes: int,
        num_layers: int = 2,
        activation: str = "relu",
        log_softmax: bool = True,
        dropout: float = 0.0,
        use_transformer_init: bool = True,
        idx_conditioned_on: int = 0,
    ) -> None:
        super().__init__(hidden_size=hidden_size, dropout=dropout)
        self.log_softmax = log_softmax
        self._idx_conditioned_on = idx_conditioned_on
        self.mlp = MultiLayerPerceptron(hidden_size, num_classes, num_layers, activation, log_softmax)
        self.post_init(use_transformer_init=use_transformer_init)

    @typecheck()
    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        # The one position first, then dropout: the same distribution as v1's dropout over every position, without
        # drawing (and back-propagating) a mask for the positions the head never reads.
        return self.mlp(self.dropout(hidden_states[:, self._idx_conditioned_on]))
