"""Speaker conditioning of FastPitch's layers, in NVIDIA NeMo 3's layout (its ``modules.submodules``).

``condition_types`` lists how a ``[B, 1, C]`` conditioning vector (a speaker embedding) enters a layer: ``add`` (added
to the inputs, projected first when the sizes differ), ``concat`` (concatenated, then projected back) and
``layernorm`` (a LayerNorm whose scale and shift are predicted from it). With none, the layers are plain and ignore
the conditioning, as in NeMo. The parameter names are NeMo's, so its archives restore with ``strict=True``.
"""

from typing import Optional, Sequence

import torch

__all__ = ["CONDITION_TYPES", "ConditionalInput", "ConditionalLayerNorm"]

CONDITION_TYPES = ("add", "concat", "layernorm")


def _check(condition_types: Sequence[str]) -> None:
    unknown = [kind for kind in condition_types if kind not in CONDITION_TYPES]
    if unknown:
        raise ValueError(f"condition_types: unknown {unknown}; expected a subset of {list(CONDITION_TYPES)}")


def _needed(conditioning: Optional[torch.Tensor]) -> torch.Tensor:
    if conditioning is None:
        raise ValueError("a conditioned layer needs a conditioning input (a speaker id and `n_speakers` > 1)")
    return conditioning


class ConditionalLayerNorm(torch.nn.LayerNorm):
    """LayerNorm over the last axis; with ``layernorm`` conditioning its affine part comes from the conditioning."""

    def __init__(self, hidden_dim: int, condition_dim: Optional[int] = None, condition_types: Sequence[str] = ()):
        _check(condition_types)
        self.condition = "layernorm" in condition_types
        super().__init__(hidden_dim, elementwise_affine=not self.condition)
        if self.condition:
            self.cond_weight = torch.nn.Linear(condition_dim, hidden_dim)
            self.cond_bias = torch.nn.Linear(condition_dim, hidden_dim)
            for layer, bias in ((self.cond_weight, 1.0), (self.cond_bias, 0.0)):  # starts as the identity
                torch.nn.init.zeros_(layer.weight)
                torch.nn.init.constant_(layer.bias, bias)

    def forward(self, inputs: torch.Tensor, conditioning: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = super().forward(inputs)
        if self.condition:
            conditioning = _needed(conditioning)
            out = out * self.cond_weight(conditioning) + self.cond_bias(conditioning)
        return out


class ConditionalInput(torch.nn.Module):
    """``[B, T, hidden]`` inputs with the conditioning added or concatenated (``add``/``concat``), else unchanged."""

    def __init__(self, hidden_dim: int, condition_dim: int, condition_types: Sequence[str] = ()) -> None:
        _check(condition_types)
        super().__init__()
        # a list NeMo's FastPitchModel appends "add" to for multi-speaker models, after construction
        self.condition_types = [kind for kind in condition_types if kind in ("add", "concat")]
        self.hidden_dim, self.condition_dim = hidden_dim, condition_dim
        if "add" in self.condition_types and condition_dim != hidden_dim:
            self.add_proj = torch.nn.Linear(condition_dim, hidden_dim)
        if "concat" in self.condition_types:
            self.concat_proj = torch.nn.Linear(hidden_dim + condition_dim, hidden_dim)

    def forward(self, inputs: torch.Tensor, conditioning: Optional[torch.Tensor] = None) -> torch.Tensor:
        if not self.condition_types:
            return inputs
        conditioning = _needed(conditioning)
        if "add" in self.condition_types:
            added = self.add_proj(conditioning) if self.condition_dim != self.hidden_dim else conditioning
            inputs = inputs + added
        if "concat" in self.condition_types:
            repeated = conditioning.expand(-1, inputs.shape[1], -1)
            inputs = self.concat_proj(torch.cat([inputs, repeated], dim=-1))
        return inputs
