"""``SequenceRegression``: an MLP over one token's hidden state giving one real value per sequence."""

from typing import Dict

import torch

from nemo.collections.nlp.modules.common.classifier import Classifier, MultiLayerPerceptron
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import NeuralType, RegressionValuesType

__all__ = ["SequenceRegression"]


class SequenceRegression(Classifier):
    """Regression on the hidden state at ``idx_conditioned_on``: output ``preds`` ``[B]`` (e.g. STS-B scores)."""

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"preds": NeuralType(("B",), RegressionValuesType())}

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 2,
        activation: str = "relu",
        dropout: float = 0.0,
        use_transformer_init: bool = True,
        idx_conditioned_on: int = 0,
    ) -> None:
        super().__init__(hidden_size=hidden_size, dropout=dropout)
        self._idx_conditioned_on = idx_conditioned_on
        self.mlp = MultiLayerPerceptron(hidden_size, 1, num_layers, activation, log_softmax=False)
        self.post_init(use_transformer_init=use_transformer_init)

    @typecheck()
    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        # The one position first, then dropout (as SequenceClassifier): no mask for the positions never read.
        return self.mlp(self.dropout(hidden_states[:, self._idx_conditioned_on])).view(-1)
