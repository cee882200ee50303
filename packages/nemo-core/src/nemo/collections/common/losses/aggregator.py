"""Weighted sum of several losses (multi-task heads)."""

from typing import Dict, List, Optional

import torch

from nemo.core.classes.loss import Loss
from nemo.core.classes.typecheck import typecheck
from nemo.core.neural_types import LossType, NeuralType

__all__ = ["AggregatorLoss"]


class AggregatorLoss(Loss):
    """``sum_i weights[i] * loss_i`` over inputs ``loss_1 ... loss_<num_inputs>`` (all weights 1 by default)."""

    def __init__(self, num_inputs: int = 2, weights: Optional[List[float]] = None) -> None:
        super().__init__()
        if num_inputs < 1:
            raise ValueError(f"AggregatorLoss: num_inputs must be >= 1, got {num_inputs}")
        if weights is not None and len(weights) != num_inputs:
            raise ValueError(
                f"AggregatorLoss: {len(weights)} weights given for num_inputs={num_inputs}; the lengths must match"
            )
        self._num_losses = num_inputs
        self._weights = None if weights is None else [float(w) for w in weights]

    @property
    def input_types(self) -> Dict[str, NeuralType]:
        return {f"loss_{i}": NeuralType(elements_type=LossType()) for i in range(1, self._num_losses + 1)}

    @property
    def output_types(self) -> Dict[str, NeuralType]:
        return {"loss": NeuralType(elements_type=LossType())}

    @typecheck()
    def forward(self, **kwargs: torch.Tensor) -> torch.Tensor:
        names = [f"loss_{i}" for i in range(1, self._num_losses + 1)]
        missing = [name for name in names if name not in kwargs]
        if missing:
            raise TypeError(f"AggregatorLoss.forward: missing inputs {missing}; expected {names}")
        weights = self._weights or [1.0] * self._num_losses
        total = torch.zeros_like(kwargs[names[0]])
        for name, weight in zip(names, weights):
            total = total.add(kwargs[name], alpha=weight)
        return total
