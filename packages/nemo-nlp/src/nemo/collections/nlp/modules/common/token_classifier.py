"""``TokenClassifier``: an MLP applied to every token's hidden state (NER, punctuation, slot filling), and BERT's
masked-LM head built on it."""

from typing import Any, Dict

import torch

from nemo.collections.nlp.modules.common.classifier import ACTIVATIONS, Classifier, MultiLayerPerceptron
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LogitsType, LogprobsType, NeuralType

__all__ = ["BertPretrainingTokenClassifier", "TokenClassifier"]


class TokenClassifier(Classifier):
    """Per-token class scores ``[B, T, C]``: ``logits``, or ``log_probs`` when ``log_softmax`` is set."""

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        if self.log_softmax:
            return {"log_probs": NeuralType(("B", "T", "C"), LogprobsType())}
        return {"logits": NeuralType(("B", "T", "C"), LogitsType())}

    def __init__(
        self,
        hidden_size: int,
        num_classes: int,
        num_layers: int = 1,
        activation: str = "relu",
        log_softmax: bool = True,
        dropout: float = 0.0,
        use_transformer_init: bool = True,
    ) -> None:
        super().__init__(hidden_size=hidden_size, dropout=dropout)
        self.log_softmax = log_softmax
        self.mlp = MultiLayerPerceptron(hidden_size, num_classes, num_layers, activation, log_softmax)
        self.post_init(use_transformer_init=use_transformer_init)

    @typecheck()
    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.dropout(hidden_states))


class BertPretrainingTokenClassifier(TokenClassifier):
    """BERT's masked-LM head: dense, activation and LayerNorm (BERT's "transform"), then the MLP whose last layer a
    language model ties to its word embeddings (v1's state-dict names: ``dense``, ``norm``, ``mlp.layer0``)."""

    def __init__(
        self,
        hidden_size: int,
        num_classes: int,
        activation: str = "relu",
        use_transformer_init: bool = True,
        **mlp: Any,
    ) -> None:
        """``mlp``: ``num_layers``, ``log_softmax`` and ``dropout``, as ``TokenClassifier`` takes them."""
        super().__init__(hidden_size, num_classes, activation=activation, use_transformer_init=False, **mlp)
        self.dense = torch.nn.Linear(hidden_size, hidden_size)
        self.act = ACTIVATIONS[activation]()
        self.norm = torch.nn.LayerNorm(hidden_size, eps=1e-12)
        self.post_init(use_transformer_init=use_transformer_init)

    @typecheck()
    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        transform = self.norm(self.act(self.dense(self.dropout(hidden_states))))
        return self.mlp(transform)
