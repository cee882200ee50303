"""Shared parts of the classification heads: an MLP with v1's parameter names, and v1's weight initialisation."""

from typing import Dict

import torch
from torch import nn

from nemo.collections.common.parts.dropout import Dropout
from nemo.core.classes.exportable import Exportable
from nemo.core.classes.module import NeuralModule
from nemo.core.neural_types import ChannelType, NeuralType

__all__ = ["Classifier", "MultiLayerPerceptron", "transformer_weights_init", "ACTIVATIONS"]

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def transformer_weights_init(module: nn.Module, xavier: bool = True) -> None:
    """Xavier-uniform (or normal 0.02) linear weights, zero biases, normal embeddings, unit LayerNorms."""
    if isinstance(module, nn.Linear):
        if xavier:
            nn.init.xavier_uniform_(module.weight)
        else:
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class MultiLayerPerceptron(nn.Module):
    """``num_layers`` linear layers with ``activation`` between them, named ``layer0``, ``layer2``, ... as in v1."""

    def __init__(
        self,
        hidden_size: int,
        num_classes: int,
        num_layers: int = 2,
        activation: str = "relu",
        log_softmax: bool = True,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"MultiLayerPerceptron: num_layers must be >= 1, got {num_layers}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MultiLayerPerceptron: activation {activation!r} is not one of {sorted(ACTIVATIONS)}")
        index = 0
        for _ in range(num_layers - 1):
            setattr(self, f"layer{index}", nn.Linear(hidden_size, hidden_size))
            setattr(self, f"layer{index + 1}", ACTIVATIONS[activation]())
            index += 2
        setattr(self, f"layer{index}", nn.Linear(hidden_size, num_classes))
        self.layers = [getattr(self, f"layer{i}") for i in range(index + 1)]
        self.log_softmax = log_softmax

    @property
    def last_linear_layer(self) -> nn.Linear:
        return self.layers[-1]

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        x = hidden_states
        for layer in self.layers:
            x = layer(x)
        return torch.log_softmax(x, dim=-1) if self.log_softmax else x


class Classifier(NeuralModule, Exportable):
    """Base of the heads: dropout on the encoder output, optional transformer initialisation, export example."""

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {"hidden_states": NeuralType(("B", "T", "D"), ChannelType())}

    def __init__(self, hidden_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self._hidden_size = hidden_size
        self.dropout = Dropout(dropout)

    def post_init(self, use_transformer_init: bool) -> None:
        if use_transformer_init:
            self.apply(lambda module: transformer_weights_init(module, xavier=False))

    def input_example(self, max_batch: int = 2, max_dim: int = 8) -> tuple:
        device = next(self.parameters()).device
        return (torch.randn(max_batch, max_dim, self._hidden_size, device=device),)
